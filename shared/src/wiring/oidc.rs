//! The OpenID Connect provider's functions: each gets only the keys it
//! uses. Only the token function holds private keys; the others check
//! tokens with public keys.

use super::{checking_tokens, directory, signing_tokens, system_clock, Aws, SharedDirectory};
use crate::adapters::dynamodb::{DynamoConfigStore, DynamoLoginStore, DynamoOidcStore};
use crate::domain::rsa_keys::RsaKeys;
use crate::domain::token::TokenIssuer;
use crate::error::BoxError;
use crate::service::oidc::{Authorizer, Discovery, OAuthClients, OidcTokens};
use crate::service::{Authenticator, TenantConfig};
use crate::settings::{OidcConfig, SecretName, StoreConfig, WebhookConfig};

pub type AuthorizeService = Authorizer<DynamoOidcStore, SharedDirectory, DynamoLoginStore>;
pub type TokenService = OidcTokens<DynamoOidcStore>;
pub type ClientService = OAuthClients<DynamoOidcStore, DynamoConfigStore>;

fn store(aws: &Aws, config: &StoreConfig) -> DynamoOidcStore {
    DynamoOidcStore::new(aws.dynamodb.clone(), &config.table_name)
}

/// The RS256 public keys, when this function was given them.
fn rsa_public(aws: &Aws) -> Result<Option<RsaKeys>, BoxError> {
    match aws.secrets.get(SecretName::RsaPublicKeys) {
        Ok(pems) => Ok(Some(RsaKeys::verify_only(pems)?)),
        Err(_) if SecretName::RsaPublicKeys.secret_id().is_none() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The public keys a relying party checks tokens with: Ed25519 and, where
/// the stack has one, RSA. What both JWKS endpoints publish.
pub fn published_keys(aws: &Aws) -> Result<TokenIssuer, BoxError> {
    let tokens = checking_tokens(aws)?;
    Ok(match rsa_public(aws)? {
        Some(rsa) => tokens.with_rsa(rsa),
        None => tokens,
    })
}

/// Every public key, RSA required: userinfo, revoke and logout.
fn checking_all(aws: &Aws) -> Result<TokenIssuer, BoxError> {
    let rsa = aws.secrets.get(SecretName::RsaPublicKeys)?;
    Ok(checking_tokens(aws)?.with_rsa(RsaKeys::verify_only(rsa)?))
}

/// For discovery: the directory, no secret.
pub fn discovery(aws: &Aws) -> Result<Discovery<SharedDirectory>, BoxError> {
    let config = StoreConfig::from_env()?;
    Ok(Discovery::new(
        directory(aws, &config),
        OidcConfig::from_env()?.public_url,
    ))
}

/// For `/oauth2/authorize` and `/session`: the Ed25519 public keys (the
/// session is the hosted pages' sign-in token).
pub fn authorizer(aws: &Aws) -> Result<AuthorizeService, BoxError> {
    let config = StoreConfig::from_env()?;
    Ok(Authorizer::new(
        store(aws, &config),
        directory(aws, &config),
        DynamoLoginStore::new(aws.dynamodb.clone(), &config.table_name),
        checking_tokens(aws)?,
        system_clock(),
        OidcConfig::from_env()?.public_url,
    ))
}

/// For `/oauth2/token`: both private keys.
pub fn token_signer(aws: &Aws) -> Result<TokenService, BoxError> {
    token_signer_with(aws, system_clock())
}

/// The integration harness's token endpoint, on a clock it controls.
#[cfg(feature = "harness")]
pub fn token_signer_with_clock(
    aws: &Aws,
    clock: std::sync::Arc<dyn crate::ports::Clock>,
) -> Result<TokenService, BoxError> {
    token_signer_with(aws, clock)
}

fn token_signer_with(
    aws: &Aws,
    clock: std::sync::Arc<dyn crate::ports::Clock>,
) -> Result<TokenService, BoxError> {
    let config = StoreConfig::from_env()?;
    let rsa = RsaKeys::from_private_pem(
        aws.secrets.get(SecretName::RsaPrivateKey)?,
        aws.secrets.get(SecretName::RsaPublicKeys).ok(),
    )?;
    Ok(OidcTokens::new(
        store(aws, &config),
        signing_tokens(aws)?.with_rsa(rsa),
        clock,
        OidcConfig::from_env()?.public_url,
    ))
}

/// For userinfo, revoke and logout: public keys only.
pub fn token_checker(aws: &Aws) -> Result<TokenService, BoxError> {
    let config = StoreConfig::from_env()?;
    Ok(OidcTokens::new(
        store(aws, &config),
        checking_all(aws)?,
        system_clock(),
        OidcConfig::from_env()?.public_url,
    ))
}

/// For `/v2/oauth-clients`: an admin key, checked on every call.
pub fn clients(aws: &Aws) -> Result<(Authenticator<SharedDirectory>, ClientService), BoxError> {
    let config = StoreConfig::from_env()?;
    let tenant = TenantConfig::new(
        DynamoConfigStore::new(aws.dynamodb.clone(), &config.table_name),
        system_clock(),
    )
    .with_webhook_policy(WebhookConfig::from_env()?.policy);
    let uncached = StoreConfig {
        directory_cache: std::time::Duration::ZERO,
        ..config.clone()
    };
    Ok((
        Authenticator::new(directory(aws, &uncached)),
        OAuthClients::new(store(aws, &config), tenant),
    ))
}
