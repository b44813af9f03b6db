//! The console's functions: operators sign in with Gatehouse's own code
//! sessions. Only the sign-in functions hold the pepper; none holds a
//! private key (the console's code check never signs a token).

use super::{checking_tokens, directory, peppered_hasher, system_clock, Aws, AwsPorts};
use crate::adapters::dynamodb::{DynamoLoginStore, DynamoOperatorStore};
use crate::adapters::ses::SesEmailSender;
use crate::adapters::sns::SnsSmsSender;
use crate::error::BoxError;
use crate::service::console::{ConsoleDirectory, ConsolePorts, ConsoleSessions, ConsoleSignIn};
use crate::service::{CodeChecker, CodeSender, CodeSessions};
use crate::settings::{MessagingConfig, StoreConfig};

pub type SignInService = ConsoleSignIn<AwsPorts, DynamoOperatorStore>;
pub type SessionService = ConsoleSessions<DynamoOperatorStore>;

fn operator_store(aws: &Aws, config: &StoreConfig) -> DynamoOperatorStore {
    DynamoOperatorStore::new(aws.dynamodb.clone(), &config.table_name)
}

/// `POST /console/api/sign-in` and its verify: the pepper, SES and SNS.
pub fn sign_in(aws: &Aws) -> Result<SignInService, BoxError> {
    let store_config = StoreConfig::from_env()?;
    let hasher = peppered_hasher(aws)?;
    let clock = system_clock();
    let logins = || DynamoLoginStore::new(aws.dynamodb.clone(), &store_config.table_name);
    let messaging = MessagingConfig::from_env()?;
    let send = CodeSender::<ConsolePorts<AwsPorts>>::new(
        logins(),
        ConsoleDirectory::new(directory(aws, &store_config)),
        SesEmailSender::new(
            aws_sdk_sesv2::Client::new(&aws.config),
            messaging.email_from,
        ),
        SnsSmsSender::new(
            aws_sdk_sns::Client::new(&aws.config),
            messaging.sms_sender_id,
        ),
        hasher.clone(),
        clock.clone(),
        store_config.retention,
    );
    let check = CodeChecker::new(
        logins(),
        hasher,
        checking_tokens(aws)?,
        clock.clone(),
        store_config.retention,
    );
    Ok(ConsoleSignIn::new(
        CodeSessions { send, check }.with_limits(crate::settings::abuse_limits_from_env()?),
        operator_store(aws, &store_config),
        clock,
    ))
}

/// Every signed-in console call: the table only.
pub fn sessions(aws: &Aws) -> Result<SessionService, BoxError> {
    let store_config = StoreConfig::from_env()?;
    Ok(ConsoleSessions::new(
        operator_store(aws, &store_config),
        system_clock(),
    ))
}
