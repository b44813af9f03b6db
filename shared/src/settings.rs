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

/// The secrets a function may be given. Each is read from AWS Secrets
/// Manager, once per container at init, from the secret that the
/// environment variable `<name>_SECRET` names; never from the function's
/// configuration itself (docs/configuration.md "Configuration").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecretName {
    /// The OTP pepper: 32+ characters.
    OtpPepper,
    /// The Ed25519 signing key, PKCS#8 PEM.
    JwtPrivateKey,
    /// One or two SPKI PEM blocks: the current public key, then the
    /// previous one while a rotation settles.
    JwtPublicKeys,
    /// The RS256 key of OpenID Connect tokens, PKCS#8 PEM (2048+ bits).
    RsaPrivateKey,
    /// Its public half, SPKI PEM, then the previous one during a rotation.
    RsaPublicKeys,
}

impl SecretName {
    pub const ALL: [SecretName; 5] = [
        SecretName::OtpPepper,
        SecretName::JwtPrivateKey,
        SecretName::JwtPublicKeys,
        SecretName::RsaPrivateKey,
        SecretName::RsaPublicKeys,
    ];

    /// The variable that names the secret.
    pub fn variable(&self) -> &'static str {
        match self {
            SecretName::OtpPepper => "GATEHOUSE_OTP_PEPPER_SECRET",
            SecretName::JwtPrivateKey => "GATEHOUSE_JWT_PRIVATE_KEY_SECRET",
            SecretName::JwtPublicKeys => "GATEHOUSE_JWT_PUBLIC_KEYS_SECRET",
            SecretName::RsaPrivateKey => "GATEHOUSE_RSA_PRIVATE_KEY_SECRET",
            SecretName::RsaPublicKeys => "GATEHOUSE_RSA_PUBLIC_KEYS_SECRET",
        }
    }

    /// The secret id (name or ARN) this function was given, if any.
    pub fn secret_id(&self) -> Option<String> {
        std::env::var(self.variable())
            .ok()
            .filter(|v| !v.trim().is_empty())
    }
}

