//! A flow's identity-verification settings (`onboardingSettings.identityVerification`).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Who decides the document and liveness steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Verifier {
    /// The client's backend reports results (`verification-results`), as
    /// before Gatehouse verified anything itself. The default, so flows
    /// stored before this setting existed keep working unchanged.
    #[default]
    External,
    /// Gatehouse reads the document and checks the live face itself, and
    /// refuses reported results for those steps.
    Gatehouse,
}

/// What a single still frame (Verifik's `{image, os}`) gets on the liveness
/// step. A still frame cannot prove liveness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StillFrame {
    /// A 400 naming the session flow.
    #[default]
    Refuse,
    /// The frame's face is still matched against the document, and the
    /// registration then waits for a person (NEEDS_MANUAL_VERIFICATION,
    /// whatever `manualVerification` says) with the red flag
    /// `liveness_not_proven`.
    ManualReview,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct IdentitySettings {
    pub verifier: Verifier,
    /// The liveness session's confidence must reach this (0-100).
    pub liveness_min_score: f32,
    /// The live face against the document's portrait (0-100).
    pub compare_min_score: f32,
    /// A match in the project's collection at or above this under another
    /// identity raises `face_already_enrolled` (0-100).
    pub search_min_score: f32,
    /// Refuse documents of people younger than this.
    pub minimum_age: Option<u8>,
    pub still_frame: StillFrame,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            verifier: Verifier::External,
            liveness_min_score: 80.0,
            compare_min_score: 90.0,
            search_min_score: 90.0,
            minimum_age: None,
            still_frame: StillFrame::Refuse,
        }
    }
}

impl IdentitySettings {
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("livenessMinScore", self.liveness_min_score),
            ("compareMinScore", self.compare_min_score),
            ("searchMinScore", self.search_min_score),
        ] {
            if !(50.0..=100.0).contains(&value) {
                return Err(Error::invalid(
                    "invalid_identity_settings",
                    format!("identityVerification.{name} must be between 50 and 100 (Rekognition's scale)"),
                ));
            }
        }
        if self.minimum_age.is_some_and(|age| age > 120) {
            return Err(Error::invalid(
                "invalid_identity_settings",
                "identityVerification.minimumAge must be at most 120",
            ));
        }
        Ok(())
    }

    pub fn gatehouse_verifies(&self) -> bool {
        self.verifier == Verifier::Gatehouse
    }
}
