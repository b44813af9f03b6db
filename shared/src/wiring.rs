//! Builds each function's services once per container: config from the
//! environment, one AWS config, one client per AWS service. The SDK follows
//! `AWS_ENDPOINT_URL_*`, which is how local runs reach DynamoDB Local and
//! moto with the same code.

use crate::adapters::dynamodb::{
    DynamoConfigStore, DynamoDeliveryLog, DynamoDirectory, DynamoLoginStore,
    DynamoRegistrationStore,
};
use crate::adapters::rekognition::RekognitionFaces;
use crate::adapters::s3::S3Images;
use crate::adapters::ses::SesEmailSender;
use crate::adapters::sns::SnsSmsSender;
use crate::adapters::sqs::SqsQueue;
use crate::adapters::textract::TextractDocuments;
use crate::adapters::webhook_http::HttpWebhooks;
use crate::domain::token::TokenIssuer;
use crate::domain::CodeHasher;
use crate::error::BoxError;
use crate::ports::{Clock, CodePorts, EventSink, IdentityPorts, NoEvents, Ports, SystemClock};
use crate::service::{
    Authenticator, CachedDirectory, CodeChecker, CodeExchanges, CodeSender, CodeSessions,
    FaceLogins, HostedRedirects, IdentityChecks, LoginReader, Outbox, PublicProjects,
    Registrations, WebhookDeliveries,
};
use crate::settings::{
    CodeConfig, IdentityConfig, MessagingConfig, Secrets, StoreConfig, TokenCheckConfig,
    TokenConfig, WebhookConfig,
};
use std::sync::Arc;

pub mod console;
pub mod oidc;

pub type SharedDirectory = Arc<CachedDirectory<DynamoDirectory>>;
/// The AWS adapters, as the one bundle the services are generic over.
pub struct AwsPorts;

impl CodePorts for AwsPorts {
    type Sessions = DynamoLoginStore;
    type Directory = SharedDirectory;
    type Email = SesEmailSender;
    type Sms = SnsSmsSender;
}

impl Ports for AwsPorts {
    type Registrations = DynamoRegistrationStore;
    type Config = DynamoConfigStore;
}

impl IdentityPorts for AwsPorts {
    type Faces = RekognitionFaces;
    type Documents = TextractDocuments;
    type Images = S3Images;
}

pub type Sender = CodeSender<AwsPorts>;
pub type IdentityService = IdentityChecks<AwsPorts>;
pub type FaceLoginService = FaceLogins<AwsPorts>;
pub type RegistrationService = Registrations<AwsPorts>;
pub type PublicProjectService = PublicProjects<AwsPorts>;
pub type AwsConfig = aws_config::SdkConfig;
pub type DynamoClient = aws_sdk_dynamodb::Client;

/// The AWS config, the one DynamoDB client every adapter shares, and the
/// secrets this function was given.
#[derive(Clone)]
pub struct Aws {
    pub config: AwsConfig,
    pub dynamodb: DynamoClient,
    pub secrets: Secrets,
}

impl Aws {
    /// The default credential and region chain, with the retry and timeout
    /// policy of `crate::settings::AwsPolicy` (docs/limits.md "Faults and retries").
    pub async fn load() -> Result<Self, BoxError> {
        let policy = crate::settings::AwsPolicy::from_env()?;
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(crate::adapters::https::client()?)
            .retry_config(
                aws_config::retry::RetryConfig::standard()
                    .with_max_attempts(policy.max_attempts)
                    .with_initial_backoff(policy.initial_backoff)
                    .with_max_backoff(policy.max_backoff),
            )
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(policy.connect_timeout)
                    .operation_attempt_timeout(policy.attempt_timeout)
                    .operation_timeout(policy.operation_timeout)
                    .build(),
            )
            .load()
            .await;
        let dynamodb = DynamoClient::new(&config);
        let secrets = crate::adapters::secrets::fetch_named(&config).await?;
        Ok(Self {
            config,
            dynamodb,
            secrets,
        })
    }
}

