//! What an onboarding flow asks of a new user: which steps, in what order,
//! how many tries each, and how long the whole registration may take.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The onboarding steps, in the order an enrollee meets them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StepName {
    /// Contact verification: the email and/or phone codes.
    SignUpForm,
    BasicInformation,
    Document,
    Liveness,
    CriminalHistory,
    /// Custom form fields and the signature.
    Form,
}

impl StepName {
    pub const ALL: [StepName; 6] = [
        StepName::SignUpForm,
        StepName::BasicInformation,
        StepName::Document,
        StepName::Liveness,
        StepName::CriminalHistory,
        StepName::Form,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepName::SignUpForm => "signUpForm",
            StepName::BasicInformation => "basicInformation",
            StepName::Document => "document",
            StepName::Liveness => "liveness",
            StepName::CriminalHistory => "criminalHistory",
            StepName::Form => "form",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == input)
    }

    /// Decided by an external verifier, reported with the client's API key.
    pub fn is_external(self) -> bool {
        matches!(
            self,
            StepName::Document | StepName::Liveness | StepName::CriminalHistory
        )
    }

    /// Data the enrollee submits.
    pub fn is_submitted_data(self) -> bool {
        matches!(self, StepName::BasicInformation | StepName::Form)
    }
}

impl std::fmt::Display for StepName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    Mandatory,
    Optional,
    Skip,
}

/// Verifik's `onboardingSettings.steps`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct OnboardingSteps {
    pub sign_up_form: Requirement,
    pub basic_information: Requirement,
    pub document: Requirement,
    pub liveness: Requirement,
    pub criminal_history: Requirement,
    pub form: Requirement,
}

impl Default for OnboardingSteps {
    fn default() -> Self {
        Self {
            sign_up_form: Requirement::Mandatory,
            basic_information: Requirement::Mandatory,
            document: Requirement::Mandatory,
            liveness: Requirement::Mandatory,
            criminal_history: Requirement::Skip,
            form: Requirement::Skip,
        }
    }
}

impl OnboardingSteps {
    pub fn requirement(&self, step: StepName) -> Requirement {
        match step {
            StepName::SignUpForm => self.sign_up_form,
            StepName::BasicInformation => self.basic_information,
            StepName::Document => self.document,
            StepName::Liveness => self.liveness,
            StepName::CriminalHistory => self.criminal_history,
            StepName::Form => self.form,
        }
    }

    /// The steps a registration goes through, in order, without skipped ones.
    pub fn required(&self) -> Vec<(StepName, Requirement)> {
        StepName::ALL
            .into_iter()
            .map(|s| (s, self.requirement(s)))
            .filter(|(_, r)| *r != Requirement::Skip)
            .collect()
    }
}

/// When a registration whose mandatory steps all passed still waits for a
/// person: `NEEDS_MANUAL_VERIFICATION` instead of `COMPLETED`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ManualVerification {
    #[default]
    Never,
    Always,
    OnRedFlags,
}

/// The longest a registration may last: 30 days.
pub const MAX_LIFETIME_MINUTES: u32 = 30 * 24 * 60;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct OnboardingSettings {
    pub steps: OnboardingSteps,
    /// Failed results an externally verified step may take before it fails.
    pub max_attempts: u32,
    /// How long a registration may take from start to finish.
    pub registration_lifetime_minutes: u32,
    pub manual_verification: ManualVerification,
    /// Whether an enrollee may stop after the sign-up form (Verifik's
    /// `skipKYC`): the registration ends `COMPLETED_WITHOUT_KYC`, with a
    /// token that names only the verified contact.
    #[serde(rename = "allowSkipKYC")]
    pub allow_skip_kyc: bool,
    /// Whether Gatehouse verifies the document and the live face itself, and
    /// its thresholds.
    pub identity_verification: crate::domain::identity::IdentitySettings,
}

impl Default for OnboardingSettings {
    fn default() -> Self {
        Self {
            steps: OnboardingSteps::default(),
            max_attempts: 3,
            registration_lifetime_minutes: 24 * 60,
            manual_verification: ManualVerification::Never,
            allow_skip_kyc: false,
            identity_verification: Default::default(),
        }
    }
}

impl OnboardingSettings {
    pub fn validate(&self) -> Result<()> {
        // The end-user token names the verified contact, so contact
        // verification is what every onboarding rests on.
        if self.steps.sign_up_form != Requirement::Mandatory {
            return Err(Error::invalid(
                "invalid_onboarding_settings",
                "steps.signUpForm must be mandatory: the token names the verified contact",
            ));
        }
        if !(1..=10).contains(&self.max_attempts) {
            return Err(Error::invalid(
                "invalid_onboarding_settings",
                "maxAttempts must be between 1 and 10",
            ));
        }
        if !(10..=MAX_LIFETIME_MINUTES).contains(&self.registration_lifetime_minutes) {
            return Err(Error::invalid(
                "invalid_onboarding_settings",
                "registrationLifetimeMinutes must be between 10 and 43200 (30 days)",
            ));
        }
        self.identity_verification.validate()
    }

    pub fn lifetime_seconds(&self) -> i64 {
        i64::from(self.registration_lifetime_minutes) * 60
    }
}

/// What a verifier reports for one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultStatus {
    Passed,
    Failed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_steps_keep_order_and_drop_skipped_ones() {
        let steps = OnboardingSteps::default();
        let names: Vec<_> = steps.required().into_iter().map(|(s, _)| s).collect();
        assert_eq!(
            names,
            vec![
                StepName::SignUpForm,
                StepName::BasicInformation,
                StepName::Document,
                StepName::Liveness
            ]
        );
    }

    #[test]
    fn settings_reject_nonsense() {
        assert!(OnboardingSettings::default().validate().is_ok());
        let mut s = OnboardingSettings::default();
        s.steps.sign_up_form = Requirement::Optional;
        assert!(s.validate().is_err());
        let s = OnboardingSettings {
            max_attempts: 0,
            ..Default::default()
        };
        assert!(s.validate().is_err());
        let s = OnboardingSettings {
            registration_lifetime_minutes: 5,
            ..Default::default()
        };
        assert!(s.validate().is_err());
        let unknown: std::result::Result<OnboardingSettings, _> =
            serde_json::from_str(r#"{"steps":{"selfie":"mandatory"}}"#);
        assert!(unknown.is_err());
    }
}
