//! Builds each function's services once per container: config from the
//! environment, one AWS config, one client per service. The SDK follows
//! `AWS_ENDPOINT_URL_*`, which is how local runs reach DynamoDB Local and
//! moto with the same code.

use crate::adapters::dynamodb::{DynamoDirectory, DynamoLoginStore};
use crate::adapters::ses::SesEmailSender;
use crate::adapters::sns::SnsSmsSender;
use crate::config::{CodeConfig, MessagingConfig, StoreConfig, TokenConfig};
use crate::domain::token::TokenIssuer;
use crate::domain::CodeHasher;
use crate::error::BoxError;
use crate::ports::{Clock, SystemClock};
use crate::service::{Authenticator, CachedDirectory, LoginReader, LoginSender, LoginVerifier};
use std::sync::Arc;

pub type SharedDirectory = Arc<CachedDirectory<DynamoDirectory>>;
pub type Sender = LoginSender<DynamoLoginStore, SharedDirectory, SesEmailSender, SnsSmsSender>;

pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

pub fn directory(aws: &aws_config::SdkConfig, store: &StoreConfig) -> SharedDirectory {
    let dynamodb = aws_sdk_dynamodb::Client::new(aws);
    Arc::new(CachedDirectory::new(
        DynamoDirectory::new(dynamodb, &store.table_name),
        store.directory_cache,
    ))
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// For `POST /v2/app-logins` and the resend endpoint.
pub async fn login_sender() -> Result<(Authenticator<SharedDirectory>, Sender), BoxError> {
    let store_config = StoreConfig::from_env()?;
    let codes = CodeConfig::from_env()?;
    let messaging = MessagingConfig::from_env()?;
    let aws = aws_config().await;
    let directory = directory(&aws, &store_config);
    let sender = LoginSender::new(
        DynamoLoginStore::new(
            aws_sdk_dynamodb::Client::new(&aws),
            &store_config.table_name,
        ),
        directory.clone(),
        SesEmailSender::new(aws_sdk_sesv2::Client::new(&aws), messaging.email_from),
        SnsSmsSender::new(aws_sdk_sns::Client::new(&aws), messaging.sms_sender_id),
        CodeHasher::new(&codes.pepper, codes.bcrypt_cost),
        clock(),
        store_config.retention,
    );
    Ok((Authenticator::new(directory), sender))
}

/// For the validate endpoints.
pub async fn login_verifier() -> Result<LoginVerifier<DynamoLoginStore>, BoxError> {
    login_verifier_with_clock(clock()).await
}

/// As `login_verifier`, reading time from `clock`.
pub async fn login_verifier_with_clock(
    clock: Arc<dyn Clock>,
) -> Result<LoginVerifier<DynamoLoginStore>, BoxError> {
    let store_config = StoreConfig::from_env()?;
    let codes = CodeConfig::from_env()?;
    let token = TokenConfig::from_env()?;
    let aws = aws_config().await;
    Ok(LoginVerifier::new(
        DynamoLoginStore::new(
            aws_sdk_dynamodb::Client::new(&aws),
            &store_config.table_name,
        ),
        CodeHasher::new(&codes.pepper, codes.bcrypt_cost),
        TokenIssuer::from_pem(&token.private_key_pem, token.issuer, token.lifetime)?,
        clock,
        store_config.retention,
    ))
}

/// For list and get.
pub async fn login_reader() -> Result<
    (
        Authenticator<SharedDirectory>,
        LoginReader<DynamoLoginStore>,
    ),
    BoxError,
> {
    let store_config = StoreConfig::from_env()?;
    let aws = aws_config().await;
    let reader = LoginReader::new(DynamoLoginStore::new(
        aws_sdk_dynamodb::Client::new(&aws),
        &store_config.table_name,
    ));
    Ok((Authenticator::new(directory(&aws, &store_config)), reader))
}

/// Re-exported so the admin CLI and tests need no SDK dependency of their own.
pub type AwsConfig = aws_config::SdkConfig;
pub type DynamoClient = aws_sdk_dynamodb::Client;