fn directory(aws: &Aws, store: &StoreConfig) -> SharedDirectory {
    Arc::new(CachedDirectory::new(
        DynamoDirectory::new(aws.dynamodb.clone(), &store.table_name),
        store.directory_cache,
    ))
}

/// Where the services hand webhook events: the SQS queue when the stack
/// has one, else nowhere. `directory` is the service's own, so a flow it
/// has just read is not read again to see whether it has a webhook.
fn event_sink(aws: &Aws, directory: &SharedDirectory) -> Result<Arc<dyn EventSink>, BoxError> {
    Ok(match WebhookConfig::from_env()?.queue_url {
        Some(url) => outbox(aws, directory, url),
        None => Arc::new(NoEvents),
    })
}

fn outbox(aws: &Aws, directory: &SharedDirectory, queue_url: String) -> Arc<dyn EventSink> {
    Arc::new(Outbox::new(
        directory.clone(),
        SqsQueue::new(sqs_client(aws), queue_url),
    ))
}

pub fn sqs_client(aws: &Aws) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&aws.config)
}

fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// For `POST /v2/app-logins` and the resend endpoint.
pub fn login_sender(aws: &Aws) -> Result<(Authenticator<SharedDirectory>, Sender), BoxError> {
    login_sender_with(aws, MessagingConfig::from_env()?)
}

fn login_sender_with(
    aws: &Aws,
    messaging: MessagingConfig,
) -> Result<(Authenticator<SharedDirectory>, Sender), BoxError> {
    let store_config = StoreConfig::from_env()?;
    let directory = directory(aws, &store_config);
    let sender = build_sender(
        aws,
        &store_config,
        directory.clone(),
        system_clock(),
        messaging,
        peppered_hasher(aws)?,
    )?;
    Ok((Authenticator::new(directory), sender))
}

fn build_sender(
    aws: &Aws,
    store_config: &StoreConfig,
    directory: SharedDirectory,
    clock: Arc<dyn Clock>,
    messaging: MessagingConfig,
    hasher: CodeHasher,
) -> Result<Sender, BoxError> {
    Ok(CodeSender::new(
        DynamoLoginStore::new(aws.dynamodb.clone(), &store_config.table_name),
        directory,
        SesEmailSender::new(
            aws_sdk_sesv2::Client::new(&aws.config),
            messaging.email_from,
        ),
        SnsSmsSender::new(
            aws_sdk_sns::Client::new(&aws.config),
            messaging.sms_sender_id,
        ),
        hasher,
        clock,
        store_config.retention,
    )
    .with_limits(crate::settings::abuse_limits_from_env()?))
}

/// Hashes and checks codes: reads the pepper.
fn peppered_hasher(aws: &Aws) -> Result<CodeHasher, BoxError> {
    let codes = CodeConfig::load(&aws.secrets)?;
    Ok(CodeHasher::new(&codes.pepper, codes.bcrypt_cost))
}

/// For the validate endpoints.
pub fn login_verifier(aws: &Aws) -> Result<CodeChecker<DynamoLoginStore>, BoxError> {
    build_verifier(
        aws,
        system_clock(),
        peppered_hasher(aws)?,
        signing_tokens(aws)?,
        own_event_sink(aws)?,
    )
}

/// The event sink of a function whose only service is the code checker,
/// over a directory of its own.
fn own_event_sink(aws: &Aws) -> Result<Arc<dyn EventSink>, BoxError> {
    event_sink(aws, &directory(aws, &StoreConfig::from_env()?))
}

/// `events`: where the checker hands `app_login.*` events.
fn build_verifier(
    aws: &Aws,
    clock: Arc<dyn Clock>,
    hasher: CodeHasher,
    tokens: TokenIssuer,
    events: Arc<dyn EventSink>,
) -> Result<CodeChecker<DynamoLoginStore>, BoxError> {
    let store_config = StoreConfig::from_env()?;
    Ok(CodeChecker::new(
        DynamoLoginStore::new(aws.dynamodb.clone(), &store_config.table_name),
        hasher,
        tokens,
        clock,
        store_config.retention,
    )
    .with_limits(crate::settings::abuse_limits_from_env()?)
    .with_events(events))
}

