//! App Registrations: starting an onboarding, moving it forward with code
//! checks, submitted data and verifier results, and deciding its status.
//!
//! Contact codes go through the code-session service (`CodeSessions`) on a
//! code session that belongs to the registration, so
//! every code rule is the same code. Every other change is a read, a pure
//! domain update, and a versioned save that also moves the analytics
//! counters.

mod identity;
mod reads;
mod start;
mod steps;

pub use identity::{check_image, DocumentImages, IdentityChecks, StartedLiveness, MAX_IMAGE_BYTES};
pub use reads::MAX_ANALYTICS_DAYS;
pub use start::{StartRegistration, StartedRegistration};
pub use steps::{ContactCheck, ResumedRegistration, Review, SyncClaim, SyncedRegistration};

use super::auth::{Authenticator, API_KEY_PREFIX};
use super::CodeSessions;
use crate::domain::ids::new_id;
use crate::domain::ids::Record;
use crate::domain::operator::{Actor, AuditAction, AuditEntry};
use crate::domain::registration::analytics_delta;
use crate::domain::session_proof::SessionProof;
use crate::domain::token::{EnrolleeClaims, TokenIssuer, ENROLLEE_AUDIENCE};
use crate::domain::webhook::WebhookEvent;
use crate::domain::{ClientId, ProjectFlow, Registration, RegistrationStatus, Timestamp};
use crate::error::{Error, Result};
use crate::ports::{Clock, Directory, EventSink, NoEvents, Ports, RegistrationStore, SaveOutcome};
use crate::service::webhooks::raise;
use std::sync::Arc;

/// Who acts on a registration and how the audit log names the action.
pub(crate) struct Audited {
    pub actor: Actor,
    pub action: AuditAction,
    pub detail: Option<String>,
}

impl Audited {
    fn entry(&self, registration: &Registration, at: Timestamp) -> AuditEntry {
        AuditEntry::new(
            &ClientId(registration.client.clone()),
            self.actor.clone(),
            self.action,
            registration.id.clone(),
            self.detail.clone(),
            at,
        )
    }
}

/// The enrollee token's lifetime, as Verifik's.
pub const ENROLLEE_TOKEN_SECONDS: i64 = 120 * 60;

/// A resume token's lifetime, as Verifik's resume link: it travels in a link
/// (email, SMS), so it lives shorter than the token a browser holds.
pub const RESUME_TOKEN_SECONDS: i64 = 30 * 60;

/// Who is calling.
#[derive(Clone, Debug)]
pub enum Caller {
    /// A client's backend, by API key.
    Client(ClientId),
    /// An enrollee's browser, by the token its registration returned.
    Enrollee(EnrolleeClaims),
}

pub struct Registrations<P: Ports> {
    store: P::Registrations,
    codes: CodeSessions<P>,
    auth: Authenticator<P::Directory>,
    tokens: TokenIssuer,
    clock: Arc<dyn Clock>,
    events: Arc<dyn EventSink>,
}

impl<P: Ports> Registrations<P> {
    pub fn new(
        store: P::Registrations,
        codes: CodeSessions<P>,
        tokens: TokenIssuer,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let auth = Authenticator::new(codes.send.directory().clone());
        Self {
            store,
            codes,
            auth,
            tokens,
            clock,
            events: Arc::new(NoEvents),
        }
    }

    /// Where `app_registration.*` events go.
    pub fn with_events(mut self, events: Arc<dyn EventSink>) -> Self {
        self.events = events;
        self
    }

    /// Replaces the default abuse limits of the code machinery.
    pub fn with_limits(mut self, limits: crate::domain::limits::AbuseLimits) -> Self {
        self.codes = self.codes.with_limits(limits);
        self
    }

    /// The code sessions, for Verifik's public validation forms.
    pub fn codes(&self) -> &CodeSessions<P> {
        &self.codes
    }

    /// An API key or an enrollee token; anything else is `Unauthorized`.
    pub async fn caller(&self, bearer: Option<&str>) -> Result<Caller> {
        let token = bearer.map(str::trim).unwrap_or_default();
        if token.starts_with(API_KEY_PREFIX) {
            return Ok(Caller::Client(self.auth.client(Some(token)).await?));
        }
        self.tokens
            .verify_enrollee(token)
            .map(Caller::Enrollee)
            .ok_or(Error::Unauthorized)
    }

    /// The client behind an API key; enrollee tokens are refused.
    pub async fn client(&self, bearer: Option<&str>) -> Result<ClientId> {
        match self.caller(bearer).await? {
            Caller::Client(client) => Ok(client),
            Caller::Enrollee(_) => Err(enrollee_not_allowed()),
        }
    }

    /// The registration, if the caller may see it. Another tenant's
    /// registration answers exactly like a missing one; an enrollee token
    /// is refused before any read for any registration but its own.
    async fn load(&self, caller: &Caller, id: &str) -> Result<Registration> {
        if let Caller::Enrollee(claims) = caller {
            if claims.sub != id {
                return Err(Error::Forbidden {
                    code: "token_not_for_this_registration",
                    message: "this token belongs to another registration".into(),
                });
            }
        }
        Record::Registration.id(id)?;
        let registration = self
            .store
            .get(id)
            .await?
            .ok_or_else(|| Record::Registration.not_found())?;
        let tenant = match caller {
            Caller::Client(client) => client.as_str(),
            Caller::Enrollee(claims) => claims.client.as_str(),
        };
        if registration.client != tenant {
            return Err(Record::Registration.not_found());
        }
        Ok(registration)
    }

    async fn flow_of(&self, registration: &Registration) -> Result<ProjectFlow> {
        match self
            .codes
            .send
            .directory()
            .flow(&registration.project_flow)
            .await?
        {
            Some(flow) if flow.client == registration.client => Ok(flow),
            _ => Err(Record::Flow.not_found()),
        }
    }

