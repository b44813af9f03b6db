//! Identity verification done by Gatehouse: the document, the live face and
//! the face match, on the flow's thresholds. Every outcome lands on the
//! registration as a step result, so `Registration::recompute` still alone
//! decides the status.

mod document;
mod images;
mod liveness;
mod redact;
mod still_frame;

pub use document::DocumentImages;
pub use images::{check_image, MAX_IMAGE_BYTES};
pub use liveness::StartedLiveness;

use super::steps::ensure_step_in_flow;
use super::{closed, Caller, Registrations};
use crate::domain::identity::{FaceDecision, IdentitySettings};
use crate::domain::onboarding::StepName;
use crate::domain::registration::StepStatus;
use crate::domain::{ProjectFlow, Registration};
use crate::error::{Error, Result};
use crate::ports::IdentityPorts;

/// The identity checks of one function, over its adapters.
pub struct IdentityChecks<P: IdentityPorts> {
    registrations: Registrations<P>,
    faces: P::Faces,
    documents: P::Documents,
    images: P::Images,
    /// The bucket the liveness service writes its images to.
    bucket: String,
}

impl<P: IdentityPorts> IdentityChecks<P> {
    pub fn new(
        registrations: Registrations<P>,
        faces: P::Faces,
        documents: P::Documents,
        images: P::Images,
        bucket: impl Into<String>,
    ) -> Self {
        Self {
            registrations,
            faces,
            documents,
            images,
            bucket: bucket.into(),
        }
    }

    pub fn registrations(&self) -> &Registrations<P> {
        &self.registrations
    }
}

impl<P: IdentityPorts> IdentityChecks<P> {
    /// `POST /v2/face-recognition/compare/app-registration`: whether the
    /// live face matched the document, from the checks already made. It
    /// runs no new compare, so it costs nothing and cannot be used to probe
    /// the threshold.
    pub async fn face_decision(&self, caller: &Caller, id: &str) -> Result<FaceDecision> {
        let registration = self.registrations.load(caller, id).await?;
        Ok(registration
            .identity
            .as_ref()
            .map_or(FaceDecision::NotChecked, |e| e.face_decision()))
    }
}

/// Where one registration's images live: every key starts with it, so a
/// redaction deletes one prefix.
fn image_prefix(registration: &Registration) -> String {
    format!("{}/{}/", registration.client, registration.id)
}

/// The flow's settings, if Gatehouse verifies identities on it.
fn verified_here(flow: &ProjectFlow) -> Result<&IdentitySettings> {
    let settings = &flow.onboarding_settings.identity_verification;
    if settings.gatehouse_verifies() {
        Ok(settings)
    } else {
        Err(Error::conflict(
            "identity_verified_externally",
            "this projectFlow has an external verifier report document and liveness results \
             (onboardingSettings.identityVerification.verifier is external)",
        ))
    }
}

/// A step can be checked: the registration is active, the step is in the
/// flow and undecided, and the contacts are verified (no one spends the
/// tenant's Rekognition budget before proving an email or phone).
fn ready_for(registration: &Registration, step: StepName) -> Result<()> {
    if !registration.status.is_active() {
        return Err(closed(registration.status));
    }
    ensure_step_in_flow(registration, step)?;
    if registration
        .step(StepName::SignUpForm)
        .is_some_and(|s| s.status != StepStatus::Passed)
    {
        return Err(Error::conflict(
            "signUpForm_not_passed",
            "verify the contact codes before the identity steps",
        ));
    }
    match registration.step(step).map(|s| s.status) {
        Some(StepStatus::Pending) => Ok(()),
        _ => Err(Error::conflict(
            match step {
                StepName::Document => "document_already_decided",
                _ => "liveness_already_decided",
            },
            format!("the {step} step of this registration is already decided"),
        )),
    }
}

/// Attempts left once a failure is counted.
fn attempts_left_after_failure(registration: &Registration, step: StepName) -> u32 {
    registration
        .step(step)
        .map_or(0, |s| s.max_attempts.saturating_sub(s.attempts + 1))
}

fn caller_tenant(caller: &Caller) -> &str {
    match caller {
        Caller::Client(client) => client.as_str(),
        Caller::Enrollee(claims) => claims.client.as_str(),
    }
}