/// Signs and checks tokens: reads the private key.
fn signing_tokens(aws: &Aws) -> Result<TokenIssuer, BoxError> {
    let token = TokenConfig::load(&aws.secrets)?;
    Ok(TokenIssuer::from_pem(
        &token.private_key_pem,
        token.public_keys_pem.as_deref(),
        token.issuer,
        token.lifetime,
    )?)
}

/// Checks tokens only: reads the public keys, never the private one. Also
/// what `GET /.well-known/jwks.json` publishes.
pub fn checking_tokens(aws: &Aws) -> Result<TokenIssuer, BoxError> {
    let token = TokenCheckConfig::load(&aws.secrets)?;
    Ok(TokenIssuer::verify_only(
        &token.public_keys_pem,
        token.issuer,
        token.lifetime,
    )?)
}

pub type HostedRedirectService = HostedRedirects<DynamoLoginStore, SharedDirectory>;
pub type CodeExchangeService = CodeExchanges<DynamoLoginStore>;

/// For the hosted pages' redirect: the public keys only (the page's token
/// is checked, never signed here).
pub fn hosted_redirects(aws: &Aws) -> Result<HostedRedirectService, BoxError> {
    let store_config = StoreConfig::from_env()?;
    Ok(HostedRedirects::new(
        DynamoLoginStore::new(aws.dynamodb.clone(), &store_config.table_name),
        directory(aws, &store_config),
        checking_tokens(aws)?,
        system_clock(),
    ))
}

/// For the code exchange: the API key and the table, no secret.
pub fn code_exchanges(
    aws: &Aws,
) -> Result<(Authenticator<SharedDirectory>, CodeExchangeService), BoxError> {
    let store_config = StoreConfig::from_env()?;
    let exchanges = CodeExchanges::new(
        DynamoLoginStore::new(aws.dynamodb.clone(), &store_config.table_name),
        system_clock(),
    );
    Ok((Authenticator::new(directory(aws, &store_config)), exchanges))
}

/// For list and get.
pub fn login_reader(
    aws: &Aws,
) -> Result<
    (
        Authenticator<SharedDirectory>,
        LoginReader<DynamoLoginStore>,
    ),
    BoxError,
> {
    let store_config = StoreConfig::from_env()?;
    let reader = LoginReader::new(DynamoLoginStore::new(
        aws.dynamodb.clone(),
        &store_config.table_name,
    ));
    Ok((Authenticator::new(directory(aws, &store_config)), reader))
}

/// Which secrets a `/v2/app-registrations` function is given, so that each
/// holds only what its endpoint uses (docs/configuration.md "Configuration").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegistrationSecrets {
    /// Hashes or checks codes (create, validate, resend): the pepper.
    pub pepper: bool,
    /// Signs tokens (create, sync, resume): the private key. Without it the
    /// public key checks enrollee tokens.
    pub signing_key: bool,
}

impl RegistrationSecrets {
    /// create
    pub const ALL: Self = Self {
        pepper: true,
        signing_key: true,
    };
    /// validate, resend
    pub const CODES: Self = Self {
        pepper: true,
        signing_key: false,
    };
    /// sync, resume
    pub const SIGNING: Self = Self {
        pepper: false,
        signing_key: true,
    };
    /// get, list, analytics, information, verification-results, review
    pub const NONE: Self = Self {
        pepper: false,
        signing_key: false,
    };
}

/// For one `/v2/app-registrations` endpoint, given only `secrets`.
pub fn registrations(
    aws: &Aws,
    secrets: RegistrationSecrets,
) -> Result<RegistrationService, BoxError> {
    build_registrations(aws, system_clock(), secrets)
}

