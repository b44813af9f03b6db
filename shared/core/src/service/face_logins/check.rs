//! Checking a face: the session's result read on the server, liveness
//! judged, then the project's collection searched. One conditional write
//! uses the session, so a replay or a concurrent submit is refused.

use super::{FaceCaller, FaceLogins};
use crate::domain::identity::{collection_id, face_user_id};
use crate::domain::login::{
    judge_enrolment, judge_liveness, judge_login_match, session_expired, session_not_found,
    session_used, FaceGuard, FacePurpose, FaceScores, FaceVerdict, RequestOrigin, SearchResult,
    SessionGuard,
};
use crate::domain::webhook::WebhookEvent;
use crate::domain::{Login, LoginStatus};
use crate::error::{Error, Result};
use crate::ports::{FaceEngine, FaceFailure, FaceSaved, IdentityPorts, LoginStore};
use crate::service::liveness::{read_session, LiveFrame};
use crate::service::webhooks::raise;

/// A checked face: the login after it, and a token when it signed the
/// user in.
#[derive(Clone, Debug)]
pub struct FaceChecked {
    pub login: Login,
    pub token: Option<String>,
}

impl<P: IdentityPorts> FaceLogins<P> {
    /// `POST /v2/biometric-validations/validate {sessionId}`. A failed
    /// check answers 403 with one user-safe code; it ends a sign-in, and
    /// counts toward the identifier's and the IP's lockout.
    #[tracing::instrument(skip_all, fields(login_id = tracing::field::Empty))]
    pub async fn validate(
        &self,
        caller: &FaceCaller,
        session_id: &str,
        origin: &RequestOrigin,
    ) -> Result<FaceChecked> {
        let mut login = self.login_of(caller).await?;
        tracing::Span::current().record("login_id", login.id.as_str());
        let face = login
            .biometric_validation
            .clone()
            .ok_or_else(session_not_found)?;
        // A sign-in's face is submitted with its step token, an enrolment
        // with the user's sign-in token.
        let enrolment = face.purpose == FacePurpose::Enrolment;
        if enrolment != matches!(caller, FaceCaller::Session(_)) {
            return Err(session_not_found());
        }
        let (flow, settings) = self.face_flow(&login.project_flow).await?;
        let now = self.clock.now();
        face.usable_session(session_id, now)?;
        let read_status = login.status;
        if !enrolment && read_status != LoginStatus::Pending {
            return Err(session_used());
        }
        let subjects = self.subjects(&login, &face.identifier, origin);
        self.ensure_not_locked(&subjects, now).await?;

        let LiveFrame {
            confidence,
            reference,
            ..
        } = read_session(
            &self.faces,
            &self.images,
            session_id,
            session_not_found,
            session_expired,
        )
        .await?;
        let detected = match &reference {
            Some(bytes) => self.faces.detect_faces(bytes).await?,
            None => Vec::new(),
        };
        let liveness = judge_liveness(confidence, &detected, &settings);

        let collection = collection_id(&login.project);
        let user_id = face_user_id(&login.client, &face.identifier);
        let mut search = SearchResult::default();
        let face_match = match (&reference, liveness.passed_check()) {
            (Some(live), true) => {
                // Low enough to see a runner-up within the margin.
                let floor = (settings.search_min_score - settings.search_margin).max(0.0);
                let matches = self.faces.search_users(&collection, live, floor).await?;
                search = SearchResult {
                    best: matches.first().map(|m| (m.user_id.clone(), m.similarity)),
                    runner_up: matches.get(1).map(|m| m.similarity),
                };
                Some(if enrolment {
                    judge_enrolment(&search, &user_id, &settings)
                } else {
                    let permitted = flow.security.permits(&face.identifier);
                    judge_login_match(&search, &user_id, permitted, &settings)
                })
            }
            _ => None,
        };
        let verdict = FaceVerdict {
            liveness,
            face_match,
            scores: FaceScores {
                liveness: confidence,
                similarity: search.best.as_ref().map(|(_, s)| *s),
                runner_up: search.runner_up,
            },
        };
        let passed = verdict.passed();
        tracing::info!(
            passed,
            purpose = ?face.purpose,
            liveness = ?verdict.liveness.internal_reason_codes,
            matching = ?verdict.face_match.as_ref().map(|m| &m.internal_reason_codes),
            "face checked"
        );

        let mut face_ids = Vec::new();
        if enrolment && passed {
            if let Some(live) = &reference {
                // Before the session is used: if indexing fails, the user
                // submits the same session again.
                face_ids = self
                    .faces
                    .enroll(&collection, &user_id, live, &login.id)
                    .await?;
            }
        }
        login.apply_face(&verdict, origin, now);
        if let Some(face) = login.biometric_validation.as_mut() {
            face.face_ids = face_ids;
        }
        let guard = FaceGuard {
            status: read_status,
            session: SessionGuard::Uses(session_id.to_string()),
        };
        let failure = (!passed).then(|| FaceFailure {
            subjects,
            lockout: self.lockout.clone(),
            now,
        });
        match self
            .logins
            .save_face(&login, &guard, self.retention_end(now), failure.as_ref())
            .await?
        {
            FaceSaved::Refused => return Err(session_used()),
            FaceSaved::Saved { locked_until } => {
                if locked_until.is_some() {
                    tracing::warn!("failed face checks locked out the identifier or the IP");
                }
            }
        }
        if login.status != read_status {
            let event = WebhookEvent::for_login(&login, now);
            raise(&*self.events, &login.client, event).await;
        }
        if !passed {
            return Err(refusal(&verdict));
        }
        let token = match login.session_proof() {
            Some(proof) if !enrolment => Some(self.tokens.sign_session(proof, now)?),
            _ => None,
        };
        Ok(FaceChecked { login, token })
    }
}

/// 403 with the first user-safe code of the failed check.
fn refusal(verdict: &FaceVerdict) -> Error {
    let failed = if verdict.liveness.passed_check() {
        verdict.face_match.as_ref()
    } else {
        Some(&verdict.liveness)
    };
    let code = failed
        .and_then(|check| check.reason_codes.first())
        .map(String::as_str)
        .unwrap_or(crate::domain::login::FACE_NOT_RECOGNIZED);
    let (code, message) = match code {
        crate::domain::login::LIVENESS_NOT_PROVEN => (
            crate::domain::login::LIVENESS_NOT_PROVEN,
            "the liveness check did not pass; start again",
        ),
        crate::domain::login::ENROLMENT_REFUSED => (
            crate::domain::login::ENROLMENT_REFUSED,
            "this face cannot be added to this account",
        ),
        _ => (
            crate::domain::login::FACE_NOT_RECOGNIZED,
            "the face was not recognised; sign in with a code instead",
        ),
    };
    Error::Forbidden {
        code,
        message: message.into(),
    }
}