/// The secret values fetched at init. Redacted in `Debug`.
#[derive(Clone, Default)]
pub struct Secrets(std::collections::HashMap<SecretName, String>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Secrets {
    pub fn insert(&mut self, name: SecretName, value: String) {
        self.0.insert(name, value);
    }

    pub fn get(&self, name: SecretName) -> Result<&str, ConfigError> {
        self.0
            .get(&name)
            .map(String::as_str)
            .ok_or(ConfigError::Missing(name.variable()))
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
    pub fn load(secrets: &Secrets) -> Result<Self, ConfigError> {
        let pepper = secrets.get(SecretName::OtpPepper)?.trim().to_string();
        if pepper.len() < 32 {
            return Err(ConfigError::Invalid {
                name: SecretName::OtpPepper.variable(),
                reason: "the pepper must be at least 32 characters".into(),
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
    /// The public keys, when given: adds the previous key during a rotation.
    pub public_keys_pem: Option<String>,
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

fn token_lifetime() -> Result<Duration, ConfigError> {
    Ok(Duration::from_secs(optional_number(
        "GATEHOUSE_TOKEN_TTL_SECONDS",
        3600u64,
    )?))
}

impl TokenConfig {
    pub fn load(secrets: &Secrets) -> Result<Self, ConfigError> {
        Ok(Self {
            private_key_pem: secrets.get(SecretName::JwtPrivateKey)?.to_string(),
            public_keys_pem: secrets
                .get(SecretName::JwtPublicKeys)
                .ok()
                .map(str::to_string),
            issuer: required("GATEHOUSE_JWT_ISSUER")?,
            lifetime: token_lifetime()?,
        })
    }
}

/// What a function that only checks tokens needs: the public keys. Such
/// functions are never given the private key (docs/configuration.md "Configuration").
#[derive(Clone, Debug)]
pub struct TokenCheckConfig {
    pub public_keys_pem: String,
    pub issuer: String,
    pub lifetime: Duration,
}

impl TokenCheckConfig {
    pub fn load(secrets: &Secrets) -> Result<Self, ConfigError> {
        Ok(Self {
            public_keys_pem: secrets.get(SecretName::JwtPublicKeys)?.to_string(),
            issuer: required("GATEHOUSE_JWT_ISSUER")?,
            lifetime: token_lifetime()?,
        })
    }
}

/// The OpenID Connect provider's one setting: the API's public base URL
/// (`GATEHOUSE_PUBLIC_URL`, template parameter `PublicUrl`), from which each
/// project's issuer is `<url>/oidc/<project>`. Configured, never taken from
/// a request's Host header: an issuer must not change with who asks.
#[derive(Clone, Debug)]
pub struct OidcConfig {
    pub public_url: String,
}

impl OidcConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let name = "GATEHOUSE_PUBLIC_URL";
        let raw = required(name)?;
        let url = raw.trim().trim_end_matches('/').to_string();
        crate::domain::flow::web_origin(&url)
            .or_else(|| {
                url::Url::parse(&url)
                    .ok()
                    .filter(|u| {
                        u.scheme() == "https" && u.query().is_none() && u.fragment().is_none()
                    })
                    .map(|_| url.clone())
            })
            .ok_or_else(|| ConfigError::Invalid {
                name,
                reason: format!("{url:?} is not an https URL (or http on localhost)"),
            })?;
        Ok(Self { public_url: url })
    }
}

/// The browser origins the whole stack answers (template parameter
/// `CorsAllowedOrigins`): `GATEHOUSE_CORS_ORIGINS`, comma-separated exact
/// origins such as `https://app.example.com`. Empty: no cross-origin
/// browser may call the API. A project can narrow it further
/// (`allowedOrigins`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CorsConfig {
    pub origins: Vec<String>,
}

impl CorsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let raw = std::env::var("GATEHOUSE_CORS_ORIGINS").unwrap_or_default();
        let origins = raw
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| {
                crate::domain::flow::web_origin(o).ok_or_else(|| ConfigError::Invalid {
                    name: "GATEHOUSE_CORS_ORIGINS",
                    reason: format!("{o:?} is not an origin such as https://app.example.com"),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { origins })
    }
}

/// The hosted pages' one setting.
#[derive(Clone, Debug, Default)]
pub struct HostedPagesConfig {
    /// Local runs only (`make dev`, tests): the local face engine's origin,
    /// where the pages post a camera still in place of Amplify's streamed
    /// liveness check. Unset when deployed.
    pub local_liveness_origin: Option<String>,
}

impl HostedPagesConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let name = "GATEHOUSE_LOCAL_LIVENESS_URL";
        let local_liveness_origin = match std::env::var(name) {
            Ok(raw) if !raw.trim().is_empty() => {
                Some(crate::domain::flow::web_origin(raw.trim()).ok_or_else(|| {
                    ConfigError::Invalid {
                        name,
                        reason: format!("{raw:?} is not an origin such as http://127.0.0.1:5100"),
                    }
                })?)
            }
            _ => None,
        };
        Ok(Self {
            local_liveness_origin,
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

/// Where identity verification keeps images, and what a client needs to
/// start AWS's liveness component.
#[derive(Clone, Debug)]
pub struct IdentityConfig {
    /// The images bucket (SSE-KMS, Block Public Access, TLS only).
    pub bucket: String,
    /// The bucket's KMS key: S3 writes and liveness output use it.
    pub kms_key: Option<String>,
    /// The Cognito identity pool whose unauthenticated role may only call
    /// `rekognition:StartFaceLivenessSession` (template.yaml).
    pub liveness_identity_pool: Option<String>,
    pub region: Option<String>,
}

impl IdentityConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let optional = |name: &str| std::env::var(name).ok().filter(|s| !s.trim().is_empty());
        Ok(Self {
            bucket: required("GATEHOUSE_IMAGES_BUCKET")?,
            kms_key: optional("GATEHOUSE_IMAGES_KMS_KEY"),
            liveness_identity_pool: optional("GATEHOUSE_LIVENESS_IDENTITY_POOL"),
            region: optional("AWS_REGION"),
        })
    }
}

/// The abuse limits (docs/limits.md "Abuse limits"); each can be overridden.
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
        project_reads_per_ip_10_minutes: optional_number(
            "GATEHOUSE_LIMIT_PROJECT_READS_PER_IP_10_MINUTES",
            d.project_reads_per_ip_10_minutes,
        )?,
        face_failures_per_identifier: optional_number(
            "GATEHOUSE_LIMIT_FACE_FAILURES_PER_IDENTIFIER",
            d.face_failures_per_identifier,
        )?,
        face_failures_per_ip: optional_number(
            "GATEHOUSE_LIMIT_FACE_FAILURES_PER_IP",
            d.face_failures_per_ip,
        )?,
        identity_checks_per_registration_hour: optional_number(
            "GATEHOUSE_LIMIT_IDENTITY_CHECKS_PER_REGISTRATION_HOUR",
            d.identity_checks_per_registration_hour,
        )?,
        identity_checks_per_ip_hour: optional_number(
            "GATEHOUSE_LIMIT_IDENTITY_CHECKS_PER_IP_HOUR",
            d.identity_checks_per_ip_hour,
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

/// Webhooks (docs/webhooks.md "Webhooks").
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// The delivery queue. Unset: no function queues events (a stack
    /// without webhooks, or a local run that does not test them).
    pub queue_url: Option<String>,
    /// `GATEHOUSE_WEBHOOK_ALLOW_LOOPBACK=true` lets a flow name, and a
    /// delivery reach, http on 127.0.0.1 or localhost: `make dev` and the
    /// tests set it; template.yaml never does.
    pub policy: crate::domain::webhook::AddressPolicy,
    pub schedule: crate::domain::webhook::RetrySchedule,
}

impl WebhookConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = crate::domain::webhook::RetrySchedule::default();
        let allow_loopback = match std::env::var("GATEHOUSE_WEBHOOK_ALLOW_LOOPBACK") {
            Ok(v) if v == "true" => true,
            Ok(v) if v.is_empty() || v == "false" => false,
            Err(_) => false,
            Ok(v) => {
                return Err(ConfigError::Invalid {
                    name: "GATEHOUSE_WEBHOOK_ALLOW_LOOPBACK",
                    reason: format!("expected true or false, got {v:?}"),
                })
            }
        };
        let max_attempts =
            optional_number("GATEHOUSE_WEBHOOK_MAX_ATTEMPTS", defaults.max_attempts)?;
        if !(1..=20).contains(&max_attempts) {
            return Err(ConfigError::Invalid {
                name: "GATEHOUSE_WEBHOOK_MAX_ATTEMPTS",
                reason: "expected 1 to 20, the queue's maxReceiveCount".into(),
            });
        }
        Ok(Self {
            queue_url: std::env::var("GATEHOUSE_WEBHOOK_QUEUE_URL")
                .ok()
                .filter(|v| !v.trim().is_empty()),
            policy: crate::domain::webhook::AddressPolicy { allow_loopback },
            schedule: crate::domain::webhook::RetrySchedule {
                base: Duration::from_secs(optional_number(
                    "GATEHOUSE_WEBHOOK_RETRY_BASE_SECONDS",
                    defaults.base.as_secs(),
                )?),
                max_attempts,
            },
        })
    }
}
