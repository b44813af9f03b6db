//! Typed configuration, read once per container from the environment.
//! Each function reads only the parts it needs, so a function that never
//! sees a secret is not given it.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::Missing(name)),
    }
}

fn optional_number<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().map_err(|_| ConfigError::Invalid {
            name,
            reason: format!("expected a number, got {v:?}"),
        }),
        _ => Ok(default),
    }
}

/// Where state lives and how long it is kept.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    pub table_name: String,
    /// How long finished or attacked logins are kept for audit.
    pub retention: Duration,
    /// How long API keys, projects and flows are cached in a container.
    pub directory_cache: Duration,
}

impl StoreConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: required("GATEHOUSE_TABLE")?,
            retention: Duration::from_secs(
                optional_number("GATEHOUSE_RETENTION_DAYS", 30u64)? * 86_400,
            ),
            directory_cache: Duration::from_secs(optional_number(
                "GATEHOUSE_DIRECTORY_CACHE_SECONDS",
                60u64,
            )?),
        })
    }
}

/// Secrets and cost for one-time codes.
#[derive(Clone)]
pub struct CodeConfig {
    pub pepper: String,
    pub bcrypt_cost: u32,
}

impl std::fmt::Debug for CodeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeConfig")
            .field("pepper", &"<redacted>")
            .field("bcrypt_cost", &self.bcrypt_cost)
            .finish()
    }
}

impl CodeConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let pepper = required("GATEHOUSE_OTP_PEPPER")?;
        if pepper.len() < 32 {
            return Err(ConfigError::Invalid {
                name: "GATEHOUSE_OTP_PEPPER",
                reason: "must be at least 32 characters".into(),
            });
        }
        let bcrypt_cost = optional_number("GATEHOUSE_BCRYPT_COST", 10u32)?;
        if !(4..=31).contains(&bcrypt_cost) {
            return Err(ConfigError::Invalid {
                name: "GATEHOUSE_BCRYPT_COST",
                reason: "must be between 4 and 31".into(),
            });
        }
        Ok(Self {
            pepper,
            bcrypt_cost,
        })
    }
}

/// The end-user token: who signs it and for how long it is valid.
#[derive(Clone)]
pub struct TokenConfig {
    pub private_key_pem: String,
    pub issuer: String,
    pub lifetime: Duration,
}

impl std::fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenConfig")
            .field("private_key_pem", &"<redacted>")
            .field("issuer", &self.issuer)
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

impl TokenConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            // Lambda environment variables cannot hold real newlines when set
            // from some tools, so a literal "\n" is accepted too.
            private_key_pem: required("GATEHOUSE_JWT_PRIVATE_KEY")?.replace("\\n", "\n"),
            issuer: required("GATEHOUSE_JWT_ISSUER")?,
            lifetime: Duration::from_secs(optional_number("GATEHOUSE_TOKEN_TTL_SECONDS", 3600u64)?),
        })
    }
}

/// What a function that only checks enrollee tokens needs: the public key.
/// Such functions are never given the private key (README "Configuration").
#[derive(Clone, Debug)]
pub struct TokenCheckConfig {
    pub public_key_pem: String,
    pub issuer: String,
    pub lifetime: Duration,
}

impl TokenCheckConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            public_key_pem: required("GATEHOUSE_JWT_PUBLIC_KEY")?.replace("\\n", "\n"),
            issuer: required("GATEHOUSE_JWT_ISSUER")?,
            lifetime: Duration::from_secs(optional_number("GATEHOUSE_TOKEN_TTL_SECONDS", 3600u64)?),
        })
    }
}

/// Who the messages come from.
#[derive(Clone, Debug)]
pub struct MessagingConfig {
    pub email_from: String,
    /// Optional SNS sender id (alphanumeric, where the country allows it).
    pub sms_sender_id: Option<String>,
}

impl MessagingConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            email_from: required("GATEHOUSE_EMAIL_FROM")?,
            sms_sender_id: std::env::var("GATEHOUSE_SMS_SENDER_ID")
                .ok()
                .filter(|s| !s.trim().is_empty()),
        })
    }
}

