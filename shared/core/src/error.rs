//! The one error type every service returns. `api::error` maps it to HTTP in
//! one place; adapters translate SDK errors into it, so no SDK type leaks out.

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: the code names the field or rule, the message explains it.
    #[error("{message}")]
    InvalidInput { code: &'static str, message: String },
    #[error("missing required parameters: {}", .0.join(", "))]
    MissingParameters(Vec<String>),
    #[error("a valid API key is required")]
    Unauthorized,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    Expired { code: &'static str, message: String },
    /// A body in a media type other than JSON.
    #[error("{message}")]
    UnsupportedMediaType { message: String },
    /// A body or field over its size limit.
    #[error("{message}")]
    TooLarge { code: &'static str, message: String },
    #[error("the code does not match")]
    CodeMismatch { attempts_remaining: u32 },
    #[error("{message}")]
    TooManyRequests {
        code: &'static str,
        message: String,
        retry_after: Option<u64>,
    },
    #[error("the code could not be delivered by {channel}")]
    Delivery {
        /// `email` or `phone` (the error type sits below the domain, so it
        /// names the channel rather than holding `domain::Channel`).
        channel: &'static str,
        login_id: String,
        #[source]
        source: BoxError,
    },
    #[error("a backing service is temporarily unavailable")]
    Unavailable(#[source] BoxError),
    #[error("internal error")]
    Internal(#[source] BoxError),
}

impl Error {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::NotFound {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn internal(source: impl Into<BoxError>) -> Self {
        Self::Internal(source.into())
    }
}

/// Error codes that more than one place raises or matches: named once, so
/// a typo cannot make a new code.
pub mod codes {
    pub const ATTEMPTS_EXHAUSTED: &str = "attempts_exhausted";
    pub const CHANNEL_NOT_ENABLED: &str = "channel_not_enabled";
    pub const CHANNEL_NOT_REQUESTED: &str = "channel_not_requested";
    pub const EMAIL_VALIDATION_NOT_FOUND: &str = "email_validation_not_found";
    pub const FLOW_NOT_FOUND: &str = "projectFlow_not_found";
    pub const FLOW_NOT_ONBOARDING: &str = "projectFlow_not_onboarding";
    pub const INTERNAL_ERROR: &str = "internal_error";
    pub const INVALID_PARAMETER: &str = "invalid_parameter";
    pub const INVALID_POPULATE: &str = "invalid_populate";
    pub const INVALID_TYPE: &str = "invalid_type";
    pub const LOGIN_NOT_FOUND: &str = "AppLogin_not_found";
    pub const ORIGIN_NOT_ALLOWED: &str = "origin_not_allowed";
    pub const OTP_ALREADY_USED: &str = "otp_already_used";
    pub const OTP_DOES_NOT_MATCH: &str = "otp_does_not_match";
    pub const PHONE_VALIDATION_NOT_FOUND: &str = "phone_validation_not_found";
    pub const PROJECT_NOT_FOUND: &str = "project_not_found";
    pub const REGISTRATION_NOT_FOUND: &str = "AppRegistration_not_found";
    pub const RESEND_TOO_SOON: &str = "resend_too_soon";
}
