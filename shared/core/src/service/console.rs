//! Operators sign in to the console with an email code, sent and checked by
//! the code-session service under every code rule and abuse limit, on a
//! flow of Gatehouse's own that no tenant can name. An email that is no
//! tenant's active operator gets the same answer and no code: its session
//! is started on a twin flow whose security list withholds every code.

use crate::domain::console::{csrf_matches, session_id, ConsoleSession, IssuedSession};
use crate::domain::flow::{Branding, FlowSecurity, FlowStatus, FlowType, LoginSettings};
use crate::domain::login::RequestOrigin;
use crate::domain::operator::Operator;
use crate::domain::tenant_config::KeyGrant;
use crate::domain::{Channel, ClientId, Email, OneTimeCode, Project, ProjectFlow, Timestamp};
use crate::error::{codes, Error, Result};
use crate::ports::{Clock, CodePorts, ConsoleSessionStore, Directory, OperatorStore};
use crate::service::operators::Acting;
use crate::service::{
    Authenticator, CodeChecker, CodeSender, CodeSessions, CreateLogin, LoginRef, ValidateLogin,
};
use std::marker::PhantomData;
use std::sync::Arc;

/// The tenant the console's own code sessions are kept under: not an id
/// Gatehouse ever generates (those are ULIDs), so no tenant can reach them.
pub const CONSOLE_CLIENT: &str = "gatehouse-console";
pub const CONSOLE_PROJECT: &str = "gatehouse-console";
pub const CONSOLE_FLOW: &str = "gatehouse-console";
/// The twin flow for emails that are nobody's operator: every code withheld.
const WITHHELD_FLOW: &str = "gatehouse-console-withheld";

/// The tenant's directory, plus the console's project and its two flows,
/// which live in code, never in the table.
#[derive(Clone)]
pub struct ConsoleDirectory<D> {
    inner: D,
}

impl<D> ConsoleDirectory<D> {
    pub fn new(inner: D) -> Self {
        Self { inner }
    }
}

fn built_in_time() -> Timestamp {
    Timestamp::from_unix(1_767_225_600).unwrap_or_else(Timestamp::now)
}

fn console_project() -> Project {
    Project {
        id: CONSOLE_PROJECT.into(),
        client: CONSOLE_CLIENT.into(),
        name: "Gatehouse console".into(),
        allowed_countries: vec![],
        contact_email: None,
        privacy_url: None,
        terms_url: None,
        branding: Branding::default(),
        allowed_origins: vec![],
        created_at: built_in_time(),
        updated_at: built_in_time(),
        archived_at: None,
    }
}

fn console_flow(id: &str) -> ProjectFlow {
    let security = if id == WITHHELD_FLOW {
        // `.invalid` is reserved (RFC 2606): no address is allowed.
        FlowSecurity {
            allow_list: vec!["@gatehouse.invalid".into()],
            deny_list: vec![],
        }
    } else {
        FlowSecurity::default()
    };
    ProjectFlow {
        id: id.into(),
        client: CONSOLE_CLIENT.into(),
        project: CONSOLE_PROJECT.into(),
        name: "Console sign-in".into(),
        flow_type: FlowType::Login,
        status: FlowStatus::Active,
        redirect_url: None,
        redirect_mode: Default::default(),
        allowed_countries: vec![],
        login_settings: LoginSettings {
            email: true,
            phone: false,
            code_lifetime_seconds: 600,
            max_attempts: 5,
            ..LoginSettings::default()
        },
        onboarding_settings: Default::default(),
        security,
        webhook_url: None,
        webhook_secret: None,
        created_at: built_in_time(),
        updated_at: built_in_time(),
        archived_at: None,
    }
}

impl<D: Directory> Directory for ConsoleDirectory<D> {
    async fn client_for_key(&self, key_digest: &str) -> Result<Option<KeyGrant>> {
        self.inner.client_for_key(key_digest).await
    }

    async fn project(&self, id: &str) -> Result<Option<Project>> {
        if id == CONSOLE_PROJECT {
            return Ok(Some(console_project()));
        }
        self.inner.project(id).await
    }

    async fn flow(&self, id: &str) -> Result<Option<ProjectFlow>> {
        if id == CONSOLE_FLOW || id == WITHHELD_FLOW {
            return Ok(Some(console_flow(id)));
        }
        self.inner.flow(id).await
    }
}

/// `P`'s adapters with the console's directory.
pub struct ConsolePorts<P>(PhantomData<P>);

impl<P: CodePorts> CodePorts for ConsolePorts<P> {
    type Sessions = P::Sessions;
    type Directory = ConsoleDirectory<P::Directory>;
    type Email = P::Email;
    type Sms = P::Sms;
}

/// A signed-in operator: the session's secrets for the browser, who they
/// act as, and every tenant they may act for.
pub struct SignedIn {
    pub issued: IssuedSession,
    pub operator: Operator,
    pub tenants: Vec<ClientId>,
}

/// Signing in: the only part that holds the code pepper.
pub struct ConsoleSignIn<P: CodePorts, O> {
    send: CodeSender<ConsolePorts<P>>,
    check: CodeChecker<P::Sessions>,
    operators: O,
    clock: Arc<dyn Clock>,
}

/// A signed-in request: what every console call but the sign-in checks.
pub struct ConsoleSessions<O> {
    operators: O,
    clock: Arc<dyn Clock>,
}

fn console_client() -> ClientId {
    ClientId(CONSOLE_CLIENT.into())
}

impl<P: CodePorts, O: OperatorStore + ConsoleSessionStore> ConsoleSignIn<P, O> {
    pub fn new(codes: CodeSessions<ConsolePorts<P>>, operators: O, clock: Arc<dyn Clock>) -> Self {
        Self {
            send: codes.send,
            check: codes.check,
            operators,
            clock,
        }
    }