fn build_registrations(
    aws: &Aws,
    clock: Arc<dyn Clock>,
    secrets: RegistrationSecrets,
) -> Result<RegistrationService, BoxError> {
    let store_config = StoreConfig::from_env()?;
    let tokens = if secrets.signing_key {
        signing_tokens(aws)?
    } else {
        checking_tokens(aws)?
    };
    let hasher = if secrets.pepper {
        peppered_hasher(aws)?
    } else {
        CodeHasher::without_pepper()
    };
    let flows = directory(aws, &store_config);
    let codes = build_sender(
        aws,
        &store_config,
        flows.clone(),
        clock.clone(),
        MessagingConfig::from_env()?,
        hasher.clone(),
    )?;
    // One sink for both: the checker raises `app_login.*` for Verifik's
    // sign-in forms, the registrations `app_registration.*`.
    let events = event_sink(aws, &flows)?;
    // Registrations only check codes with it; it never signs.
    let checker = build_verifier(aws, clock.clone(), hasher, tokens.clone(), events.clone())?;
    Ok(Registrations::new(
        DynamoRegistrationStore::new(
            aws.dynamodb.clone(),
            &store_config.table_name,
            store_config.retention.as_secs() as i64,
        ),
        CodeSessions {
            send: codes,
            check: checker,
        },
        tokens,
        clock,
    )
    .with_events(events))
}

/// For the identity-verification endpoints: enrollee tokens are checked with
/// the public keys only; no pepper, no signing key.
pub fn identity_checks(aws: &Aws) -> Result<(IdentityService, IdentityConfig), BoxError> {
    identity_checks_with(aws, system_clock())
}

fn identity_checks_with(
    aws: &Aws,
    clock: Arc<dyn Clock>,
) -> Result<(IdentityService, IdentityConfig), BoxError> {
    let config = IdentityConfig::from_env()?;
    let registrations = build_registrations(aws, clock, RegistrationSecrets::NONE)?;
    let checks = IdentityChecks::new(
        registrations,
        rekognition_faces(aws, &config),
        textract_documents(aws),
        s3_images(aws, &config),
        &config.bucket,
    )
    .with_limits(crate::settings::abuse_limits_from_env()?);
    Ok((checks, config))
}

/// Image calls take seconds (Textract reads a page in 1-5 s), not the
/// milliseconds the DynamoDB policy is cut for: one attempt may take 10 s,
/// and all of them 25 s, inside API Gateway's 30.
fn image_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(2))
        .operation_attempt_timeout(std::time::Duration::from_secs(10))
        .operation_timeout(std::time::Duration::from_secs(25))
        .build()
}

fn rekognition_faces(aws: &Aws, config: &IdentityConfig) -> RekognitionFaces {
    let rekognition = aws_sdk_rekognition::config::Builder::from(&aws.config)
        .timeout_config(image_timeouts())
        .build();
    RekognitionFaces::new(
        aws_sdk_rekognition::Client::from_conf(rekognition),
        config.kms_key.clone(),
    )
}

fn textract_documents(aws: &Aws) -> TextractDocuments {
    let textract = aws_sdk_textract::config::Builder::from(&aws.config)
        .timeout_config(image_timeouts())
        .build();
    TextractDocuments::new(aws_sdk_textract::Client::from_conf(textract))
}

fn s3_images(aws: &Aws, config: &IdentityConfig) -> S3Images {
    S3Images::new(
        aws_sdk_s3::Client::new(&aws.config),
        &config.bucket,
        config.kms_key.clone(),
    )
}

/// For the face-login endpoints: they sign face-step and sign-in tokens,
/// so they hold the private key; they check no codes, so no pepper.
pub fn face_logins(aws: &Aws) -> Result<(FaceLoginService, IdentityConfig), BoxError> {
    face_logins_with(aws, system_clock())
}

/// For `DELETE /v2/app-logins/{id}/biometrics`: the API key's tenant; it
/// signs nothing, so it holds the public keys only.
pub fn face_redaction(
    aws: &Aws,
) -> Result<(Authenticator<SharedDirectory>, FaceLoginService), BoxError> {
    let store_config = StoreConfig::from_env()?;
    let (faces, _) = build_face_logins(aws, system_clock(), checking_tokens(aws)?)?;
    Ok((Authenticator::new(directory(aws, &store_config)), faces))
}

fn face_logins_with(
    aws: &Aws,
    clock: Arc<dyn Clock>,
) -> Result<(FaceLoginService, IdentityConfig), BoxError> {
    build_face_logins(aws, clock, signing_tokens(aws)?)
}

