//! An App Registration: one new user's onboarding journey through a flow.
//!
//! Serialized in seed 003's and Verifik's field names, so storage and the
//! API share one shape. The contact codes live in a separate code session
//! (an App Login record with `registration` set), checked by the same code
//! machinery as sign-ins; this record mirrors its validations.

mod analytics;
mod progress;

pub use analytics::{
    delta as analytics_delta, AnalyticsDelta, AnalyticsReport, DayCounters, StepFunnel,
};
pub use progress::{ManualReview, NewResult, ReviewDecision};

use super::contact::{Email, Phone};
use super::flow::ProjectFlow;
use super::ids::new_id;
use super::login::{AccessEvent, AccessEventKind, RequestOrigin, Validation};
use super::onboarding::{Requirement, ResultStatus, StepName};
use super::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RegistrationStatus {
    Started,
    Ongoing,
    Completed,
    CompletedWithoutKyc,
    Failed,
    NeedsManualVerification,
    Expired,
}

impl RegistrationStatus {
    pub const ALL: [RegistrationStatus; 7] = [
        RegistrationStatus::Started,
        RegistrationStatus::Ongoing,
        RegistrationStatus::Completed,
        RegistrationStatus::CompletedWithoutKyc,
        RegistrationStatus::Failed,
        RegistrationStatus::NeedsManualVerification,
        RegistrationStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Started => "STARTED",
            RegistrationStatus::Ongoing => "ONGOING",
            RegistrationStatus::Completed => "COMPLETED",
            RegistrationStatus::CompletedWithoutKyc => "COMPLETED_WITHOUT_KYC",
            RegistrationStatus::Failed => "FAILED",
            RegistrationStatus::NeedsManualVerification => "NEEDS_MANUAL_VERIFICATION",
            RegistrationStatus::Expired => "EXPIRED",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(input))
    }

    /// Still accepting codes, data and results.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            RegistrationStatus::Started | RegistrationStatus::Ongoing
        )
    }

    pub fn is_success(self) -> bool {
        matches!(
            self,
            RegistrationStatus::Completed | RegistrationStatus::CompletedWithoutKyc
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Pending,
    Passed,
    Failed,
}

/// One step's result so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepProgress {
    pub step: StepName,
    pub requirement: Requirement,
    pub status: StepStatus,
    pub attempts: u32,
    pub max_attempts: u32,
    /// When the enrollee first reached the step.
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    pub failure_reasons: Vec<String>,
}

/// Who reported a result: the client's backend (API key), Gatehouse itself
/// (code checks) or the enrollee (submitted data).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationResult {
    pub step: StepName,
    pub status: ResultStatus,
    /// The verifying service, as the reporter named it.
    pub verifier: String,
    pub reported_by: String,
    pub reason: Option<String>,
    pub reference: Option<String>,
    pub reported_at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedFlagCode {
    TooManyFailedCodes,
    IdentifierReused,
    IpVelocity,
    ResultContradiction,
    NameMismatch,
    ClientStatusMismatch,
    /// The live face matches a face enrolled under another identity.
    FaceAlreadyEnrolled,
    /// A still frame stood in for a liveness check (the flow's
    /// `stillFrame: manualReview`): a person must decide.
    LivenessNotProven,
}

