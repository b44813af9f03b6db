//! The tenant's redaction of a login's biometrics: the session's frames,
//! the face a sign-in enrolled, and the scores.

use super::FaceLogins;
use crate::domain::identity::{collection_id, face_user_id};
use crate::domain::ids::Record;
use crate::domain::login::{AccessEventKind, FaceGuard, FacePurpose, RequestOrigin, SessionGuard};
use crate::domain::{ClientId, Login};
use crate::error::{Error, Result};
use crate::ports::{FaceEngine, FaceSaved, IdentityPorts, ImageStore, LoginStore};

impl<P: IdentityPorts> FaceLogins<P> {
    /// `DELETE /v2/app-logins/{id}/biometrics` (API key). A face this
    /// login enrolled is deleted with its collection user (the user's other
    /// faces go too: this is the person's erasure); a sign-in's check keeps
    /// its outcome and loses its scores and frames.
    #[tracing::instrument(skip_all, fields(login_id = %id))]
    pub async fn redact(
        &self,
        client: &ClientId,
        id: &str,
        origin: &RequestOrigin,
    ) -> Result<Login> {
        Record::Login.id(id)?;
        let mut login = self
            .logins
            .get(id)
            .await?
            .filter(|l| l.client == client.as_str() && l.registration.is_none())
            .ok_or_else(|| Record::Login.not_found())?;
        let face = login
            .biometric_validation
            .clone()
            .ok_or_else(|| Error::conflict("no_biometrics", "this login holds no face check"))?;
        let objects = self
            .images
            .delete_prefix(&Self::image_prefix(&login))
            .await?;
        let enrolled = face.purpose == FacePurpose::Enrolment && !face.face_ids.is_empty();
        if enrolled {
            self.faces
                .forget(
                    &collection_id(&login.project),
                    &face_user_id(&login.client, &face.identifier),
                    &face.face_ids,
                )
                .await?;
        }
        let now = self.clock.now();
        if let Some(face) = login.biometric_validation.as_mut() {
            face.redact(now);
        }
        login
            .access_control_log
            .push(origin.event(AccessEventKind::BiometricsRedacted, None, now));
        login.updated_at = now;
        let guard = FaceGuard {
            status: login.status,
            session: SessionGuard::Replaces(face.session_id.clone()),
        };
        let saved = self
            .logins
            .save_face(&login, &guard, self.retention_end(now), None)
            .await?;
        if saved == FaceSaved::Refused {
            return Err(Error::conflict(
                "login_changed",
                "the login changed while being redacted; try again",
            ));
        }
        tracing::info!(
            objects_deleted = objects,
            faces_deleted = face.face_ids.len(),
            "biometrics redacted"
        );
        Ok(login)
    }
}