    /// Applies `change` to the current registration and saves it, retrying
    /// when another write got there first. The status is recomputed before
    /// (so an expired registration is closed) and after the change. When
    /// `change` fails, whatever the recompute found is still saved and the
    /// error returned.
    async fn update<F>(
        &self,
        caller: &Caller,
        id: &str,
        require_active: bool,
        change: F,
    ) -> Result<(Registration, ProjectFlow)>
    where
        F: Fn(&mut Registration, &ProjectFlow, Timestamp) -> Result<()>,
    {
        self.update_from(caller, id, None, require_active, change)
            .await
    }

    /// As `update`, starting from a registration the caller already read
    /// (and checked access to); the versioned save catches it being stale.
    async fn update_from<F>(
        &self,
        caller: &Caller,
        id: &str,
        known: Option<Registration>,
        require_active: bool,
        change: F,
    ) -> Result<(Registration, ProjectFlow)>
    where
        F: Fn(&mut Registration, &ProjectFlow, Timestamp) -> Result<()>,
    {
        // On the heap: every registration endpoint awaits this, and its
        // state (two registrations, a flow, the save) would otherwise sit
        // in each caller's future.
        Box::pin(self.update_in_place(caller, id, known, require_active, None, change)).await
    }

    /// As `update`, for an operator's action: when `change` succeeds, its
    /// audit entry is saved with the registration, both or neither.
    async fn update_audited<F>(
        &self,
        caller: &Caller,
        id: &str,
        audited: &Audited,
        change: F,
    ) -> Result<(Registration, ProjectFlow)>
    where
        F: Fn(&mut Registration, &ProjectFlow, Timestamp) -> Result<()>,
    {
        Box::pin(self.update_in_place(caller, id, None, false, Some(audited), change)).await
    }

    async fn update_in_place<F>(
        &self,
        caller: &Caller,
        id: &str,
        mut known: Option<Registration>,
        require_active: bool,
        audited: Option<&Audited>,
        change: F,
    ) -> Result<(Registration, ProjectFlow)>
    where
        F: Fn(&mut Registration, &ProjectFlow, Timestamp) -> Result<()>,
    {
        for _ in 0..4 {
            let mut registration = match known.take() {
                Some(registration) => registration,
                None => self.load(caller, id).await?,
            };
            let flow = self.flow_of(&registration).await?;
            let before = registration.clone();
            let now = self.clock.now();
            registration.recompute(&flow, now);
            let outcome = if require_active && !registration.status.is_active() {
                Err(closed(registration.status))
            } else {
                change(&mut registration, &flow, now)
            };
            registration.recompute(&flow, now);
            if registration == before {
                return outcome.map(|()| (registration, flow));
            }
            registration.version = before.version + 1;
            registration.updated_at = now;
            let delta = analytics_delta(Some(&before), &registration);
            let audit = audited
                .filter(|_| outcome.is_ok())
                .map(|a| a.entry(&registration, now));
            match self
                .store
                .save(&registration, &delta, audit.as_ref())
                .await?
            {
                SaveOutcome::Saved => {
                    let event = WebhookEvent::for_registration(before.status, &registration, now);
                    raise(&*self.events, &registration.client, event).await;
                    return outcome.map(|()| (registration, flow));
                }
                SaveOutcome::Stale => {
                    tracing::info!(registration_id = %id, "registration changed concurrently: retrying");
                }
            }
        }
        Err(Error::Unavailable(
            "the registration kept changing while being updated".into(),
        ))
    }

    fn enrollee_token(
        &self,
        registration: &Registration,
        now: Timestamp,
        lifetime_seconds: i64,
    ) -> Result<String> {
        self.tokens.sign_enrollee(&EnrolleeClaims {
            iss: self.tokens.issuer().to_string(),
            sub: registration.id.clone(),
            aud: ENROLLEE_AUDIENCE.to_string(),
            exp: now.unix() + lifetime_seconds,
            iat: now.unix(),
            jti: new_id(),
            client: registration.client.clone(),
            project_flow: registration.project_flow.clone(),
        })
    }

    /// The end user's token, for a completed registration only.
    fn user_token(&self, registration: &Registration, now: Timestamp) -> Result<Option<String>> {
        if !registration.status.is_success() {
            return Ok(None);
        }
        let Some(subject) = registration.subject() else {
            return Ok(None);
        };
        let mut amr = Vec::new();
        for (validation, method) in [
            (&registration.email_validation, "email"),
            (&registration.phone_validation, "sms"),
        ] {
            if validation
                .as_ref()
                .is_some_and(|v| v.status == crate::domain::login::ValidationStatus::Validated)
            {
                amr.push(method.to_string());
            }
        }
        self.tokens
            .sign_session(
                SessionProof {
                    subject,
                    project: registration.project.clone(),
                    amr,
                    login_id: registration.verification_session.clone(),
                    project_flow: registration.project_flow.clone(),
                    registration_id: Some(registration.id.clone()),
                },
                now,
            )
            .map(Some)
    }
}

fn enrollee_not_allowed() -> Error {
    Error::Forbidden {
        code: "enrollee_not_allowed",
        message: "this call needs the client's API key; an enrollee token cannot make it".into(),
    }
}

fn closed(status: RegistrationStatus) -> Error {
    match status {
        RegistrationStatus::Expired => Error::Expired {
            code: "appRegistration_has_expired",
            message: "this registration has expired; start a new one".into(),
        },
        other => Error::conflict(
            "appRegistration_closed",
            format!(
                "this registration is {} and takes no more changes",
                other.as_str()
            ),
        ),
    }
}
