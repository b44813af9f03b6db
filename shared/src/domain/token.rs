//! The signed token a user gets when a login is validated.
//!
//! EdDSA (Ed25519), so a customer's backend verifies tokens with the public
//! key alone and never holds anything that could mint one.

use crate::error::{Error, Result};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The claims, documented in docs/tokens.md.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginClaims {
    pub iss: String,
    /// The verified identifier: the email, or else the E.164 phone.
    pub sub: String,
    /// The project the user signed in to.
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    /// How the user proved it: `email`, `sms` (RFC 8176 names).
    pub amr: Vec<String>,
    #[serde(rename = "loginId")]
    pub login_id: String,
    #[serde(rename = "projectFlow")]
    pub project_flow: String,
}

#[derive(Clone)]
pub struct TokenIssuer {
    key: EncodingKey,
    issuer: String,
    lifetime: Duration,
}

impl TokenIssuer {
    pub fn from_pem(private_key_pem: &str, issuer: String, lifetime: Duration) -> Result<Self> {
        let key = EncodingKey::from_ed_pem(private_key_pem.as_bytes()).map_err(Error::internal)?;
        Ok(Self {
            key,
            issuer,
            lifetime,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    pub fn sign(&self, claims: &LoginClaims) -> Result<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &self.key)
            .map_err(Error::internal)
    }
}