fn build_face_logins(
    aws: &Aws,
    clock: Arc<dyn Clock>,
    tokens: TokenIssuer,
) -> Result<(FaceLoginService, IdentityConfig), BoxError> {
    let config = IdentityConfig::from_env()?;
    let store_config = StoreConfig::from_env()?;
    // No Textract: face login reads no document.
    let flows = directory(aws, &store_config);
    let faces = FaceLogins::new(
        DynamoLoginStore::new(aws.dynamodb.clone(), &store_config.table_name),
        flows.clone(),
        rekognition_faces(aws, &config),
        s3_images(aws, &config),
        tokens,
        clock,
        store_config.retention,
        &config.bucket,
    )
    .with_limits(crate::settings::abuse_limits_from_env()?)
    .with_events(event_sink(aws, &flows)?);
    Ok((faces, config))
}

/// For `/v2/projects`, `/v2/project-flows` and `/v2/api-keys`.
pub fn tenant_config(
    aws: &Aws,
) -> Result<
    (
        Authenticator<SharedDirectory>,
        crate::service::TenantConfig<DynamoConfigStore>,
    ),
    BoxError,
> {
    let store_config = StoreConfig::from_env()?;
    let admin = crate::service::TenantConfig::new(
        DynamoConfigStore::new(aws.dynamodb.clone(), &store_config.table_name),
        system_clock(),
    )
    .with_webhook_policy(WebhookConfig::from_env()?.policy);
    // No cache: an admin key is checked against the table on every call, so
    // a revoked one can neither mint keys nor change flows a moment later.
    let uncached = StoreConfig {
        directory_cache: std::time::Duration::ZERO,
        ..store_config
    };
    Ok((Authenticator::new(directory(aws, &uncached)), admin))
}

/// For `/v2/operators` and `/v2/audit-log`: as `tenant_config`, the admin
/// key is checked against the table on every call; a console session is
/// read, with its operator, on every call too.
pub fn operators(
    aws: &Aws,
) -> Result<
    (
        crate::service::console::Gate<
            SharedDirectory,
            crate::adapters::dynamodb::DynamoOperatorStore,
        >,
        crate::service::operators::Operators<crate::adapters::dynamodb::DynamoOperatorStore>,
    ),
    BoxError,
> {
    let store_config = StoreConfig {
        directory_cache: std::time::Duration::ZERO,
        ..StoreConfig::from_env()?
    };
    let store = crate::adapters::dynamodb::DynamoOperatorStore::new(
        aws.dynamodb.clone(),
        &store_config.table_name,
    );
    let operators = crate::service::operators::Operators::new(store.clone(), system_clock());
    let gate = crate::service::console::Gate {
        keys: Authenticator::new(directory(aws, &store_config)),
        sessions: crate::service::console::ConsoleSessions::new(store, system_clock()),
    };
    Ok((gate, operators))
}

pub type DeliveryService = WebhookDeliveries<SharedDirectory, HttpWebhooks, DynamoDeliveryLog>;

/// For the delivery function: the flows (for each webhook's URL and
/// secret), the HTTPS client, the failure log, and the queue it hides
/// failed messages on until their retry. No secret from Secrets Manager.
pub fn webhook_deliveries(aws: &Aws) -> Result<(DeliveryService, SqsQueue), BoxError> {
    let config = WebhookConfig::from_env()?;
    let queue_url = config
        .queue_url
        .clone()
        .ok_or(crate::settings::ConfigError::Missing(
            "GATEHOUSE_WEBHOOK_QUEUE_URL",
        ))?;
    let queue = SqsQueue::new(sqs_client(aws), queue_url);
    Ok((delivery_service(aws, &config, system_clock())?, queue))
}

fn delivery_service(
    aws: &Aws,
    config: &WebhookConfig,
    clock: Arc<dyn Clock>,
) -> Result<DeliveryService, BoxError> {
    let store_config = StoreConfig::from_env()?;
    Ok(WebhookDeliveries::new(
        directory(aws, &store_config),
        HttpWebhooks::new(config.policy)?,
        DynamoDeliveryLog::new(aws.dynamodb.clone(), &store_config.table_name),
        clock,
        config.schedule,
    ))
}

