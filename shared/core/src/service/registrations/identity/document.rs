//! `POST /v2/document-validations/app-registration`: read the document, crop
//! its portrait, judge it.

use super::images::crop_face;
use super::{image_prefix, ready_for, verified_here, IdentityChecks, Outcome};
use crate::domain::identity::{
    judge_document, mrz, usable_faces, DetectedFace, DocumentFields, ReadDocument, ReadFailure,
    StepCheck,
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
        let mut uploads = vec![(images.front.as_slice(), "image")];
        if let Some(back) = &images.back {
            uploads.push((back.as_slice(), "backImage"));
        }
        self.admit_upload(caller, &registration, StepName::Document, &uploads, origin)
            .await?;

        let upload = format!("{}document-{}", image_prefix(&registration), new_id());
        let portrait_key = format!("{upload}-face");
        let mut stored = vec![format!("{upload}-front")];
        if images.back.is_some() {
            stored.push(format!("{upload}-back"));
        }
        let tracked: Vec<String> = stored
            .iter()
            .cloned()
            .chain([portrait_key.clone()])
            .collect();
        let registration = self.track_images(caller, registration, &tracked).await?;
        let read = self.read_document(&images, &stored).await;
        let (lines, faces, read) = match read {
            Ok(read) => read,
            Err(error) => {
                return Err(self
                    .spend_attempt(caller, id, StepName::Document, error, origin)
                    .await)
            }
        };
        let today = self.registrations.clock.now().date();
        let reasons = judge_document(&read, &faces, &settings, today);
        let portrait = match usable_faces(&faces).as_slice() {
            [face] => {
                self.images
                    .put(&portrait_key, crop_face(&images.front, face)?)
                    .await?;
                Some(portrait_key)
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

impl<P: IdentityPorts> IdentityChecks<P> {
    /// Stores the sides under `keys` (already on the record) and reads
    /// them: the zone (front, then back) or, without one, the printed
    /// fields; and the faces on the front. Any failure here is the
    /// upload's, and spends its attempt.
    async fn read_document(
        &self,
        images: &DocumentImages,
        keys: &[String],
    ) -> Result<(
        Vec<String>,
        Vec<DetectedFace>,
        std::result::Result<ReadDocument, ReadFailure>,
    )> {
        self.images.put(&keys[0], images.front.clone()).await?;
        let mut lines = self.documents.read_lines(&images.front).await?;
        if let (Some(back), Some(key)) = (&images.back, keys.get(1)) {
            self.images.put(key, back.clone()).await?;
            lines.extend(self.documents.read_lines(back).await?);
        }
        let faces = self.faces.detect_faces(&images.front).await?;
        // The zone first: cheap to read and guarded by check digits. A
        // document without one (a US licence) is read field by field.
        let today = self.registrations.clock.now().date();
        let read = match mrz::find(&lines, today) {
            Err(mrz::MrzError::NotFound) => {
                ReadDocument::from_id_fields(&self.documents.read_id_fields(&images.front).await?)
            }
            zone => ReadDocument::from_zone(zone),
        };
        Ok((lines, faces, read))
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
