//! Identity verification that Gatehouse does itself: the document (its
//! machine-readable zone, its portrait, its dates) and the live face (the
//! liveness session's score, the match against the document, the search
//! for the same face under another identity).
//!
//! Everything here is pure: the ports read the images, this module judges
//! what they found. Scores use Rekognition's 0-100 scale.

mod document;
pub mod mrz;
mod settings;

pub use document::{IdField, ReadDocument, ReadFailure};

pub use settings::{IdentitySettings, StillFrame, Verifier};

use super::onboarding::{ResultStatus, StepName};
use super::time::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

/// A face the engine found, its box as ratios of the image's sides.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DetectedFace {
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
    /// How sure the detector is that this is a face, 0-100.
    pub confidence: f32,
}

/// A face counts when the detector is this sure of it. Rekognition reports
/// background faces and face-like patterns with lower confidence; a
/// portrait or a selfie's subject sits well above it.
pub const USABLE_FACE_CONFIDENCE: f32 = 90.0;

/// The faces of usable quality in what a detector found.
pub fn usable_faces(faces: &[DetectedFace]) -> Vec<DetectedFace> {
    faces
        .iter()
        .copied()
        .filter(|f| f.confidence >= USABLE_FACE_CONFIDENCE && f.width > 0.0 && f.height > 0.0)
        .collect()
}

/// Why a check failed. Each reason has a stable code; the user-safe code is
/// what the enrollee sees, and several internal reasons share one so that
/// the answer teaches a forger nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Neither a machine-readable zone nor printed fields could be read.
    NotRead,
    /// A zone was read but a check digit failed: misread or altered.
    MrzCheckDigit,
    /// Printed fields were read, but not both dates.
    FieldsMissing,
    DocumentNumberMissing,
    DocumentExpired,
    Underage,
    /// No face of usable quality.
    NoFace,
    MultipleFaces,
    /// The liveness score was below the flow's minimum.
    LivenessBelowThreshold,
    /// The liveness session ended without a result.
    LivenessNotCompleted,
    FaceMismatch,
    /// The upload was refused before any reader saw it (not a JPEG or PNG,
    /// a header that cannot be read, past the pixel budget), or a reader
    /// refused it.
    ImageRefused,
    /// A reader could not be reached; the upload still spent its attempt.
    ReaderUnavailable,
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Reason::NotRead => "document_not_read",
            Reason::MrzCheckDigit => "mrz_check_digit",
            Reason::FieldsMissing => "document_fields_missing",
            Reason::DocumentNumberMissing => "document_number_missing",
            Reason::DocumentExpired => "document_expired",
            Reason::Underage => "underage",
            Reason::NoFace => "no_face",
            Reason::MultipleFaces => "multiple_faces",
            Reason::LivenessBelowThreshold => "liveness_below_threshold",
            Reason::LivenessNotCompleted => "liveness_not_completed",
            Reason::FaceMismatch => "face_mismatch",
            Reason::ImageRefused => "image_refused",
            Reason::ReaderUnavailable => "reader_unavailable",
        }
    }

    /// What the enrollee may be told: enough to retake a photo, never which
    /// number or score failed.
    pub fn user_code(self) -> &'static str {
        match self {
            Reason::NotRead
            | Reason::MrzCheckDigit
            | Reason::FieldsMissing
            | Reason::DocumentNumberMissing => "document_unreadable",
            Reason::DocumentExpired => "document_expired",
            Reason::Underage => "underage",
            Reason::NoFace => "no_face",
            Reason::MultipleFaces => "multiple_faces",
            Reason::LivenessBelowThreshold | Reason::LivenessNotCompleted => "liveness_failed",
            Reason::FaceMismatch => "face_mismatch",
            Reason::ImageRefused => "invalid_image",
            Reason::ReaderUnavailable => "try_again",
        }
    }

    /// Whether another photo could pass: an expired document or an
    /// enrollee under the minimum age will not change on a retake.
    pub fn retryable(self) -> bool {
        !matches!(self, Reason::DocumentExpired | Reason::Underage)
    }
}

/// One check's outcome, as stored and as the tenant reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepCheck {
    pub step: StepName,
    pub status: ResultStatus,
    /// User-safe codes, each once.
    pub reason_codes: Vec<String>,
    /// The precise reasons: for the tenant only.
    pub internal_reason_codes: Vec<String>,
    /// Whether the enrollee may try again (attempts left and a retake could
    /// pass).
    pub retryable: bool,
    pub checked_at: Timestamp,
}

