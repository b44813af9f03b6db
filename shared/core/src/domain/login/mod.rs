//! An App Login: one user's attempt to sign in through a project flow.
//!
//! The struct serializes in Verifik's field names, so storage and the API
//! share one shape. Code hashes are not part of it: they live in a separate
//! attribute that only the storage adapter reads.

use super::contact::{Channel, Email, Phone};
use super::flow::{Project, ProjectFlow};
use super::ids::new_id;
use super::time::Timestamp;
use crate::error::{codes, Error, Result};
use serde::{Deserialize, Serialize};

mod face;
mod transitions;
pub use face::{
    judge_enrolment, judge_liveness, judge_login_match, session_expired, session_not_found,
    session_used, BiometricStatus, BiometricValidation, CheckStatus, FaceCheck, FaceGuard,
    FacePurpose, FaceScores, FaceVerdict, SearchResult, SessionGuard, ENROLMENT_REFUSED,
    FACE_NOT_RECOGNIZED, FACE_STEP_SECONDS, LIVENESS_NOT_PROVEN,
};
pub use transitions::{
    AttemptRejected, ChannelFailure, ChannelSuccess, CodeReplacement, ReplaceRefused,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoginStatus {
    Pending,
    Validated,
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LoginType {
    Email,
    Phone,
    /// Both codes are required (a flow with `requires2FA`, or both given).
    EmailAndPhone,
    FaceLiveness,
}

impl LoginStatus {
    pub const ALL: [LoginStatus; 3] = [Self::Pending, Self::Validated, Self::Failed];

    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Validated => "validated",
            Self::Failed => "failed",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == input)
    }
}

impl LoginType {
    pub const ALL: [LoginType; 4] = [
        Self::Email,
        Self::Phone,
        Self::EmailAndPhone,
        Self::FaceLiveness,
    ];

    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
            Self::EmailAndPhone => "emailAndPhone",
            Self::FaceLiveness => "faceLiveness",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == input)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValidationStatus {
    Pending,
    Validated,
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Sent,
    Failed,
    /// The flow's security lists refused the identifier: nothing was sent.
    /// Stored for the tenant's reads only; every answer to the caller who
    /// asked for the code says `sent`.
    Withheld,
}

/// The per-channel code check, as Verifik's `emailValidation`/`phoneValidation`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Validation {
    #[serde(rename = "_id")]
    pub id: String,
    pub status: ValidationStatus,
    pub validation_method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub expires_at: Timestamp,
    pub sent_at: Timestamp,
    pub delivery_status: DeliveryStatus,
    pub attempts: u32,
    pub max_attempts: u32,
    pub ip_address: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepType {
    LoginForm,
    AccessControl,
    EmailOtpVerification,
    PhoneOtpVerification,
    BiometricVerification,
}

