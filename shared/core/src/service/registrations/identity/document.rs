//! `POST /v2/document-validations/app-registration`: read the document, crop
//! its portrait, judge it.

use super::images::{check_image, crop_face};
use super::{image_prefix, ready_for, verified_here, IdentityChecks, Outcome};
use crate::domain::identity::{
    judge_document, mrz, usable_faces, DocumentFields, ReadDocument, StepCheck,
};
use crate::domain::ids::new_id;
use crate::domain::login::RequestOrigin;
use crate::domain::onboarding::StepName;
use crate::domain::Registration;
use crate::error::Result;
use crate::ports::{DocumentReader, FaceEngine, IdentityPorts, ImageStore};
use crate::service::Caller;

/// The document's photo page, and its back where the zone is printed there
/// (ID cards).
#[derive(Clone, Debug)]
pub struct DocumentImages {
    pub front: Vec<u8>,
    pub back: Option<Vec<u8>>,
}

impl<P: IdentityPorts> IdentityChecks<P> {
    /// Reads the zone (front, then back) or, without one, the printed
    /// fields; finds the portrait; checks dates, number and names; and
    /// records the document step's result. Returns
    /// the registration and the check.
    #[tracing::instrument(skip_all, fields(registration_id = %id))]
    pub async fn check_document(
        &self,
        caller: &Caller,
        id: &str,
        images: DocumentImages,
        origin: &RequestOrigin,
    ) -> Result<(Registration, StepCheck)> {
        let registration = self.registrations.load(caller, id).await?;
        let flow = self.registrations.flow_of(&registration).await?;
        let settings = verified_here(&flow)?.clone();
        ready_for(&registration, StepName::Document)?;
        check_image(&images.front, "image")?;
        if let Some(back) = &images.back {
            check_image(back, "backImage")?;
        }

        let upload = format!("{}document-{}", image_prefix(&registration), new_id());
        let mut stored = vec![format!("{upload}-front")];
        self.images.put(&stored[0], images.front.clone()).await?;
        let mut lines = self.documents.read_lines(&images.front).await?;
        if let Some(back) = images.back {
            stored.push(format!("{upload}-back"));
            self.images.put(&stored[1], back.clone()).await?;
            lines.extend(self.documents.read_lines(&back).await?);
        }
        let faces = self.faces.detect_faces(&images.front).await?;
        let now = self.registrations.clock.now();
        let today = now.date();
        // The zone first: cheap to read and guarded by check digits. A
        // document without one (a US licence) is read field by field.
        let read = match mrz::find(&lines, today) {
            Err(mrz::MrzError::NotFound) => {
                ReadDocument::from_id_fields(&self.documents.read_id_fields(&images.front).await?)
            }
            zone => ReadDocument::from_zone(zone),
        };
        let reasons = judge_document(&read, &faces, &settings, today);
        let portrait = match usable_faces(&faces).as_slice() {
            [face] => {
                let key = format!("{upload}-face");
                self.images
                    .put(&key, crop_face(&images.front, face)?)
                    .await?;
                Some(key)
            }
            _ => None,
        };
        let fields = read.as_ref().ok().map(DocumentFields::from_read);
        tracing::info!(
            passed = reasons.is_empty(),
            reasons = ?reasons,
            lines = lines.len(),
            faces = faces.len(),
            "document checked"
        );

        let (registration, _) = self
            .registrations
            .update_from(caller, id, Some(registration), true, |r, _, now| {
                ready_for(r, StepName::Document)?;
                let evidence = r.identity.get_or_insert_with(Default::default);
                for key in stored.iter().chain(portrait.iter()) {
                    evidence.add_image(key.clone());
                }
                if fields.is_some() {
                    evidence.document = fields.clone();
                }
                if reasons.is_empty() {
                    evidence.document_face = portrait.clone();
                }
                Outcome {
                    step: StepName::Document,
                    reasons: &reasons,
                    verifier: "gatehouse",
                    reference: None,
                    document_name: fields.as_ref().map(DocumentFields::full_name),
                }
                .record(r, origin, now);
                Ok(())
            })
            .await?;
        let check = last_check(&registration, StepName::Document)?;
        Ok((registration, check))
    }
}

/// The check just recorded for `step`.
pub(super) fn last_check(registration: &Registration, step: StepName) -> Result<StepCheck> {
    registration
        .identity
        .as_ref()
        .and_then(|e| e.checks.iter().rev().find(|c| c.step == step))
        .cloned()
        .ok_or_else(|| crate::error::Error::internal("a check was recorded but is not stored"))
}
