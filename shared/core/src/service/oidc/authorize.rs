//! `/oauth2/authorize` and the OP session behind it. The user signs in on
//! the hosted pages (by code or face, as the client's login flow allows);
//! the page hands its sign-in token to `/session`, which keeps it in an
//! HttpOnly cookie on the issuer's path; the page then comes back here,
//! and a valid session becomes a code in the redirect.

use crate::domain::ids::is_plausible_id;
use crate::domain::login::ValidationStatus;
use crate::domain::oidc::grant::{new_code, CODE_SECONDS};
use crate::domain::oidc::request::{state_of, AUTH_AFTER};
use crate::domain::oidc::{
    issuer_for, AuthorizationRequest, OAuthClient, OAuthError, OidcGrant, Params, SessionClaims,
};
use crate::domain::token::TokenIssuer;
use crate::domain::{Channel, FlowStatus, FlowType, Login};
use crate::error::Result;
use crate::ports::{Clock, Directory, LoginStore, OidcStore};
use std::sync::Arc;

pub struct Authorizer<S, D, L> {
    store: S,
    directory: D,
    logins: L,
    /// Checks sign-in tokens: public keys only.
    tokens: TokenIssuer,
    clock: Arc<dyn Clock>,
    public_url: String,
}

/// Where the browser goes.
#[derive(Debug, PartialEq)]
pub enum Authorized {
    /// The client or its redirect URI is not one we may send anyone to:
    /// an error page, never a redirect.
    Refused(OAuthError),
    Redirect(String),
}

fn redirect_with(uri: &str, pairs: &[(&str, &str)]) -> Authorized {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs.iter());
            Authorized::Redirect(url.to_string())
        }
        Err(_) => Authorized::Refused(OAuthError::invalid_request("redirect_uri does not parse")),
    }
}

impl<S: OidcStore, D: Directory, L: LoginStore> Authorizer<S, D, L> {
    pub fn new(
        store: S,
        directory: D,
        logins: L,
        tokens: TokenIssuer,
        clock: Arc<dyn Clock>,
        public_url: String,
    ) -> Self {
        Self {
            store,
            directory,
            logins,
            tokens,
            clock,
            public_url,
        }
    }

    /// The sign-in token's claims, if it is a live session for `project`.
    pub fn session(&self, project: &str, token: &str) -> Option<SessionClaims> {
        self.tokens
            .verify_session(token)
            .filter(|c| c.aud == project && c.registration_id.is_none())
    }

    /// The live client `client_id` of `project`.
    async fn client(&self, project: &str, client_id: &str) -> Result<Option<OAuthClient>> {
        if !is_plausible_id(client_id) {
            return Ok(None);
        }
        Ok(self
            .store
            .oauth_client(client_id)
            .await?
            .filter(|c| c.project == project && c.archived_at.is_none()))
    }

    #[tracing::instrument(skip_all, fields(project = %project))]
    pub async fn authorize(
        &self,
        project: &str,
        params: &Params,
        session_token: Option<&str>,
    ) -> Result<Authorized> {
        let refuse = |e: OAuthError| Ok(Authorized::Refused(e));
        let live_project = is_plausible_id(project)
            && self
                .directory
                .project(project)
                .await?
                .is_some_and(|p| p.archived_at.is_none());
        if !live_project {
            return refuse(OAuthError::invalid_request("no such issuer"));
        }
        let client_id = match params.one("client_id") {
            Ok(Some(id)) => id,
            Ok(None) => return refuse(OAuthError::invalid_request("client_id is required")),
            Err(e) => return refuse(e),
        };
        let Some(client) = self.client(project, client_id).await? else {
            return refuse(OAuthError::new(
                "invalid_client",
                "client_id is not a client of this issuer",
            ));
        };
        let redirect_uri = match params.one("redirect_uri") {
            Ok(Some(uri)) if client.allows_redirect(uri) => uri.to_string(),
            Ok(Some(_)) => {
                return refuse(OAuthError::invalid_request(
                    "redirect_uri is not one this client registered",
                ))
            }
            Ok(None) => return refuse(OAuthError::invalid_request("redirect_uri is required")),
            Err(e) => return refuse(e),
        };
        let issuer = issuer_for(&self.public_url, project);
        let error_back = |e: OAuthError, state: Option<String>| {
            tracing::info!(error = e.error, "authorization_refused");
            let mut pairs = vec![
                ("error", e.error),
                ("error_description", e.description.as_str()),
            ];
            if let Some(state) = state.as_deref() {
                pairs.push(("state", state));
            }
            pairs.push(("iss", issuer.as_str()));
            Ok(redirect_with(&redirect_uri, &pairs))
        };
        let request = match AuthorizationRequest::parse(
            params,
            client.client_type == crate::domain::oidc::ClientType::Public,
        ) {
            Ok(r) => r,
            Err(e) => return error_back(e, state_of(params)),
        };
        let flow_ready = self
            .directory
            .flow(&client.login_flow)
            .await?
            .is_some_and(|f| {
                f.project == project
                    && f.status == FlowStatus::Active
                    && f.flow_type == FlowType::Login
            });
        if !flow_ready {
            return error_back(
                OAuthError::new(
                    "temporarily_unavailable",
                    "the client's login flow is not active",
                ),
                request.state,
            );
        }
        let now = self.clock.now().unix();
        let session = session_token
            .and_then(|t| self.session(project, t))
            .filter(|c| c.project_flow == client.login_flow);
        let fresh_enough = |c: &SessionClaims| {
            request.max_age.is_none_or(|age| now - c.iat <= age)
                && request.auth_after.is_none_or(|after| c.iat >= after)
                && !(request.prompt_login && request.auth_after.is_none())
        };
        match session.filter(fresh_enough) {
            Some(claims) => {
                let code = self
                    .issue_code(project, &client, &redirect_uri, &request, &claims)
                    .await?;
                tracing::info!(client_id = %client.client_id, login_id = %claims.login_id, "oidc_code_issued");
                let mut pairs = vec![("code", code.as_str())];
                if let Some(state) = request.state.as_deref() {
                    pairs.push(("state", state));
                }
                pairs.push(("iss", issuer.as_str()));
                Ok(redirect_with(&redirect_uri, &pairs))
            }
            None if request.prompt_none => error_back(
                OAuthError::new("login_required", "the user is not signed in"),
                request.state,
            ),
            None => Ok(Authorized::Redirect(
                self.sign_in_page(project, &client, params, &request, now),
            )),
        }
    }