impl StepCheck {
    pub fn new(step: StepName, reasons: &[Reason], attempts_left: u32, now: Timestamp) -> Self {
        let mut reason_codes: Vec<String> = Vec::new();
        for reason in reasons {
            let code = reason.user_code().to_string();
            if !reason_codes.contains(&code) {
                reason_codes.push(code);
            }
        }
        let passed = reasons.is_empty();
        Self {
            step,
            status: if passed {
                ResultStatus::Passed
            } else {
                ResultStatus::Failed
            },
            reason_codes,
            internal_reason_codes: reasons.iter().map(|r| r.code().to_string()).collect(),
            retryable: !passed && attempts_left > 0 && reasons.iter().all(|r| r.retryable()),
            checked_at: now,
        }
    }

    /// The first user-safe code: the verification result's reason.
    pub fn reason(&self) -> Option<String> {
        self.reason_codes.first().cloned()
    }
}

/// The document's fields as the tenant may read them: the number masked,
/// so no full document number is ever stored or shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentFields {
    /// `passport` (TD3) or `idCard` (TD1).
    pub kind: String,
    pub issuing_country: String,
    pub nationality: String,
    pub surname: String,
    pub given_names: String,
    pub document_number: String,
    /// YYYY-MM-DD.
    pub birth_date: String,
    pub expiry_date: String,
    pub sex: Option<String>,
}

/// All but the last four characters as `*`.
pub fn mask_document_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let keep = chars.len().saturating_sub(4);
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep { '*' } else { *c })
        .collect()
}

impl DocumentFields {
    pub fn from_read(read: &ReadDocument) -> Self {
        Self {
            kind: read.kind.into(),
            issuing_country: read.issuing_country.clone(),
            nationality: read.nationality.clone(),
            surname: read.surname.clone(),
            given_names: read.given_names.clone(),
            document_number: mask_document_number(&read.document_number),
            birth_date: read.birth_date.to_string(),
            expiry_date: read.expiry_date.to_string(),
            sex: read.sex.map(String::from),
        }
    }

    /// The name as the document prints it, given names first.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_names, self.surname)
            .trim()
            .to_string()
    }
}

/// Full years between two dates.
pub fn age_on(birth: Date, today: Date) -> i32 {
    let mut age = today.year() - birth.year();
    if (today.month() as u8, today.day()) < (birth.month() as u8, birth.day()) {
        age -= 1;
    }
    age
}

/// Judges a document from what was read of it and the faces on its photo
/// page.
pub fn judge_document(
    read: &Result<ReadDocument, ReadFailure>,
    faces: &[DetectedFace],
    settings: &IdentitySettings,
    today: Date,
) -> Vec<Reason> {
    let mut reasons = Vec::new();
    match read {
        Err(ReadFailure::NotFound) => reasons.push(Reason::NotRead),
        Err(ReadFailure::CheckDigit) => reasons.push(Reason::MrzCheckDigit),
        Err(ReadFailure::MissingFields) => reasons.push(Reason::FieldsMissing),
        Ok(mrz) => {
            if mrz.document_number.is_empty() {
                reasons.push(Reason::DocumentNumberMissing);
            }
            if mrz.expiry_date < today {
                reasons.push(Reason::DocumentExpired);
            }
            if let Some(minimum) = settings.minimum_age {
                if age_on(mrz.birth_date, today) < i32::from(minimum) {
                    reasons.push(Reason::Underage);
                }
            }
        }
    }
    match usable_faces(faces).len() {
        0 => reasons.push(Reason::NoFace),
        1 => {}
        _ => reasons.push(Reason::MultipleFaces),
    }
    reasons
}

/// Judges a live face: the session's score, the faces in its reference
/// image, and (when a document passed) the similarity to the document's
/// portrait.
pub fn judge_face(
    liveness_confidence: Option<f32>,
    faces: &[DetectedFace],
    similarity: Option<f32>,
    settings: &IdentitySettings,
) -> Vec<Reason> {
    let mut reasons = Vec::new();
    match liveness_confidence {
        None => reasons.push(Reason::LivenessNotCompleted),
        Some(score) if score < settings.liveness_min_score => {
            reasons.push(Reason::LivenessBelowThreshold)
        }
        Some(_) => {}
    }
    reasons.extend(judge_match(faces, similarity, settings));
    reasons
}

/// Judges a face alone: one usable face, matching the document's portrait
/// when there is one. What a still frame can show, without liveness.
pub fn judge_match(
    faces: &[DetectedFace],
    similarity: Option<f32>,
    settings: &IdentitySettings,
) -> Vec<Reason> {
    let mut reasons = Vec::new();
    match usable_faces(faces).len() {
        0 => reasons.push(Reason::NoFace),
        1 => {
            if similarity.is_some_and(|s| s < settings.compare_min_score) {
                reasons.push(Reason::FaceMismatch);
            }
        }
        _ => reasons.push(Reason::MultipleFaces),
    }
    reasons
}

