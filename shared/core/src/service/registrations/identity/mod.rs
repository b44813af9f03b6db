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
use crate::domain::limits::AbuseLimits;
use crate::domain::login::{AccessEventKind, RequestOrigin};
use crate::domain::onboarding::StepName;
use crate::domain::registration::{NewResult, StepStatus};
use crate::domain::{ProjectFlow, Registration, Timestamp};
use crate::error::{Error, Result};
use crate::ports::{IdentityPorts, LoginStore};

/// The identity checks of one function, over its adapters.
pub struct IdentityChecks<P: IdentityPorts> {
    registrations: Registrations<P>,
    faces: P::Faces,
    documents: P::Documents,
    images: P::Images,
    /// The bucket the liveness service writes its images to.
    bucket: String,
    limits: AbuseLimits,
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
            limits: AbuseLimits::default(),
        }
    }

    /// Replaces the default identity budgets (and the code machinery's
    /// limits, which the registration's contact codes use).
    pub fn with_limits(mut self, limits: AbuseLimits) -> Self {
        self.registrations = self.registrations.with_limits(limits.clone());
        self.limits = limits;
        self
    }

    pub fn registrations(&self) -> &Registrations<P> {
        &self.registrations
    }

    /// Charges one upload or check to the registration's and the source
    /// IP's hourly budgets, before anything is stored or read: each is a
    /// paid reader call. Refused: 429 with `Retry-After`.
    async fn charge_budget(
        &self,
        registration: &Registration,
        origin: &RequestOrigin,
    ) -> Result<()> {
        let now = self.registrations.clock.now();
        let counters = self.registrations.codes.send.store();
        let ip = origin.ip_address.as_deref();
        for charge in self.limits.identity_charges(now, &registration.id, ip) {
            if !counters.charge(&charge).await? {
                return Err(charge.refusal(now));
            }
        }
        Ok(())
    }

    /// An upload refused before its bytes were an image (not base64, too
    /// large): it is charged and spends an attempt of `step` like any
    /// other refused upload. The answer is `error`, unless the step takes
    /// no upload now or the budget is spent.
    pub async fn refused_upload(
        &self,
        caller: &Caller,
        id: &str,
        step: StepName,
        error: Error,
        origin: &RequestOrigin,
    ) -> Error {
        let admitted = async {
            let registration = self.registrations.load(caller, id).await?;
            ready_for(&registration, step)?;
            self.charge_budget(&registration, origin).await
        };
        match admitted.await {
            Ok(()) => self.spend_attempt(caller, id, step, error, origin).await,
            Err(refusal) => refusal,
        }
    }

    /// An upload that was refused, unreadable or failed: it spends an
    /// attempt of `step` (a failed check, `image_refused` or
    /// `reader_unavailable`), and `error` stays the answer. Should the
    /// record itself fail, the answer is still `error`, and the record's
    /// failure is logged.
    async fn spend_attempt(
        &self,
        caller: &Caller,
        id: &str,
        step: StepName,
        error: Error,
        origin: &RequestOrigin,
    ) -> Error {
        let reason = match &error {
            Error::InvalidInput { .. } | Error::TooLarge { .. } => Reason::ImageRefused,
            _ => Reason::ReaderUnavailable,
        };
        let recorded = self
            .registrations
            .update_from(caller, id, None, true, |r, _, now| {
                ready_for(r, step)?;
                Outcome {
                    step,
                    reasons: &[reason],
                    verifier: "gatehouse",
                    reference: None,
                    document_name: None,
                }
                .record(r, origin, now);
                Ok(())
            })
            .await;
        match recorded {
            Ok(_) => tracing::info!(%step, reason = reason.code(), "upload refused; attempt spent"),
            Err(e) => {
                tracing::warn!(%step, error = %e, "upload refused; its attempt was not recorded")
            }
        }
        error
    }

    /// The charge and the cheap checks of an upload, as one: a refusal
    /// still spends an attempt of `step`.
    async fn admit_upload(
        &self,
        caller: &Caller,
        registration: &Registration,
        step: StepName,
        images: &[(&[u8], &str)],
        origin: &RequestOrigin,
    ) -> Result<()> {
        self.charge_budget(registration, origin).await?;
        for (bytes, field) in images {
            if let Err(error) = check_image(bytes, field) {
                return Err(self
                    .spend_attempt(caller, &registration.id, step, error, origin)
                    .await);
            }
        }
        Ok(())
    }

    /// Puts `keys` on the registration before anything is stored under
    /// them, so that redaction and retention find every object S3 holds.
    async fn track_images(
        &self,
        caller: &Caller,
        registration: Registration,
        keys: &[String],
    ) -> Result<Registration> {
        let id = registration.id.clone();
        let (registration, _) = self
            .registrations
            .update_from(caller, &id, Some(registration), true, |r, _, _| {
                let evidence = r.identity.get_or_insert_with(Default::default);
                for key in keys {
                    evidence.add_image(key.clone());
                }
                Ok(())
            })
            .await?;
        Ok(registration)
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