    /// The hosted sign-in page, which comes back here with this request
    /// once the user has signed in. A fresh sign-in is then demanded by
    /// time (`gh_auth_after`), so `prompt` and `max_age` are not repeated.
    fn sign_in_page(
        &self,
        project: &str,
        client: &OAuthClient,
        params: &Params,
        request: &AuthorizationRequest,
        now: i64,
    ) -> String {
        let back = params
            .without(&["prompt", "max_age", AUTH_AFTER])
            .with(AUTH_AFTER, request.auth_after.unwrap_or(now).to_string());
        let mut page = Params::default()
            .with("flow", client.login_flow.clone())
            .with("oidc", back.encode());
        if let Some(lang) = &request.ui_locale {
            page = page.with("lang", lang.clone());
        }
        if let Some(hint) = &request.login_hint {
            page = page.with("login_hint", hint.clone());
        }
        format!(
            "{}/sign-in/{project}?{}",
            self.public_url.trim_end_matches('/'),
            page.encode()
        )
    }

    async fn issue_code(
        &self,
        project: &str,
        client: &OAuthClient,
        redirect_uri: &str,
        request: &AuthorizationRequest,
        claims: &SessionClaims,
    ) -> Result<String> {
        let login = self
            .logins
            .get(&claims.login_id)
            .await?
            .filter(|l| l.project == project);
        let (email, phone) = contacts(login.as_ref(), &claims.sub);
        let scopes = request
            .scopes
            .iter()
            .filter(|s| client.scopes.contains(s))
            .cloned()
            .collect();
        let now = self.clock.now();
        let (code, id) = new_code();
        let grant = OidcGrant {
            id,
            client: client.client.clone(),
            project: project.to_string(),
            client_id: client.client_id.clone(),
            redirect_uri: redirect_uri.to_string(),
            scopes,
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            subject: claims.sub.clone(),
            email,
            phone,
            amr: claims.amr.clone(),
            auth_time: claims.iat,
            login_id: claims.login_id.clone(),
            created_at: now,
            code_expires_at: now.unix() + CODE_SECONDS,
            redeemed_at: None,
            refresh_digest: None,
            family_expires_at: None,
            revoked_at: None,
        };
        self.store.save_grant(&grant).await?;
        Ok(code)
    }
}

/// The verified email and phone of the sign-in: from the login's validated
/// channels, else (a face sign-in) the identifier the face was enrolled with.
fn contacts(login: Option<&Login>, subject: &str) -> (Option<String>, Option<String>) {
    let verified = |channel: Channel| {
        login.and_then(|l| {
            l.validation(channel)
                .filter(|v| v.status == ValidationStatus::Validated)
                .and_then(|_| l.identifier(channel))
        })
    };
    let mut email = verified(Channel::Email);
    let mut phone = verified(Channel::Phone);
    if email.is_none() && phone.is_none() {
        if subject.contains('@') {
            email = Some(subject.to_string());
        } else if subject.starts_with('+') {
            phone = Some(subject.to_string());
        }
    }
    (email, phone)
}