    async fn memberships(&self, email: &Email) -> Result<Vec<Operator>> {
        let mut operators = self.operators.operators_by_email(email).await?;
        operators.retain(Operator::is_active);
        operators.sort_by_key(|o| o.created_at);
        Ok(operators)
    }

    /// `POST /console/api/sign-in`: a code to an active operator's email;
    /// to any other, the same answer and nothing sent. Asking again inside
    /// the resend cooldown also answers the same: the code already sent
    /// stays good.
    #[tracing::instrument(skip_all)]
    pub async fn start(&self, email: &str, origin: &RequestOrigin) -> Result<()> {
        let email = Email::parse(email)?;
        let invited = !self.memberships(&email).await?.is_empty();
        let flow = if invited { CONSOLE_FLOW } else { WITHHELD_FLOW };
        let request = CreateLogin {
            project_flow: flow.into(),
            email: Some(email),
            phone: None,
            name: None,
            language: None,
        };
        match self.send.create(&console_client(), request, origin).await {
            Ok(_)
            | Err(Error::TooManyRequests {
                code: codes::RESEND_TOO_SOON,
                ..
            }) => Ok(()),
            Err(other) => Err(other),
        }
    }

    /// `POST /console/api/sign-in/verify`: the code, checked as one of
    /// Verifik's identifier forms is (every failure but a limit looks like
    /// a wrong code), then a session for the tenant asked for, or the
    /// operator's oldest membership.
    #[tracing::instrument(skip_all)]
    pub async fn verify(
        &self,
        email: &str,
        code: &str,
        tenant: Option<&str>,
        origin: &RequestOrigin,
    ) -> Result<SignedIn> {
        let email = Email::parse(email)?;
        let otp = OneTimeCode::parse(code)?;
        let request = ValidateLogin {
            login: LoginRef::Identifier {
                project_flow: CONSOLE_FLOW.into(),
                channel: Channel::Email,
                identifier: email.as_str().to_owned(),
            },
            channel: Some(Channel::Email),
            otp,
        };
        self.check.check(request, None, origin).await?;
        // The code is spent; the memberships are read as they stand now, so
        // an operator removed since the code was sent gets no session.
        let memberships = self.memberships(&email).await?;
        let chosen = match tenant {
            Some(t) => memberships.iter().find(|o| o.client.as_str() == t),
            None => memberships.first(),
        }
        .cloned()
        .ok_or_else(|| Error::Forbidden {
            code: "not_an_operator",
            message: "this email is not an active operator of that tenant".into(),
        })?;
        let issued = ConsoleSession::issue(email, chosen.client.clone(), self.clock.now());
        self.operators.save_session(&issued.session).await?;
        tracing::info!(client = %chosen.client, "operator signed in to the console");
        Ok(SignedIn {
            issued,
            operator: chosen,
            tenants: memberships.into_iter().map(|o| o.client).collect(),
        })
    }
}

impl<O: OperatorStore + ConsoleSessionStore> ConsoleSessions<O> {
    pub fn new(operators: O, clock: Arc<dyn Clock>) -> Self {
        Self { operators, clock }
    }

    /// The session a request's cookie names, and its operator as they stand
    /// now: a removed operator or a lapsed session answers 401, and a change
    /// (`needs_csrf`) without the session's CSRF token answers 403.
    pub async fn authenticate(
        &self,
        cookie_token: Option<&str>,
        csrf_token: Option<&str>,
        needs_csrf: bool,
    ) -> Result<(ConsoleSession, Operator)> {
        let token = cookie_token.ok_or(Error::Unauthorized)?;
        let id = session_id(token).ok_or(Error::Unauthorized)?;
        let now = self.clock.now();
        let session = self
            .operators
            .session(&id)
            .await?
            .filter(|s| s.is_live(now))
            .ok_or(Error::Unauthorized)?;
        if needs_csrf && !csrf_token.is_some_and(|t| csrf_matches(token, t)) {
            return Err(Error::Forbidden {
                code: "csrf_token_invalid",
                message: "a change needs this session's X-CSRF-Token header".into(),
            });
        }
        let operator = self
            .operators
            .operator(&session.client, &session.email)
            .await?
            .filter(Operator::is_active)
            .ok_or(Error::Unauthorized)?;
        Ok((session, operator))
    }

    /// `DELETE /console/api/session`: the session is gone at once.
    pub async fn sign_out(&self, session: &ConsoleSession) -> Result<()> {
        self.operators.delete_session(&session.id).await
    }
}

/// Who may call an endpoint the console's pages use: an admin API key, or
/// else an operator's console session, acting with the operator's role as
/// it stands now.
pub struct Gate<D, O> {
    pub keys: Authenticator<D>,
    pub sessions: ConsoleSessions<O>,
}

impl<D: Directory, O: OperatorStore + ConsoleSessionStore> Gate<D, O> {
    /// `bearer` wins when present; `changes` asks for the CSRF token.
    pub async fn acting(
        &self,
        bearer: Option<&str>,
        cookie: Option<&str>,
        csrf: Option<&str>,
        changes: bool,
    ) -> Result<(ClientId, Acting)> {
        if bearer.is_some() || cookie.is_none() {
            let client = self.keys.admin(bearer).await?;
            let prefix = super::auth::key_prefix(bearer.unwrap_or_default());
            return Ok((client, Acting::admin_key(&prefix)));
        }
        let (session, operator) = self.sessions.authenticate(cookie, csrf, changes).await?;
        Ok((session.client, Acting::operator(&operator)))
    }
}
