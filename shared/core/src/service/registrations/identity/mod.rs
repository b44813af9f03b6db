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
use crate::domain::identity::{FaceDecision, IdentitySettings, Reason, StepCheck};
use crate::domain::login::{AccessEventKind, RequestOrigin};
use crate::domain::onboarding::StepName;
use crate::domain::registration::{NewResult, StepStatus};
use crate::domain::{ProjectFlow, Registration, Timestamp};
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

/// One check's outcome, as every identity check records it.
struct Outcome<'a> {
    step: StepName,
    reasons: &'a [Reason],
    verifier: &'static str,
    reference: Option<String>,
    document_name: Option<String>,
}

impl Outcome<'_> {
    /// Records the check (with the attempts it leaves), the step result
    /// that `Registration::recompute` decides from, and the access log.
    /// What only one check stores (scores, images, flags) is set beside it.
    fn record(self, r: &mut Registration, origin: &RequestOrigin, now: Timestamp) {
        let left = match r.step(self.step) {
            Some(s) if !self.reasons.is_empty() => s.max_attempts.saturating_sub(s.attempts + 1),
            _ => 0,
        };
        let check = StepCheck::new(self.step, self.reasons, left, now);
        r.identity
            .get_or_insert_with(Default::default)
            .record_check(check.clone());
        r.apply_result(
            &NewResult {
                step: self.step,
                status: check.status,
                verifier: self.verifier.into(),
                reason: check.reason(),
                reference: self.reference,
                document_name: self.document_name,
            },
            "gatehouse",
            now,
        );
        r.log(origin.event(AccessEventKind::IdentityChecked, None, now));
    }
}

fn caller_tenant(caller: &Caller) -> &str {
    match caller {
        Caller::Client(client) => client.as_str(),
        Caller::Enrollee(claims) => claims.client.as_str(),
    }
}