impl StepType {
    pub fn for_channel(channel: Channel) -> Self {
        match channel {
            Channel::Email => StepType::EmailOtpVerification,
            Channel::Phone => StepType::PhoneOtpVerification,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Pending,
    Completed,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    #[serde(rename = "type")]
    pub step_type: StepType,
    pub status: StepStatus,
    pub timestamp: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessEventKind {
    Created,
    CodeSent,
    CodeResent,
    DeliveryFailed,
    CheckFailed,
    CheckExpired,
    ChannelValidated,
    LockedOut,
    InformationSubmitted,
    ResultReported,
    Synced,
    ClientReportedStatus,
    ManualReview,
    Resumed,
    /// Gatehouse read a document or checked a live face.
    IdentityChecked,
    /// A liveness session was started for the enrollee.
    LivenessSessionStarted,
    /// The images, faces and extracted fields were deleted.
    BiometricsRedacted,
    /// A face check passed (a face login, its second factor, an enrolment).
    FaceVerified,
    /// A face check failed.
    FaceRejected,
}

/// One entry of the access-control log: what happened, when, from where.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessEvent {
    pub event: AccessEventKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    pub at: Timestamp,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// Where a request came from, for the access-control log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestOrigin {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    /// The browser origin (`Origin` header), checked against the project's
    /// `allowedOrigins`; not logged.
    pub web_origin: Option<String>,
}

impl RequestOrigin {
    pub fn event(
        &self,
        event: AccessEventKind,
        channel: Option<Channel>,
        at: Timestamp,
    ) -> AccessEvent {
        AccessEvent {
            event,
            channel,
            at,
            ip_address: self.ip_address.clone(),
            user_agent: self.user_agent.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Login {
    #[serde(rename = "_id")]
    pub id: String,
    pub client: String,
    pub name: String,
    pub status: LoginStatus,
    pub project: String,
    pub project_flow: String,
    #[serde(rename = "type")]
    pub login_type: LoginType,
    pub email_validation: Option<Validation>,
    pub phone_validation: Option<Validation>,
    pub biometric_validation: Option<BiometricValidation>,
    pub access_control_log: Vec<AccessEvent>,
    pub steps: Vec<Step>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    /// Set when this session verifies the contacts of an App Registration:
    /// such a session is never listed, resolved by identifier, or turned
    /// into a sign-in token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<String>,
    /// The language messages are sent in (ISO 639-1).
    #[serde(default = "english")]
    pub language: String,
    /// The flow offers face sign-in: a code login that ends without a face
    /// answers `showFaceLivenessRecommendation: true`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub face_login_offered: bool,
}

fn english() -> String {
    "en".into()
}

/// What a new login is asked to verify.
#[derive(Clone, Debug)]
pub struct LoginContacts {
    pub email: Option<Email>,
    pub phone: Option<Phone>,
}

impl LoginContacts {
    /// The contact rule: at least one channel; every channel asked for is
    /// enabled on the flow (both, when it requires 2FA); SMS goes only to
    /// an allowed country.
    pub fn check_for(&self, flow: &ProjectFlow, project: &Project) -> Result<()> {
        let settings = &flow.login_settings;
        let channels = self.channels();
        if channels.is_empty() {
            return Err(Error::MissingParameters(vec![
                "email or countryCode+phone".into()
            ]));
        }
        for channel in &channels {
            if !settings.allows(*channel) {
                return Err(Error::invalid(
                    codes::CHANNEL_NOT_ENABLED,
                    format!("this projectFlow does not send codes by {channel}"),
                ));
            }
        }
        // With face login on, the second factor of `requires2FA` is the face.
        if settings.requires_2fa && settings.face_liveness.is_none() {
            let mut missing = Vec::new();
            if self.email.is_none() {
                missing.push("email".to_string());
            }
            if self.phone.is_none() {
                missing.push("countryCode+phone".to_string());
            }
            if !missing.is_empty() {
                return Err(Error::MissingParameters(missing));
            }
        }
        if let Some(phone) = &self.phone {
            flow.ensure_country_allowed(project, phone)?;
        }
        Ok(())
    }

    pub fn channels(&self) -> Vec<Channel> {
        let mut channels = Vec::with_capacity(2);
        if self.email.is_some() {
            channels.push(Channel::Email);
        }
        if self.phone.is_some() {
            channels.push(Channel::Phone);
        }
        channels
    }

    /// The identifier a channel sends to and is looked up by.
    pub fn identifier(&self, channel: Channel) -> Option<String> {
        match channel {
            Channel::Email => self.email.as_ref().map(|e| e.as_str().to_string()),
            Channel::Phone => self.phone.as_ref().map(|p| p.e164.clone()),
        }
    }
}

impl Login {
    /// The copy to store: each code the flow's security lists refuse is
    /// marked withheld (the caller's answer is rendered from `self`).
    pub fn with_withheld(&self, security: &super::flow::FlowSecurity) -> Login {
        let mut stored = self.clone();
        for channel in self.channels() {
            let permitted = self
                .identifier(channel)
                .is_some_and(|identifier| security.permits(&identifier));
            if let (false, Some(v)) = (permitted, stored.validation_mut(channel)) {
                v.delivery_status = DeliveryStatus::Withheld;
            }
        }
        stored
    }

    /// A new pending login with one pending validation per channel. The
    /// form and access-control steps are complete: the service checked the
    /// request and the flow's rules before calling this.
    pub fn start(
        flow: &ProjectFlow,
        name: String,
        contacts: &LoginContacts,
        origin: &RequestOrigin,
        now: Timestamp,
    ) -> Self {
        let settings = &flow.login_settings;
        let expires_at = now.plus_seconds(i64::from(settings.code_lifetime_seconds));
        let validation = |email: Option<String>,
                          country_code: Option<String>,
                          phone: Option<String>| Validation {
            id: new_id(),
            status: ValidationStatus::Pending,
            validation_method: "verificationCode".into(),
            email,
            country_code,
            phone,
            expires_at,
            sent_at: now,
            delivery_status: DeliveryStatus::Sent,
            attempts: 0,
            max_attempts: settings.max_attempts,
            ip_address: origin.ip_address.clone(),
            created_at: now,
            updated_at: now,
        };
        let email_validation = contacts
            .email
            .as_ref()
            .map(|e| validation(Some(e.as_str().to_string()), None, None));
        let phone_validation = contacts
            .phone
            .as_ref()
            .map(|p| validation(None, Some(p.country_code.clone()), Some(p.number.clone())));
        let login_type = match (&email_validation, &phone_validation) {
            (Some(_), Some(_)) => LoginType::EmailAndPhone,
            (None, Some(_)) => LoginType::Phone,
            _ => LoginType::Email,
        };
        let mut steps = vec![
            Step {
                step_type: StepType::LoginForm,
                status: StepStatus::Completed,
                timestamp: now,
            },
            Step {
                step_type: StepType::AccessControl,
                status: StepStatus::Completed,
                timestamp: now,
            },
        ];
        let mut log = vec![origin.event(AccessEventKind::Created, None, now)];
        for channel in contacts.channels() {
            steps.push(Step {
                step_type: StepType::for_channel(channel),
                status: StepStatus::Pending,
                timestamp: now,
            });
            log.push(origin.event(AccessEventKind::CodeSent, Some(channel), now));
        }
        // The face after the codes: owed from the start, bound to a
        // session once the codes are verified.
        let biometric_validation = match (&settings.face_liveness, settings.requires_2fa) {
            (Some(_), true) => {
                steps.push(Step {
                    step_type: StepType::BiometricVerification,
                    status: StepStatus::Pending,
                    timestamp: now,
                });
                let identifier = contacts
                    .email
                    .as_ref()
                    .map(|e| e.as_str().to_string())
                    .or_else(|| contacts.phone.as_ref().map(|p| p.e164.clone()))
                    .unwrap_or_default();
                Some(BiometricValidation::new(
                    FacePurpose::SecondFactor,
                    identifier,
                    origin,
                    now,
                ))
            }
            _ => None,
        };
        Login {
            id: new_id(),
            client: flow.client.clone(),
            name,
            status: LoginStatus::Pending,
            project: flow.project.clone(),
            project_flow: flow.id.clone(),
            login_type,
            email_validation,
            phone_validation,
            biometric_validation,
            access_control_log: log,
            steps,
            created_at: now,
            updated_at: now,
            completed_at: None,
            registration: None,
            language: english(),
            face_login_offered: settings.face_liveness.is_some(),
        }
    }

    pub fn validation(&self, channel: Channel) -> Option<&Validation> {
        match channel {
            Channel::Email => self.email_validation.as_ref(),
            Channel::Phone => self.phone_validation.as_ref(),
        }
    }

    pub fn validation_mut(&mut self, channel: Channel) -> Option<&mut Validation> {
        match channel {
            Channel::Email => self.email_validation.as_mut(),
            Channel::Phone => self.phone_validation.as_mut(),
        }
    }

    pub fn channels(&self) -> Vec<Channel> {
        [Channel::Email, Channel::Phone]
            .into_iter()
            .filter(|c| self.validation(*c).is_some())
            .collect()
    }

    /// The identifier a channel was sent to: lowercased email or E.164 phone.
    pub fn identifier(&self, channel: Channel) -> Option<String> {
        let v = self.validation(channel)?;
        match channel {
            Channel::Email => v.email.clone(),
            // Stored as given; normalised the same way as on the way in.
            Channel::Phone => Phone::parse(v.country_code.as_deref()?, v.phone.as_deref()?)
                .ok()
                .map(|p| p.e164),
        }
    }

    /// The channels still to verify, other than `channel`.
    pub fn other_pending(&self, channel: Channel) -> Vec<Channel> {
        self.channels()
            .into_iter()
            .filter(|c| *c != channel)
            .filter(|c| {
                self.validation(*c)
                    .is_some_and(|v| v.status != ValidationStatus::Validated)
            })
            .collect()
    }

    pub fn step_index(&self, step_type: StepType) -> Option<usize> {
        self.steps.iter().position(|s| s.step_type == step_type)
    }

    /// Whether the answer to this login's last code should suggest adding a
    /// face: the flow offers face sign-in, and this login used none.
    pub fn recommends_face(&self) -> bool {
        self.face_login_offered
            && self.status == LoginStatus::Validated
            && self.biometric_validation.is_none()
    }

    /// When the last unexpired code runs out: the session's TTL.
    pub fn latest_expiry(&self) -> Option<Timestamp> {
        self.channels()
            .into_iter()
            .filter_map(|c| self.validation(c).map(|v| v.expires_at))
            .max()
    }
}

#[cfg(test)]
mod spelling_tests {
    use super::*;

    #[test]
    fn list_spellings_are_the_stored_ones() {
        for status in LoginStatus::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        for kind in LoginType::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }
}
