//! The live face: a Face Liveness session bound to the registration, then
//! its result read on the server, the match against the document's
//! portrait, and the search for the same face under another identity.

use super::document::last_check;
use super::{caller_tenant, image_prefix, ready_for, verified_here, IdentityChecks, Outcome};
use crate::domain::identity::{
    collection_id, face_user_id, judge_face, Enrollment, LivenessSession, StepCheck,
    LIVENESS_SESSION_SECONDS, MAX_SESSIONS_PER_WINDOW,
};
use crate::domain::login::{AccessEventKind, RequestOrigin};
use crate::domain::onboarding::StepName;
use crate::domain::registration::{RedFlagCode, StepStatus};
use crate::domain::{Registration, RegistrationStatus, Timestamp};
use crate::error::{Error, Result};
use crate::ports::{FaceEngine, IdentityPorts, ImageStore, LivenessOutput};
use crate::service::liveness::{read_session, LiveFrame};
use crate::service::Caller;

/// A session the client starts the liveness component with.
#[derive(Clone, Debug)]
pub struct StartedLiveness {
    pub session_id: String,
    pub expires_at: Timestamp,
}

fn session_not_found() -> Error {
    Error::not_found(
        "liveness_session_not_found",
        "no liveness session with this id was started for this registration",
    )
}

fn session_used() -> Error {
    Error::conflict(
        "liveness_session_used",
        "this liveness session was already checked; start a new one",
    )
}

fn session_expired() -> Error {
    Error::Expired {
        code: "liveness_session_expired",
        message: "this liveness session expired (sessions last 3 minutes); start a new one".into(),
    }
}

/// The face is compared with the document's portrait, so a flow that asks
/// for the document asks for it first.
pub(super) fn document_first(registration: &Registration) -> Result<()> {
    match registration.step(StepName::Document).map(|s| s.status) {
        None | Some(StepStatus::Passed) => Ok(()),
        _ => Err(Error::conflict(
            "document_required",
            "pass the document step before the liveness step",
        )),
    }
}

impl<P: IdentityPorts> IdentityChecks<P> {
    /// `POST /v2/biometric-validations/app-registration/session`: a new
    /// session bound to this registration. At most five per registration in
    /// three minutes.
    #[tracing::instrument(skip_all, fields(registration_id = %id))]
    pub async fn start_liveness(
        &self,
        caller: &Caller,
        id: &str,
        origin: &RequestOrigin,
    ) -> Result<StartedLiveness> {
        let registration = self.registrations.load(caller, id).await?;
        let flow = self.registrations.flow_of(&registration).await?;
        verified_here(&flow)?;
        ready_for(&registration, StepName::Liveness)?;
        document_first(&registration)?;
        let now = self.registrations.clock.now();
        check_session_budget(&registration, now)?;
        let session_id = self
            .faces
            .start_liveness(&LivenessOutput {
                bucket: self.bucket.clone(),
                key_prefix: format!("{}liveness/", image_prefix(&registration)),
            })
            .await?;
        let (_, _) = self
            .registrations
            .update_from(caller, id, Some(registration), true, |r, _, now| {
                check_session_budget(r, now)?;
                r.identity
                    .get_or_insert_with(Default::default)
                    .add_session(LivenessSession {
                        id: session_id.clone(),
                        created_at: now,
                        used_at: None,
                    });
                r.log(origin.event(AccessEventKind::LivenessSessionStarted, None, now));
                Ok(())
            })
            .await?;
        Ok(StartedLiveness {
            session_id,
            expires_at: now.plus_seconds(LIVENESS_SESSION_SECONDS),
        })
    }