/// A liveness session bound to a registration. Only sessions Gatehouse
/// created for this registration are accepted, each once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LivenessSession {
    pub id: String,
    pub created_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

/// AWS's Face Liveness session lifetime.
pub const LIVENESS_SESSION_SECONDS: i64 = 180;
/// At most this many sessions per registration in one session lifetime
/// (AWS's advice: at most 5 attempts per device in 3 minutes).
pub const MAX_SESSIONS_PER_WINDOW: usize = 5;

impl LivenessSession {
    pub fn expired(&self, now: Timestamp) -> bool {
        now > self.created_at.plus_seconds(LIVENESS_SESSION_SECONDS)
    }
}

/// The scores, for the tenant only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scores {
    pub liveness: Option<f32>,
    /// Live face against the document's portrait.
    pub similarity: Option<f32>,
    /// The best match in the project's collection under another identity.
    pub duplicate_similarity: Option<f32>,
}

/// Where the face was enrolled for face login.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    pub collection: String,
    pub user_id: String,
    pub face_ids: Vec<String>,
    pub enrolled_at: Timestamp,
}

/// What Gatehouse verified about one registration. Stored on it; the
/// tenant's API key reads all of it, the enrollee only `checks`' status,
/// user-safe codes and retry flag.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IdentityEvidence {
    pub document: Option<DocumentFields>,
    /// The server's crop of the document's portrait.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_face: Option<String>,
    pub liveness_sessions: Vec<LivenessSession>,
    pub scores: Scores,
    pub checks: Vec<StepCheck>,
    /// Every stored image's key, for redaction.
    pub images: Vec<String>,
    pub enrollment: Option<Enrollment>,
    pub redacted_at: Option<Timestamp>,
}

/// How many entries the evidence lists keep (an item stays far from
/// DynamoDB's 400 KB).
const MAX_ENTRIES: usize = 30;

impl IdentityEvidence {
    pub fn record_check(&mut self, check: StepCheck) {
        if self.checks.len() >= MAX_ENTRIES {
            self.checks.remove(0);
        }
        self.checks.push(check);
    }

    pub fn add_image(&mut self, key: String) {
        if !self.images.contains(&key) {
            self.images.push(key);
        }
    }

    pub fn add_session(&mut self, session: LivenessSession) {
        if self.liveness_sessions.len() >= MAX_ENTRIES {
            self.liveness_sessions.remove(0);
        }
        self.liveness_sessions.push(session);
    }

    pub fn session(&self, id: &str) -> Option<&LivenessSession> {
        self.liveness_sessions.iter().find(|s| s.id == id)
    }

    /// Sessions started within the last session lifetime.
    pub fn recent_sessions(&self, now: Timestamp) -> usize {
        self.liveness_sessions
            .iter()
            .filter(|s| !s.expired(now))
            .count()
    }

    /// Forgets everything biometric or read from the document; keeps the
    /// checks' outcomes (no personal data) and when it was redacted.
    pub fn redact(&mut self, now: Timestamp) {
        self.document = None;
        self.document_face = None;
        self.scores = Scores::default();
        self.images.clear();
        self.enrollment = None;
        self.redacted_at = Some(now);
    }
}

/// Whether the live face matched the document's portrait, as
/// `POST /v2/face-recognition/compare/app-registration` tells it: the
/// decision only, never a score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaceDecision {
    Match,
    NoMatch,
    /// No live face was compared yet (or the check failed before the
    /// compare: no liveness, no face).
    NotChecked,
}

impl IdentityEvidence {
    /// The decision of the latest live-face check.
    pub fn face_decision(&self) -> FaceDecision {
        let Some(check) = self
            .checks
            .iter()
            .rev()
            .find(|c| c.step == StepName::Liveness)
        else {
            return FaceDecision::NotChecked;
        };
        let mismatch = Reason::FaceMismatch.code();
        if check.status == ResultStatus::Passed {
            FaceDecision::Match
        } else if check.internal_reason_codes.iter().any(|c| c == mismatch) {
            FaceDecision::NoMatch
        } else {
            FaceDecision::NotChecked
        }
    }
}

/// The project's face collection.
pub fn collection_id(project: &str) -> String {
    format!("gatehouse-{project}")
}

/// The collection's user for one identity (the verified contact) of one
/// tenant: a digest, so the collection holds no email or phone number.
pub fn face_user_id(client: &str, subject: &str) -> String {
    let digest = Sha256::digest(format!("{client}\n{subject}").as_bytes());
    format!("u-{}", &hex::encode(digest)[..40])
}

#[cfg(test)]
mod tests;