/// The abuse limits (README "Abuse limits"); each can be overridden.
pub fn abuse_limits_from_env() -> Result<crate::domain::limits::AbuseLimits, ConfigError> {
    let d = crate::domain::limits::AbuseLimits::default();
    Ok(crate::domain::limits::AbuseLimits {
        sends_per_identifier_hour: optional_number(
            "GATEHOUSE_LIMIT_SENDS_PER_IDENTIFIER_HOUR",
            d.sends_per_identifier_hour,
        )?,
        sends_per_ip_hour: optional_number(
            "GATEHOUSE_LIMIT_SENDS_PER_IP_HOUR",
            d.sends_per_ip_hour,
        )?,
        sends_per_flow_hour: optional_number(
            "GATEHOUSE_LIMIT_SENDS_PER_FLOW_HOUR",
            d.sends_per_flow_hour,
        )?,
        sms_per_prefix_hour: optional_number(
            "GATEHOUSE_LIMIT_SMS_PER_PREFIX_HOUR",
            d.sms_per_prefix_hour,
        )?,
        sms_per_flow_hour: optional_number(
            "GATEHOUSE_LIMIT_SMS_PER_FLOW_HOUR",
            d.sms_per_flow_hour,
        )?,
        checks_per_ip_10_minutes: optional_number(
            "GATEHOUSE_LIMIT_CHECKS_PER_IP_10_MINUTES",
            d.checks_per_ip_10_minutes,
        )?,
        breaker_min_sms: optional_number("GATEHOUSE_LIMIT_BREAKER_MIN_SMS", d.breaker_min_sms)?,
        breaker_min_success_percent: optional_number(
            "GATEHOUSE_LIMIT_BREAKER_MIN_SUCCESS_PERCENT",
            d.breaker_min_success_percent,
        )?,
    })
}

/// How every AWS call retries and times out. Explicit, so a throttled or
/// unreachable DynamoDB gives the caller a 503 within the Lambda timeout
/// (10 s) rather than hanging: at most `max_attempts` tries (standard mode:
/// throttling and transient errors only, exponential backoff with jitter
/// from `initial_backoff` up to `max_backoff`), each cut at
/// `attempt_timeout`, all within `operation_timeout`.
#[derive(Clone, Debug, PartialEq)]
pub struct AwsPolicy {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub connect_timeout: Duration,
    pub attempt_timeout: Duration,
    pub operation_timeout: Duration,
}

impl Default for AwsPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(25),
            max_backoff: Duration::from_millis(400),
            connect_timeout: Duration::from_millis(1_000),
            attempt_timeout: Duration::from_millis(2_000),
            operation_timeout: Duration::from_millis(5_000),
        }
    }
}

impl AwsPolicy {
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = Self::default();
        let millis = |name, default: Duration| -> Result<Duration, ConfigError> {
            Ok(Duration::from_millis(optional_number(
                name,
                default.as_millis() as u64,
            )?))
        };
        let max_attempts = optional_number("GATEHOUSE_AWS_MAX_ATTEMPTS", d.max_attempts)?;
        if !(1..=10).contains(&max_attempts) {
            return Err(ConfigError::Invalid {
                name: "GATEHOUSE_AWS_MAX_ATTEMPTS",
                reason: "must be between 1 and 10".into(),
            });
        }
        Ok(Self {
            max_attempts,
            initial_backoff: d.initial_backoff,
            max_backoff: d.max_backoff,
            connect_timeout: millis("GATEHOUSE_AWS_CONNECT_TIMEOUT_MS", d.connect_timeout)?,
            attempt_timeout: millis("GATEHOUSE_AWS_ATTEMPT_TIMEOUT_MS", d.attempt_timeout)?,
            operation_timeout: millis("GATEHOUSE_AWS_OPERATION_TIMEOUT_MS", d.operation_timeout)?,
        })
    }
}
