//! `DELETE /v2/app-registrations/{id}/biometrics`: the tenant deletes what
//! identity verification stored about one enrollee.

use super::{image_prefix, IdentityChecks};
use crate::domain::login::{AccessEventKind, RequestOrigin};
use crate::domain::Registration;
use crate::error::Result;
use crate::ports::{FaceEngine, IdentityPorts, ImageStore};
use crate::service::registrations::enrollee_not_allowed;
use crate::service::Caller;

impl<P: IdentityPorts> IdentityChecks<P> {
    /// Deletes the stored images (documents, portrait crops, liveness
    /// frames), the face and user in the project's collection, and the
    /// fields read from the document. The checks' outcomes stay; the
    /// registration's status does not change. API key only.
    #[tracing::instrument(skip_all, fields(registration_id = %id))]
    pub async fn redact(
        &self,
        caller: &Caller,
        id: &str,
        origin: &RequestOrigin,
    ) -> Result<Registration> {
        if !matches!(caller, Caller::Client(_)) {
            return Err(enrollee_not_allowed());
        }
        let registration = self.registrations.load(caller, id).await?;
        let objects = self
            .images
            .delete_prefix(&image_prefix(&registration))
            .await?;
        let enrollment = registration
            .identity
            .as_ref()
            .and_then(|e| e.enrollment.clone());
        if let Some(enrollment) = &enrollment {
            self.faces
                .forget(
                    &enrollment.collection,
                    &enrollment.user_id,
                    &enrollment.face_ids,
                )
                .await?;
        }
        let (registration, _) = self
            .registrations
            .update_from(caller, id, Some(registration), false, |r, _, now| {
                r.identity.get_or_insert_with(Default::default).redact(now);
                r.log(origin.event(AccessEventKind::BiometricsRedacted, None, now));
                Ok(())
            })
            .await?;
        tracing::info!(
            objects_deleted = objects,
            faces_deleted = enrollment.map_or(0, |e| e.face_ids.len()),
            "biometrics redacted"
        );
        Ok(registration)
    }
}
