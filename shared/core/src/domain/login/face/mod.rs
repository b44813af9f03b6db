//! Face login: a liveness session bound to an App Login, judged on the
//! flow's thresholds, and the 1:N search that must find the person
//! enrolled under the login's identifier, clearly ahead of anyone else.
//!
//! Three purposes share one shape (`biometricValidation` on the login):
//! the face as the only factor, the face after a code (`requires2FA`), and
//! adding a face to an account after a code login.

use super::{AccessEventKind, Login, LoginStatus, RequestOrigin, Step, StepStatus, StepType};
use crate::domain::face_settings::FaceLoginSettings;
use crate::domain::identity::{usable_faces, DetectedFace, LIVENESS_SESSION_SECONDS};
use crate::domain::ids::new_id;
use crate::domain::time::Timestamp;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FacePurpose {
    /// The face alone signs the user in.
    Login,
    /// The face after the codes (`requires2FA`).
    SecondFactor,
    /// A signed-in user adds a face for later face logins.
    Enrolment,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BiometricStatus {
    New,
    Validated,
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Passed,
    Failed,
}

/// One check's outcome: user-safe codes for everyone, the precise ones for
/// the tenant only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceCheck {
    pub status: CheckStatus,
    pub reason_codes: Vec<String>,
    pub internal_reason_codes: Vec<String>,
}

impl FaceCheck {
    fn passed() -> Self {
        Self {
            status: CheckStatus::Passed,
            reason_codes: Vec::new(),
            internal_reason_codes: Vec::new(),
        }
    }

    fn failed(user_code: &str, internal: &str) -> Self {
        Self {
            status: CheckStatus::Failed,
            reason_codes: vec![user_code.to_string()],
            internal_reason_codes: vec![internal.to_string()],
        }
    }

    pub fn passed_check(&self) -> bool {
        self.status == CheckStatus::Passed
    }
}

/// The numbers behind a decision: for the tenant's API key only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceScores {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness: Option<f32>,
    /// The best match's similarity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
    /// The next user's similarity, when the search found one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner_up: Option<f32>,
}

/// Verifik's `biometricValidation` of an App Login.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BiometricValidation {
    #[serde(rename = "_id")]
    pub id: String,
    pub status: BiometricStatus,
    pub purpose: FacePurpose,
    pub validation_method: String,
    /// The email or E.164 phone the face is enrolled under.
    pub identifier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_expires_at: Option<Timestamp>,
    /// When the session's result was read: a session counts once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness: Option<FaceCheck>,
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub face_match: Option<FaceCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<FaceScores>,
    /// The faces an enrolment indexed, for their redaction.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub face_ids: Vec<String>,
    /// When the tenant deleted the frames, scores and enrolled face.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacted_at: Option<Timestamp>,
    pub ip_address: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl BiometricValidation {
    pub fn new(
        purpose: FacePurpose,
        identifier: String,
        origin: &RequestOrigin,
        now: Timestamp,
    ) -> Self {
        Self {
            id: new_id(),
            status: BiometricStatus::New,
            purpose,
            validation_method: "faceLiveness".into(),
            identifier,
            session_id: None,
            session_expires_at: None,
            used_at: None,
            liveness: None,
            face_match: None,
            scores: None,
            face_ids: Vec::new(),
            redacted_at: None,
            ip_address: origin.ip_address.clone(),
            created_at: now,
            updated_at: now,
        }
    }

    /// Binds a fresh liveness session.
    pub fn bind(&mut self, session_id: String, now: Timestamp) {
        self.session_id = Some(session_id);
        self.session_expires_at = Some(now.plus_seconds(LIVENESS_SESSION_SECONDS));
        self.used_at = None;
        self.status = BiometricStatus::New;
        self.updated_at = now;
    }

    /// Drops what identifies the face: the scores and the enrolled faces'
    /// ids. The outcomes stay, for the audit trail.
    pub fn redact(&mut self, now: Timestamp) {
        self.scores = None;
        self.face_ids.clear();
        self.redacted_at = Some(now);
        self.updated_at = now;
    }

    /// Whether `session_id` is this login's live, unused session.
    pub fn usable_session(&self, session_id: &str, now: Timestamp) -> Result<()> {
        if self.session_id.as_deref() != Some(session_id) {
            return Err(session_not_found());
        }
        if self.used_at.is_some() {
            return Err(session_used());
        }
        if self.session_expires_at.is_none_or(|end| now > end) {
            return Err(session_expired());
        }
        Ok(())
    }
}

pub fn session_not_found() -> Error {
    Error::not_found(
        "liveness_session_not_found",
        "no liveness session with this id was started for this login",
    )
}

pub fn session_used() -> Error {
    Error::conflict(
        "liveness_session_used",
        "this liveness session was already checked; start a new one",
    )
}

pub fn session_expired() -> Error {
    Error::Expired {
        code: "liveness_session_expired",
        message: "this liveness session expired (sessions last 3 minutes); start a new one".into(),
    }
}

/// How long a face-step token lasts: time to start a liveness session
/// (3 minutes) and submit it.
pub const FACE_STEP_SECONDS: i64 = 300;

