//! Face login: a liveness session bound to an App Login, its result read on
//! the server, and the project's collection searched for the person
//! enrolled under the login's identifier.
//!
//! - [`start`]: the face as the only factor, the face after the codes, and
//!   adding a face after a code login; each binds one session.
//! - [`check`]: one session's result, judged once, however many submits
//!   race.
//! - [`redact`]: the tenant deletes a login's frames and enrolled face.

mod check;
mod redact;
mod start;

pub use check::FaceChecked;
pub use start::{FaceIdentifier, StartFaceLogin, StartedFace};

use crate::domain::face_settings::FaceLoginSettings;
use crate::domain::ids::Record;
use crate::domain::limits::{AbuseLimits, FaceLockout, FaceSubject};
use crate::domain::login::RequestOrigin;
use crate::domain::token::{FaceStepClaims, LoginClaims, TokenIssuer};
use crate::domain::{Login, ProjectFlow, Timestamp};
use crate::error::{Error, Result};
use crate::ports::{Clock, Directory, IdentityPorts, LoginStore};
use std::sync::Arc;
use std::time::Duration;

/// Who calls a face step.
#[derive(Clone, Debug)]
pub enum FaceCaller {
    /// The face-step token of one login (face first, or after the codes).
    Step(FaceStepClaims),
    /// A signed-in user's token: adds a face to that user.
    Session(LoginClaims),
}

pub struct FaceLogins<P: IdentityPorts> {
    logins: P::Sessions,
    directory: P::Directory,
    faces: P::Faces,
    images: P::Images,
    tokens: TokenIssuer,
    clock: Arc<dyn Clock>,
    retention: Duration,
    /// The bucket the liveness service writes its images to.
    bucket: String,
    lockout: FaceLockout,
    limits: AbuseLimits,
    events: Arc<dyn crate::ports::EventSink>,
}

impl<P: IdentityPorts> FaceLogins<P> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        logins: P::Sessions,
        directory: P::Directory,
        faces: P::Faces,
        images: P::Images,
        tokens: TokenIssuer,
        clock: Arc<dyn Clock>,
        retention: Duration,
        bucket: impl Into<String>,
    ) -> Self {
        Self {
            logins,
            directory,
            faces,
            images,
            tokens,
            clock,
            retention,
            bucket: bucket.into(),
            lockout: FaceLockout::default(),
            limits: AbuseLimits::default(),
            events: Arc::new(crate::ports::NoEvents),
        }
    }

    /// Replaces the default abuse limits (the per-IP start budget, the
    /// face lockout).
    /// Where `app_login.validated` and `app_login.failed` go.
    pub fn with_events(mut self, events: Arc<dyn crate::ports::EventSink>) -> Self {
        self.events = events;
        self
    }

    pub fn with_limits(mut self, limits: AbuseLimits) -> Self {
        self.lockout = limits.face_lockout();
        self.limits = limits;
        self
    }

    /// The caller behind a bearer token: a face-step token, or a sign-in
    /// token of ours. Anything else is 401.
    pub fn caller(&self, bearer: Option<&str>) -> Result<FaceCaller> {
        let token = bearer.map(str::trim).unwrap_or_default();
        if let Some(step) = self.tokens.verify_face_step(token) {
            return Ok(FaceCaller::Step(step));
        }
        match self.tokens.verify_session(token) {
            // A registration's token ends an onboarding, which enrols the
            // face itself.
            Some(session) if session.registration_id.is_none() => Ok(FaceCaller::Session(session)),
            _ => Err(Error::Unauthorized),
        }
    }

    /// The login a caller may act on: the step token's, or the signed-in
    /// user's own validated login.
    async fn login_of(&self, caller: &FaceCaller) -> Result<Login> {
        let id = caller_login_id(caller);
        if !crate::domain::ids::is_plausible_id(&id) {
            return Err(Record::Login.not_found());
        }
        let belongs = |l: &Login| match caller {
            FaceCaller::Step(c) => l.client == c.client && l.project_flow == c.project_flow,
            FaceCaller::Session(c) => {
                l.project == c.aud
                    && l.project_flow == c.project_flow
                    && l.verified_identifier().as_deref() == Some(c.sub.as_str())
            }
        };
        self.logins
            .get(&id)
            .await?
            .filter(|l| l.registration.is_none() && belongs(l))
            .ok_or_else(|| Record::Login.not_found())
    }

    /// The flow of a login, with its face settings.
    async fn face_flow(&self, flow_id: &str) -> Result<(ProjectFlow, FaceLoginSettings)> {
        let flow = self
            .directory
            .flow(flow_id)
            .await?
            .filter(|f| f.archived_at.is_none())
            .ok_or_else(|| Record::Flow.not_found())?;
        let settings = face_settings(&flow)?.clone();
        Ok((flow, settings))
    }

    /// 429 while the identifier or the source IP is locked out.
    async fn ensure_not_locked(&self, subjects: &[FaceSubject], now: Timestamp) -> Result<()> {
        match self.logins.face_lockout(subjects).await? {
            Some(until) if until > now => Err(self.lockout.refusal(until, now)),
            _ => Ok(()),
        }
    }

    fn retention_end(&self, now: Timestamp) -> Timestamp {
        now.plus_seconds(self.retention.as_secs() as i64)
    }

    /// Where the liveness service writes one login's images.
    fn image_prefix(login: &Login) -> String {
        format!("{}/logins/{}/", login.client, login.id)
    }
}

fn caller_login_id(caller: &FaceCaller) -> String {
    match caller {
        FaceCaller::Step(claims) => claims.sub.clone(),
        FaceCaller::Session(claims) => claims.login_id.clone(),
    }
}

/// The flow's face settings, or 409 when the flow has no face login.
fn face_settings(flow: &ProjectFlow) -> Result<&FaceLoginSettings> {
    flow.login_settings.face_liveness.as_ref().ok_or_else(|| {
        Error::conflict(
            "face_login_not_enabled",
            "this projectFlow does not offer face sign-in",
        )
    })
}

impl<P: IdentityPorts> FaceLogins<P> {
    /// The failure subjects of a login's face check.
    fn subjects(
        &self,
        login: &Login,
        identifier: &str,
        origin: &RequestOrigin,
    ) -> Vec<FaceSubject> {
        self.lockout
            .subjects(&login.client, identifier, origin.ip_address.as_deref())
    }
}
