//! How results move a registration forward, and how its status follows from
//! them. The status is only ever computed here, never taken from a caller.

use super::{RedFlagCode, Registration, RegistrationStatus, StepStatus, VerificationResult};
use crate::domain::flow::ProjectFlow;
use crate::domain::login::{Login, LoginStatus, ValidationStatus};
use crate::domain::onboarding::{ManualVerification, Requirement, ResultStatus, StepName};
use crate::domain::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An external verifier's result for one step.
#[derive(Clone, Debug)]
pub struct NewResult {
    pub step: StepName,
    pub status: ResultStatus,
    pub verifier: String,
    pub reason: Option<String>,
    pub reference: Option<String>,
    /// The full name printed on the document, when the verifier read one.
    pub document_name: Option<String>,
}

/// An operator's decision on a registration held for manual verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewDecision {
    Approve,
    Reject,
}

/// Who decided a held registration, how, why and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualReview {
    pub decision: ReviewDecision,
    /// The person or system that decided, as the client's backend named it.
    pub reviewer: String,
    pub reported_by: String,
    pub reason: Option<String>,
    pub decided_at: Timestamp,
}

/// Lowercased words of a name, accents and punctuation aside, in order.
fn name_words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Two names match when one's words are all in the other (a document may
/// carry middle names the form left out).
fn names_match(a: &str, b: &str) -> bool {
    let (a, b) = (name_words(a), name_words(b));
    if a.is_empty() || b.is_empty() {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.iter().all(|w| long.contains(w))
}

impl Registration {
    /// Mirrors the code session's state: validations, the signUpForm step's
    /// attempts and result.
    pub fn absorb_contacts(&mut self, session: &Login, now: Timestamp) {
        self.email_validation = session.email_validation.clone();
        self.phone_validation = session.phone_validation.clone();
        let attempts: u32 = session
            .channels()
            .iter()
            .filter_map(|c| session.validation(*c))
            .map(|v| v.attempts)
            .sum();
        let max_attempts: u32 = session
            .channels()
            .iter()
            .filter_map(|c| session.validation(*c))
            .map(|v| v.max_attempts)
            .sum();
        let status = match session.status {
            LoginStatus::Validated => StepStatus::Passed,
            LoginStatus::Failed => StepStatus::Failed,
            LoginStatus::Pending => StepStatus::Pending,
        };
        if let Some(step) = self.step_mut(StepName::SignUpForm) {
            if step.attempts != attempts || step.status != status {
                step.updated_at = now;
            }
            step.attempts = attempts;
            step.max_attempts = max_attempts;
            if step.status == StepStatus::Pending && status != StepStatus::Pending {
                step.completed_at = Some(now);
            }
            step.status = status;
        }
        let locked = session
            .channels()
            .iter()
            .filter_map(|c| session.validation(*c))
            .any(|v| v.status == ValidationStatus::Failed);
        if attempts >= 3 || locked {
            self.flag(
                RedFlagCode::TooManyFailedCodes,
                format!("{attempts} code attempts on contact verification"),
                now,
            );
        }
    }

    /// Records an external verifier's result. A result that contradicts an
    /// earlier one raises a red flag and never leaves a pass standing.
    pub fn apply_result(&mut self, result: &NewResult, reported_by: &str, now: Timestamp) {
        let current = self.step(result.step).map(|s| s.status);
        let contradicts = match result.status {
            ResultStatus::Failed => current == Some(StepStatus::Passed),
            ResultStatus::Passed => current == Some(StepStatus::Failed),
        };
        if contradicts {
            self.flag(
                RedFlagCode::ResultContradiction,
                format!(
                    "{} reported {} after the step had {}",
                    result.step,
                    status_word(result.status),
                    if result.status == ResultStatus::Passed {
                        "failed"
                    } else {
                        "passed"
                    },
                ),
                now,
            );
        }
        if let Some(document_name) = &result.document_name {
            if let Some(form_name) = self.full_name.clone() {
                if !names_match(document_name, &form_name) {
                    self.flag(
                        RedFlagCode::NameMismatch,
                        "the name on the document differs from the name given",
                        now,
                    );
                }
            }
        }
        super::push_bounded(
            &mut self.verification_results,
            VerificationResult {
                step: result.step,
                status: result.status,
                verifier: result.verifier.clone(),
                reported_by: reported_by.to_string(),
                reason: result.reason.clone(),
                reference: result.reference.clone(),
                reported_at: now,
            },
        );
        let reason = result.reason.clone().unwrap_or_else(|| "failed".into());
        let mut failed_reason = None;
        if let Some(step) = self.step_mut(result.step) {
            step.updated_at = now;
            step.started_at.get_or_insert(now);
            match result.status {
                // A step that failed for good stays failed.
                ResultStatus::Passed if step.status == StepStatus::Failed => {}
                ResultStatus::Passed => {
                    step.status = StepStatus::Passed;
                    step.completed_at = Some(now);
                }
                ResultStatus::Failed => {
                    step.attempts += 1;
                    step.failure_reasons.push(reason.clone());
                    step.status = if step.attempts >= step.max_attempts {
                        step.completed_at = Some(now);
                        StepStatus::Failed
                    } else {
                        StepStatus::Pending
                    };
                    failed_reason = Some(reason);
                }
            }
        }
        if let Some(reason) = failed_reason {
            self.record_failed_validation(result.step, reason, now);
        }
    }

    /// Stores `basicInformation` or `form` data; the step passes.
    pub fn submit_information(&mut self, step: StepName, data: Map<String, Value>, now: Timestamp) {
        if step == StepName::BasicInformation {
            let text = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_string);
            if let Some(first) = text("firstName") {
                self.first_name = Some(first);
            }
            if let Some(last) = text("lastName") {
                self.last_name = Some(last);
            }
            match (text("fullName"), &self.first_name, &self.last_name) {
                (Some(full), _, _) => self.full_name = Some(full),
                (None, Some(f), Some(l)) => self.full_name = Some(format!("{f} {l}")),
                _ => {}
            }
        }
        self.information
            .insert(step.as_str().to_string(), Value::Object(data));
        if let Some(progress) = self.step_mut(step) {
            progress.status = StepStatus::Passed;
            progress.started_at.get_or_insert(now);
            progress.completed_at = Some(now);
            progress.updated_at = now;
        }
    }

    /// Settles a registration held for manual verification: approval
    /// completes it, rejection fails it. Returns false, changing nothing,
    /// for a registration that is not waiting for a review.
    pub fn settle_review(&mut self, review: ManualReview) -> bool {
        if self.status != RegistrationStatus::NeedsManualVerification {
            return false;
        }
        self.status = match review.decision {
            ReviewDecision::Approve => RegistrationStatus::Completed,
            ReviewDecision::Reject => RegistrationStatus::Failed,
        };
        self.completed_at = Some(review.decided_at);
        self.updated_at = review.decided_at;
        self.current_step = None;
        self.manual_review = Some(review);
        true
    }

    /// Verifik's `skipKYC`: the enrollee stops after the sign-up form. Only
    /// where the flow allows it, and only once the contacts are verified;
    /// `recompute` then ends the registration `COMPLETED_WITHOUT_KYC`.
    pub fn skip_kyc(&mut self, flow: &ProjectFlow) -> crate::error::Result<()> {
        if !flow.onboarding_settings.allow_skip_kyc {
            return Err(crate::error::Error::conflict(
                "skipKYC_not_allowed",
                "this projectFlow does not allow skipping KYC",
            ));
        }
        if self.step(StepName::SignUpForm).map(|s| s.status) != Some(StepStatus::Passed) {
            return Err(crate::error::Error::conflict(
                "signUpForm_not_passed",
                "verify the contact codes before skipping KYC",
            ));
        }
        self.skipped_kyc = true;
        Ok(())
    }

    /// Derives `status`, `currentStep` and `completedAt` from the steps and
    /// the clock. Final statuses never change. Returns whether anything did.
    pub fn recompute(&mut self, flow: &ProjectFlow, now: Timestamp) -> bool {
        let before = (self.status, self.current_step, self.completed_at);
        if self.status.is_active() {
            let mandatory = |s: &&super::StepProgress| s.requirement == Requirement::Mandatory;
            let failed = self
                .steps
                .iter()
                .filter(mandatory)
                .any(|s| s.status == StepStatus::Failed);
            let all_passed = self
                .steps
                .iter()
                .filter(mandatory)
                .all(|s| s.status == StepStatus::Passed);
            self.current_step = self
                .steps
                .iter()
                .find(|s| s.status == StepStatus::Pending)
                .map(|s| s.step);
            let skipped = self.skipped_kyc
                && flow.onboarding_settings.allow_skip_kyc
                && self
                    .step(StepName::SignUpForm)
                    .is_some_and(|s| s.status == StepStatus::Passed);
            self.status = if failed {
                RegistrationStatus::Failed
            } else if skipped && !all_passed {
                RegistrationStatus::CompletedWithoutKyc
            } else if all_passed {
                let forced = self.red_flags.iter().any(|f| f.code.forces_review());
                let manual = forced
                    || match flow.onboarding_settings.manual_verification {
                        ManualVerification::Never => false,
                        ManualVerification::Always => true,
                        ManualVerification::OnRedFlags => !self.red_flags.is_empty(),
                    };
                if manual {
                    RegistrationStatus::NeedsManualVerification
                } else {
                    RegistrationStatus::Completed
                }
            } else if now > self.expires_at {
                RegistrationStatus::Expired
            } else if self
                .steps
                .iter()
                .any(|s| s.status != StepStatus::Pending || s.attempts > 0)
            {
                RegistrationStatus::Ongoing
            } else {
                RegistrationStatus::Started
            };
            if self.status.is_success() {
                self.completed_at = Some(now);
                self.current_step = None;
            }
            if self.status == RegistrationStatus::Failed {
                // Where it stopped: the mandatory step that failed.
                self.current_step = self
                    .steps
                    .iter()
                    .find(|s| {
                        s.requirement == Requirement::Mandatory && s.status == StepStatus::Failed
                    })
                    .map(|s| s.step);
            }
            if let (true, Some(current)) = (self.status.is_active(), self.current_step) {
                if let Some(step) = self.step_mut(current) {
                    step.started_at.get_or_insert(now);
                }
            }
        }
        let changed = before != (self.status, self.current_step, self.completed_at);
        if changed {
            self.updated_at = now;
        }
        changed
    }
}

fn status_word(status: ResultStatus) -> &'static str {
    match status {
        ResultStatus::Passed => "passed",
        ResultStatus::Failed => "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_ignoring_case_order_punctuation_and_middle_names() {
        assert!(names_match("Ana María López", "ana lópez"));
        assert!(names_match("LOPEZ, ANA", "Ana Lopez"));
        assert!(!names_match("John Smith", "Ana Lopez"));
    }
}