/// For `GET /v2/webhook-deliveries`: the admin key and the failure log.
pub fn webhook_admin(
    aws: &Aws,
) -> Result<(Authenticator<SharedDirectory>, DeliveryService), BoxError> {
    let store_config = StoreConfig::from_env()?;
    let deliveries = delivery_service(aws, &WebhookConfig::from_env()?, system_clock())?;
    // As for the other admin reads: the key is checked on every call.
    let uncached = StoreConfig {
        directory_cache: std::time::Duration::ZERO,
        ..store_config
    };
    Ok((Authenticator::new(directory(aws, &uncached)), deliveries))
}

/// For `GET /v2/projects/kyc`: public reads, no secret.
pub fn public_projects(aws: &Aws) -> Result<PublicProjectService, BoxError> {
    let store_config = StoreConfig::from_env()?;
    Ok(PublicProjects::new(
        directory(aws, &store_config),
        DynamoConfigStore::new(aws.dynamodb.clone(), &store_config.table_name),
        DynamoLoginStore::new(aws.dynamodb.clone(), &store_config.table_name),
        system_clock(),
    )
    .with_limits(crate::settings::abuse_limits_from_env()?))
}

/// The integration harness's variants: a clock it controls, and its own
/// sender addresses. Built only with the `harness` feature (the tests
/// crate's), never into a function.
#[cfg(feature = "harness")]
pub mod harness {
    use super::*;

    /// As `login_sender`, sending from `messaging`.
    pub fn login_sender_from(
        aws: &Aws,
        messaging: MessagingConfig,
    ) -> Result<(Authenticator<SharedDirectory>, Sender), BoxError> {
        login_sender_with(aws, messaging)
    }

    /// As `login_verifier`, reading time from `clock`.
    pub fn login_verifier_with_clock(
        aws: &Aws,
        clock: Arc<dyn Clock>,
    ) -> Result<CodeChecker<DynamoLoginStore>, BoxError> {
        build_verifier(
            aws,
            clock,
            peppered_hasher(aws)?,
            signing_tokens(aws)?,
            own_event_sink(aws)?,
        )
    }

    /// The identity checks, reading time from `clock`.
    pub fn identity_checks_with_clock(
        aws: &Aws,
        clock: Arc<dyn Clock>,
    ) -> Result<(IdentityService, IdentityConfig), BoxError> {
        identity_checks_with(aws, clock)
    }

    /// The face-login service, reading time from `clock`.
    pub fn face_logins_with_clock(
        aws: &Aws,
        clock: Arc<dyn Clock>,
    ) -> Result<(FaceLoginService, IdentityConfig), BoxError> {
        face_logins_with(aws, clock)
    }

    /// Events to the queue at `queue_url`, whatever the environment says.
    pub fn events_to(aws: &Aws, queue_url: &str) -> Result<Arc<dyn EventSink>, BoxError> {
        let flows = directory(aws, &StoreConfig::from_env()?);
        Ok(outbox(aws, &flows, queue_url.to_string()))
    }

    /// The delivery function's services on the queue at `queue_url`.
    pub fn deliveries_from(
        aws: &Aws,
        queue_url: &str,
        policy: crate::domain::webhook::AddressPolicy,
        schedule: crate::domain::webhook::RetrySchedule,
    ) -> Result<(DeliveryService, SqsQueue), BoxError> {
        let config = WebhookConfig {
            queue_url: Some(queue_url.to_string()),
            policy,
            schedule,
        };
        let queue = SqsQueue::new(sqs_client(aws), queue_url);
        Ok((delivery_service(aws, &config, system_clock())?, queue))
    }

    /// With every secret, reading time from `clock`.
    pub fn registrations_with_clock(
        aws: &Aws,
        clock: Arc<dyn Clock>,
    ) -> Result<RegistrationService, BoxError> {
        build_registrations(aws, clock, RegistrationSecrets::ALL)
    }
}