/// A face is added within this long of the code that proved the
/// identifier: a sign-in token stolen later cannot enrol its thief's face.
pub const ENROLMENT_WINDOW_SECONDS: i64 = 600;

/// What a face login's search found: the best user and the next one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchResult {
    pub best: Option<(String, f32)>,
    pub runner_up: Option<f32>,
}

/// The verdict on one face check, before it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct FaceVerdict {
    pub liveness: FaceCheck,
    pub face_match: Option<FaceCheck>,
    pub scores: FaceScores,
}

impl FaceVerdict {
    pub fn passed(&self) -> bool {
        self.liveness.passed_check()
            && self
                .face_match
                .as_ref()
                .is_some_and(FaceCheck::passed_check)
    }
}

/// The user-safe codes of a failed face login: one for liveness, one for
/// every way the match can fail, so that an identifier with no enrolled
/// face looks exactly like one whose face did not match.
pub const LIVENESS_NOT_PROVEN: &str = "liveness_not_proven";
pub const FACE_NOT_RECOGNIZED: &str = "face_not_recognized";
pub const ENROLMENT_REFUSED: &str = "face_enrolment_refused";

/// Liveness: the session's confidence, and exactly one usable face in its
/// reference frame.
pub fn judge_liveness(
    confidence: Option<f32>,
    faces: &[DetectedFace],
    settings: &FaceLoginSettings,
) -> FaceCheck {
    match (confidence, usable_faces(faces).len()) {
        (None, _) => FaceCheck::failed(LIVENESS_NOT_PROVEN, "liveness_not_completed"),
        (Some(score), _) if score < settings.liveness_min_score => {
            FaceCheck::failed(LIVENESS_NOT_PROVEN, "liveness_below_threshold")
        }
        (_, 0) => FaceCheck::failed(LIVENESS_NOT_PROVEN, "no_face"),
        (_, 1) => FaceCheck::passed(),
        _ => FaceCheck::failed(LIVENESS_NOT_PROVEN, "multiple_faces"),
    }
}

/// Sign-in: the best match is the user enrolled under the identifier, at
/// `searchMinScore` or above, `searchMargin` ahead of the next user.
/// `permitted` is the flow's security lists' word on the identifier: a
/// refused one fails like any other mismatch.
pub fn judge_login_match(
    search: &SearchResult,
    expected_user: &str,
    permitted: bool,
    settings: &FaceLoginSettings,
) -> FaceCheck {
    let fail = |internal| FaceCheck::failed(FACE_NOT_RECOGNIZED, internal);
    match &search.best {
        _ if !permitted => fail("identifier_refused"),
        None => fail("no_match"),
        Some((user, _)) if user != expected_user => fail("other_user"),
        Some((_, similarity)) if *similarity < settings.search_min_score => fail("below_threshold"),
        Some((_, similarity))
            if search
                .runner_up
                .is_some_and(|next| similarity - next < settings.search_margin) =>
        {
            fail("ambiguous")
        }
        Some(_) => FaceCheck::passed(),
    }
}

/// Enrolment: the face must not already belong to another user of the
/// project, at `searchMinScore` or above.
pub fn judge_enrolment(
    search: &SearchResult,
    own_user: &str,
    settings: &FaceLoginSettings,
) -> FaceCheck {
    match &search.best {
        Some((user, similarity))
            if user != own_user && *similarity >= settings.search_min_score =>
        {
            FaceCheck::failed(ENROLMENT_REFUSED, "enrolled_under_another_identifier")
        }
        _ => match search.runner_up {
            // The user's own face is best, another user's close behind.
            Some(next) if next >= settings.search_min_score => {
                FaceCheck::failed(ENROLMENT_REFUSED, "enrolled_under_another_identifier")
            }
            _ => FaceCheck::passed(),
        },
    }
}

/// What a face write expects to find on the stored login, so that a
/// replayed or concurrent submit, or a session started twice, is refused
/// by the store rather than by a read that may be stale.
#[derive(Clone, Debug, PartialEq)]
pub struct FaceGuard {
    pub status: LoginStatus,
    pub session: SessionGuard,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SessionGuard {
    /// A new session replaces this one (or none): nobody bound another.
    Replaces(Option<String>),
    /// This session is bound and unused: this write uses it.
    Uses(String),
}

impl FaceGuard {
    /// The guard, run on a login as stored.
    pub fn holds_on(&self, login: &Login) -> bool {
        let bound = login
            .biometric_validation
            .as_ref()
            .and_then(|b| b.session_id.clone());
        login.status == self.status
            && match &self.session {
                SessionGuard::Replaces(previous) => bound == *previous,
                SessionGuard::Uses(session) => {
                    bound.as_deref() == Some(session.as_str())
                        && login
                            .biometric_validation
                            .as_ref()
                            .is_some_and(|b| b.used_at.is_none())
                }
            }
    }
}

impl Login {
    /// A face-first login: no codes, one pending face step.
    pub fn start_face(
        flow: &crate::domain::ProjectFlow,
        name: String,
        identifier: String,
        origin: &RequestOrigin,
        now: Timestamp,
    ) -> Self {
        let done = |step_type| Step {
            step_type,
            status: StepStatus::Completed,
            timestamp: now,
        };
        Login {
            id: new_id(),
            client: flow.client.clone(),
            name,
            status: LoginStatus::Pending,
            project: flow.project.clone(),
            project_flow: flow.id.clone(),
            login_type: super::LoginType::FaceLiveness,
            email_validation: None,
            phone_validation: None,
            biometric_validation: Some(BiometricValidation::new(
                FacePurpose::Login,
                identifier,
                origin,
                now,
            )),
            access_control_log: vec![origin.event(AccessEventKind::Created, None, now)],
            steps: vec![
                done(StepType::LoginForm),
                done(StepType::AccessControl),
                Step {
                    step_type: StepType::BiometricVerification,
                    status: StepStatus::Pending,
                    timestamp: now,
                },
            ],
            created_at: now,
            updated_at: now,
            completed_at: None,
            registration: None,
            language: "en".into(),
            face_login_offered: true,
        }
    }

