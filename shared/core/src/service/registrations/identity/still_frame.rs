//! Verifik's `{image, os}` on the liveness step: one still frame, which
//! proves no liveness. Refused, unless the flow chose `stillFrame:
//! manualReview`: then the frame's face is matched against the document
//! and a person decides.

use super::document::last_check;
use super::liveness::document_first;
use super::{image_prefix, ready_for, verified_here, IdentityChecks, Outcome};
use crate::domain::identity::{judge_match, DetectedFace, StepCheck, StillFrame};
use crate::domain::ids::new_id;
use crate::domain::login::RequestOrigin;
use crate::domain::onboarding::StepName;
use crate::domain::registration::RedFlagCode;
use crate::domain::Registration;
use crate::error::{Error, Result};
use crate::ports::{FaceEngine, IdentityPorts, ImageStore};
use crate::service::Caller;

pub(super) fn session_required() -> Error {
    Error::invalid(
        "liveness_session_required",
        "a single still frame cannot prove liveness: start a session with POST \
         /v2/biometric-validations/app-registration/session, run the liveness check \
         with its sessionId, then send {sessionId} here",
    )
}

impl<P: IdentityPorts> IdentityChecks<P> {
    /// `POST /v2/biometric-validations/app-registration {image, os}`.
    /// `frame` is the decoded image, or why it could not be decoded: on a
    /// flow that refuses still frames either way gets the same 400 and
    /// spends nothing; on one that takes them, a bad frame is charged and
    /// spends an attempt like any refused upload.
    #[tracing::instrument(skip_all, fields(registration_id = %id))]
    pub async fn check_still_frame(
        &self,
        caller: &Caller,
        id: &str,
        frame: Result<Vec<u8>>,
        origin: &RequestOrigin,
    ) -> Result<(Registration, StepCheck)> {
        let registration = self.registrations.load(caller, id).await?;
        let flow = self.registrations.flow_of(&registration).await?;
        let settings = verified_here(&flow)?.clone();
        if settings.still_frame != StillFrame::ManualReview {
            return Err(session_required());
        }
        let frame = match frame {
            Ok(frame) => frame,
            Err(error) => {
                return Err(self
                    .refused_upload(caller, id, StepName::Liveness, error, origin)
                    .await)
            }
        };
        ready_for(&registration, StepName::Liveness)?;
        document_first(&registration)?;
        self.admit_upload(
            caller,
            &registration,
            StepName::Liveness,
            &[(frame.as_slice(), "image")],
            origin,
        )
        .await?;
        let key = format!("{}still-{}", image_prefix(&registration), new_id());
        let registration = self
            .track_images(caller, registration, std::slice::from_ref(&key))
            .await?;
        let (faces, similarity) = match self.match_still(&registration, &key, &frame).await {
            Ok(matched) => matched,
            Err(error) => {
                return Err(self
                    .spend_attempt(caller, id, StepName::Liveness, error, origin)
                    .await)
            }
        };
        let reasons = judge_match(&faces, similarity, &settings);
        tracing::info!(passed = reasons.is_empty(), reasons = ?reasons, "still frame checked");

        let (registration, _) = self
            .registrations
            .update_from(caller, id, Some(registration), true, |r, _, now| {
                ready_for(r, StepName::Liveness)?;
                let evidence = r.identity.get_or_insert_with(Default::default);
                evidence.scores.liveness = None;
                evidence.scores.similarity = similarity;
                if reasons.is_empty() {
                    r.flag(
                        RedFlagCode::LivenessNotProven,
                        "a still frame stood in for a liveness check",
                        now,
                    );
                }
                Outcome {
                    step: StepName::Liveness,
                    reasons: &reasons,
                    verifier: "gatehouse:still-frame",
                    reference: None,
                    document_name: None,
                }
                .record(r, origin, now);
                Ok(())
            })
            .await?;
        let check = last_check(&registration, StepName::Liveness)?;
        Ok((registration, check))
    }

    /// Stores the frame under `key` (already on the record), finds its
    /// faces and compares it with the document's portrait.
    async fn match_still(
        &self,
        registration: &Registration,
        key: &str,
        frame: &[u8],
    ) -> Result<(Vec<DetectedFace>, Option<f32>)> {
        self.images.put(key, frame.to_vec()).await?;
        let faces = self.faces.detect_faces(frame).await?;
        let portrait = match registration
            .identity
            .as_ref()
            .and_then(|e| e.document_face.as_deref())
        {
            Some(portrait) => self.images.get(portrait).await?,
            None => None,
        };
        let similarity = match &portrait {
            Some(portrait) if !faces.is_empty() => {
                Some(self.faces.compare(frame, portrait).await?.unwrap_or(0.0))
            }
            _ => None,
        };
        Ok((faces, similarity))
    }
}