impl RedFlagCode {
    /// Sends the registration to a person whatever the flow's
    /// `manualVerification` says.
    pub fn forces_review(self) -> bool {
        matches!(self, RedFlagCode::LivenessNotProven)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RedFlag {
    pub code: RedFlagCode,
    pub detail: String,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailedValidation {
    pub step: StepName,
    pub reason: String,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    #[serde(rename = "_id")]
    pub id: String,
    pub client: String,
    pub project: String,
    pub project_flow: String,
    pub status: RegistrationStatus,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub country_code: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub language: String,
    pub current_step: Option<StepName>,
    pub steps: Vec<StepProgress>,
    pub verification_results: Vec<VerificationResult>,
    pub red_flags: Vec<RedFlag>,
    pub failed_validations: Vec<FailedValidation>,
    pub email_validation: Option<Validation>,
    pub phone_validation: Option<Validation>,
    pub access_control_log: Vec<AccessEvent>,
    /// Submitted `basicInformation` and `form` data, by step name.
    #[serde(default)]
    pub information: Map<String, Value>,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    /// The operator's decision, for a registration that was held for one.
    #[serde(default)]
    pub manual_review: Option<ManualReview>,
    /// The enrollee chose to stop after the sign-up form, where the flow
    /// allows it (`allowSkipKYC`).
    #[serde(
        default,
        rename = "skippedKYC",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub skipped_kyc: bool,
    /// What Gatehouse verified itself (document, live face), where the flow
    /// has it verify: for the tenant; the enrollee sees only the checks'
    /// outcomes.
    #[serde(
        default,
        rename = "identityVerification",
        skip_serializing_if = "Option::is_none"
    )]
    pub identity: Option<super::identity::IdentityEvidence>,
    /// The code session holding this registration's contact codes. Internal.
    pub verification_session: String,
    /// Bumped on every write; the store's optimistic lock. Internal.
    pub version: u64,
}

/// The enrollee as the create call describes them.
#[derive(Clone, Debug)]
pub struct Enrollee {
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub language: String,
}

/// How many entries the per-registration logs keep: an item stays well
/// under DynamoDB's 400 KB however long an attack goes on.
pub const MAX_LOG_ENTRIES: usize = 100;

fn push_bounded<T>(list: &mut Vec<T>, entry: T) {
    if list.len() >= MAX_LOG_ENTRIES {
        list.remove(0);
    }
    list.push(entry);
}

impl Registration {
    pub fn start(
        flow: &ProjectFlow,
        enrollee: &Enrollee,
        verification_session: String,
        origin: &RequestOrigin,
        now: Timestamp,
    ) -> Self {
        let settings = &flow.onboarding_settings;
        let steps = settings
            .steps
            .required()
            .into_iter()
            .map(|(step, requirement)| StepProgress {
                step,
                requirement,
                status: StepStatus::Pending,
                attempts: 0,
                max_attempts: settings.max_attempts,
                started_at: None,
                completed_at: None,
                updated_at: now,
                failure_reasons: Vec::new(),
            })
            .collect();
        let full_name = enrollee.full_name.clone().or_else(|| {
            match (&enrollee.first_name, &enrollee.last_name) {
                (Some(f), Some(l)) => Some(format!("{f} {l}")),
                (Some(n), None) | (None, Some(n)) => Some(n.clone()),
                (None, None) => None,
            }
        });
        let mut registration = Registration {
            id: new_id(),
            client: flow.client.clone(),
            project: flow.project.clone(),
            project_flow: flow.id.clone(),
            status: RegistrationStatus::Started,
            email: enrollee.email.as_ref().map(|e| e.as_str().to_string()),
            phone: enrollee.phone.as_ref().map(|p| p.number.clone()),
            country_code: enrollee.phone.as_ref().map(|p| p.country_code.clone()),
            first_name: enrollee.first_name.clone(),
            last_name: enrollee.last_name.clone(),
            full_name,
            language: enrollee.language.clone(),
            current_step: None,
            steps,
            verification_results: Vec::new(),
            red_flags: Vec::new(),
            failed_validations: Vec::new(),
            email_validation: None,
            phone_validation: None,
            access_control_log: vec![origin.event(AccessEventKind::Created, None, now)],
            information: Map::new(),
            expires_at: now.plus_seconds(settings.lifetime_seconds()),
            created_at: now,
            updated_at: now,
            completed_at: None,
            manual_review: None,
            skipped_kyc: false,
            identity: None,
            verification_session,
            version: 0,
        };
        registration.recompute(flow, now);
        registration
    }

    pub fn step(&self, step: StepName) -> Option<&StepProgress> {
        self.steps.iter().find(|s| s.step == step)
    }

    pub fn step_mut(&mut self, step: StepName) -> Option<&mut StepProgress> {
        self.steps.iter_mut().find(|s| s.step == step)
    }

    /// Raises a red flag once per code; a repeat refreshes the detail.
    pub fn flag(&mut self, code: RedFlagCode, detail: impl Into<String>, now: Timestamp) {
        let detail = detail.into();
        match self.red_flags.iter_mut().find(|f| f.code == code) {
            Some(flag) => {
                flag.detail = detail;
                flag.at = now;
            }
            None => self.red_flags.push(RedFlag {
                code,
                detail,
                at: now,
            }),
        }
    }

    pub fn log(&mut self, event: AccessEvent) {
        push_bounded(&mut self.access_control_log, event);
    }

    pub fn record_failed_validation(&mut self, step: StepName, reason: String, now: Timestamp) {
        push_bounded(
            &mut self.failed_validations,
            FailedValidation {
                step,
                reason,
                at: now,
            },
        );
    }

    /// The verified identifier the end-user token names: email, else phone.
    pub fn subject(&self) -> Option<String> {
        if let Some(v) = &self.email_validation {
            if v.status == super::login::ValidationStatus::Validated {
                return v.email.clone();
            }
        }
        let v = self.phone_validation.as_ref()?;
        if v.status != super::login::ValidationStatus::Validated {
            return None;
        }
        Phone::parse(v.country_code.as_deref()?, v.phone.as_deref()?)
            .ok()
            .map(|p| p.e164)
    }

    /// The UTC day the registration started: its analytics cohort.
    pub fn cohort_day(&self) -> String {
        self.created_at.to_string()[..10].to_string()
    }
}

#[cfg(test)]
pub(crate) mod tests;