    /// Whether a face may still be added on this validated code login.
    pub fn enrolment_open(&self, now: Timestamp) -> bool {
        self.status == LoginStatus::Validated
            && !self.channels().is_empty()
            && self
                .completed_at
                .is_some_and(|done| now <= done.plus_seconds(ENROLMENT_WINDOW_SECONDS))
    }

    /// Whether every code of this login is verified.
    pub fn codes_verified(&self) -> bool {
        self.channels().iter().all(|c| {
            self.validation(*c)
                .is_some_and(|v| v.status == super::ValidationStatus::Validated)
        })
    }

    /// Whether a face check is still owed before this login is validated.
    pub fn face_pending(&self) -> bool {
        self.biometric_validation.as_ref().is_some_and(|b| {
            b.purpose != FacePurpose::Enrolment && b.status != BiometricStatus::Validated
        })
    }

    /// The identifier a code login verified: the email, or else the phone.
    pub fn verified_identifier(&self) -> Option<String> {
        self.channels()
            .into_iter()
            .find_map(|channel| self.identifier(channel))
    }

    /// Records a face check's verdict: the biometric validation, its step
    /// and, for a sign-in, the login's own status.
    pub fn apply_face(&mut self, verdict: &FaceVerdict, origin: &RequestOrigin, now: Timestamp) {
        let passed = verdict.passed();
        let Some(face) = self.biometric_validation.as_mut() else {
            return;
        };
        face.used_at = Some(now);
        face.liveness = Some(verdict.liveness.clone());
        face.face_match = verdict.face_match.clone();
        face.scores = Some(verdict.scores.clone());
        face.status = if passed {
            BiometricStatus::Validated
        } else {
            BiometricStatus::Failed
        };
        face.updated_at = now;
        let purpose = face.purpose;
        let kind = if passed {
            AccessEventKind::FaceVerified
        } else {
            AccessEventKind::FaceRejected
        };
        self.access_control_log.push(origin.event(kind, None, now));
        self.updated_at = now;
        let step = if passed {
            StepStatus::Completed
        } else {
            StepStatus::Failed
        };
        self.set_face_step(step, now);
        if purpose == FacePurpose::Enrolment {
            return;
        }
        // One session per face check; a sign-in that fails it is over.
        if passed {
            self.status = LoginStatus::Validated;
            self.completed_at = Some(now);
        } else {
            self.status = LoginStatus::Failed;
        }
    }

    fn set_face_step(&mut self, status: StepStatus, now: Timestamp) {
        match self.step_index(StepType::BiometricVerification) {
            Some(i) => {
                self.steps[i].status = status;
                self.steps[i].timestamp = now;
            }
            None => self.steps.push(Step {
                step_type: StepType::BiometricVerification,
                status,
                timestamp: now,
            }),
        }
    }

    /// What this validated sign-in proves, for its token: the identifier
    /// (the codes', or else the face's) and the methods.
    pub fn session_proof(&self) -> Option<crate::domain::session_proof::SessionProof> {
        let subject = self.verified_identifier().or_else(|| {
            self.biometric_validation
                .as_ref()
                .filter(|b| b.purpose == FacePurpose::Login)
                .map(|b| b.identifier.clone())
        })?;
        Some(crate::domain::session_proof::SessionProof {
            subject,
            project: self.project.clone(),
            amr: self.amr(),
            login_id: self.id.clone(),
            project_flow: self.project_flow.clone(),
            registration_id: None,
        })
    }

    /// The RFC 8176 methods this login proved.
    pub fn amr(&self) -> Vec<String> {
        let mut amr: Vec<String> = self
            .channels()
            .iter()
            .filter(|c| {
                self.validation(**c)
                    .is_some_and(|v| v.status == super::ValidationStatus::Validated)
            })
            .map(|c| c.amr().to_string())
            .collect();
        if self.biometric_validation.as_ref().is_some_and(|b| {
            b.purpose != FacePurpose::Enrolment && b.status == BiometricStatus::Validated
        }) {
            amr.push("face".into());
        }
        amr
    }
}

#[cfg(test)]
mod tests;