    /// `POST /v2/biometric-validations/app-registration {sessionId}`: the
    /// session's result, read here and never taken from the client, judged
    /// on the flow's thresholds. Each session counts once, however many
    /// submits race.
    #[tracing::instrument(skip_all, fields(registration_id = %id))]
    pub async fn check_liveness(
        &self,
        caller: &Caller,
        id: &str,
        session_id: &str,
        origin: &RequestOrigin,
    ) -> Result<(Registration, StepCheck)> {
        let registration = self.registrations.load(caller, id).await?;
        let flow = self.registrations.flow_of(&registration).await?;
        let settings = verified_here(&flow)?.clone();
        ready_for(&registration, StepName::Liveness)?;
        document_first(&registration)?;
        let now = self.registrations.clock.now();
        usable_session(&registration, session_id, now)?;
        self.charge_budget(&registration, origin).await?;

        let LiveFrame {
            confidence,
            reference,
            reference_key,
        } = read_session(
            &self.faces,
            &self.images,
            session_id,
            session_not_found,
            session_expired,
        )
        .await?;
        let faces = match &reference {
            Some(bytes) => self.faces.detect_faces(bytes).await?,
            None => Vec::new(),
        };
        let portrait = match registration
            .identity
            .as_ref()
            .and_then(|e| e.document_face.as_deref())
        {
            Some(key) => self.images.get(key).await?,
            None => None,
        };
        let similarity = match (&reference, &portrait) {
            (Some(live), Some(portrait)) if !faces.is_empty() => {
                Some(self.faces.compare(live, portrait).await?.unwrap_or(0.0))
            }
            _ => None,
        };
        let reasons = judge_face(confidence, &faces, similarity, &settings);

        // The same face under another identity of this project.
        let collection = collection_id(&registration.project);
        let user_id = registration
            .subject()
            .map(|subject| face_user_id(caller_tenant(caller), &subject));
        let duplicate = match (&reference, reasons.is_empty()) {
            (Some(live), true) => self
                .faces
                .search_users(&collection, live, settings.search_min_score)
                .await?
                .into_iter()
                .find(|m| Some(&m.user_id) != user_id.as_ref()),
            _ => None,
        };
        tracing::info!(
            passed = reasons.is_empty(),
            reasons = ?reasons,
            duplicate = duplicate.is_some(),
            "live face checked"
        );

        let (registration, _) = self
            .registrations
            .update_from(caller, id, Some(registration), true, |r, _, now| {
                ready_for(r, StepName::Liveness)?;
                let session = r
                    .identity
                    .as_mut()
                    .and_then(|e| e.liveness_sessions.iter_mut().find(|s| s.id == session_id))
                    .ok_or_else(session_not_found)?;
                if session.used_at.is_some() {
                    return Err(session_used());
                }
                session.used_at = Some(now);
                let evidence = r.identity.get_or_insert_with(Default::default);
                evidence.scores.liveness = confidence;
                evidence.scores.similarity = similarity;
                evidence.scores.duplicate_similarity = duplicate.as_ref().map(|d| d.similarity);
                if let Some(key) = &reference_key {
                    evidence.add_image(key.clone());
                }
                if duplicate.is_some() {
                    r.flag(
                        RedFlagCode::FaceAlreadyEnrolled,
                        "the live face matches a face enrolled in this project under another identity",
                        now,
                    );
                }
                Outcome {
                    step: StepName::Liveness,
                    reasons: &reasons,
                    verifier: "gatehouse",
                    reference: Some(session_id.to_string()),
                    document_name: None,
                }
                .record(r, origin, now);
                Ok(())
            })
            .await?;
        let check = last_check(&registration, StepName::Liveness)?;

        let registration = match (&reference, &user_id) {
            (Some(live), Some(user_id)) if registration.status == RegistrationStatus::Completed => {
                self.enroll(caller, registration, &collection, user_id, live)
                    .await
            }
            _ => registration,
        };
        Ok((registration, check))
    }

    /// Indexes a completed registration's live face in the project's
    /// collection, for face login. A failure here leaves the registration
    /// completed and unenrolled, and is logged: the enrollee is verified
    /// either way.
    async fn enroll(
        &self,
        caller: &Caller,
        registration: Registration,
        collection: &str,
        user_id: &str,
        live: &[u8],
    ) -> Registration {
        let face_ids = match self
            .faces
            .enroll(collection, user_id, live, &registration.id)
            .await
        {
            Ok(ids) => ids,
            Err(error) => {
                tracing::error!(error = %error, "face enrolment failed");
                return registration;
            }
        };
        let id = registration.id.clone();
        let fallback = registration.clone();
        let saved = self
            .registrations
            .update_from(caller, &id, Some(registration), false, |r, _, now| {
                r.identity.get_or_insert_with(Default::default).enrollment = Some(Enrollment {
                    collection: collection.to_string(),
                    user_id: user_id.to_string(),
                    face_ids: face_ids.clone(),
                    enrolled_at: now,
                });
                Ok(())
            })
            .await;
        match saved {
            Ok((registration, _)) => registration,
            Err(error) => {
                tracing::error!(error = %error, "face enrolled but not recorded");
                fallback
            }
        }
    }
}

/// At most `MAX_SESSIONS_PER_WINDOW` sessions in one session lifetime.
fn check_session_budget(registration: &Registration, now: Timestamp) -> Result<()> {
    let Some(evidence) = &registration.identity else {
        return Ok(());
    };
    if evidence.recent_sessions(now) < MAX_SESSIONS_PER_WINDOW {
        return Ok(());
    }
    let oldest = evidence
        .liveness_sessions
        .iter()
        .filter(|s| !s.expired(now))
        .map(|s| s.created_at)
        .min()
        .unwrap_or(now);
    Err(Error::TooManyRequests {
        code: "liveness_sessions_exhausted",
        message: "too many liveness sessions for this registration; wait before starting another"
            .into(),
        retry_after: Some(now.seconds_until(oldest.plus_seconds(LIVENESS_SESSION_SECONDS)) + 1),
    })
}

/// The session was started for this registration, is unused and alive.
fn usable_session(registration: &Registration, session_id: &str, now: Timestamp) -> Result<()> {
    let session = registration
        .identity
        .as_ref()
        .and_then(|e| e.session(session_id))
        .ok_or_else(session_not_found)?;
    if session.used_at.is_some() {
        return Err(session_used());
    }
    if session.expired(now) {
        return Err(session_expired());
    }
    Ok(())
}
