//! The signed token a user gets when a login is validated.
//!
//! EdDSA (Ed25519), so a customer's backend verifies tokens with the public
//! key alone and never holds anything that could mint one.

use crate::error::{Error, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
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
    /// Set when the token ends an onboarding rather than a sign-in.
    #[serde(
        rename = "registrationId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub registration_id: Option<String>,
}

/// The audience of enrollee tokens: nothing else accepts them.
pub const ENROLLEE_AUDIENCE: &str = "gatehouse:enrollee";

/// The enrollee's token: lets one browser act on one registration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnrolleeClaims {
    pub iss: String,
    /// The registration id.
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client: String,
    #[serde(rename = "projectFlow")]
    pub project_flow: String,
}

#[derive(Clone)]
pub struct TokenIssuer {
    key: EncodingKey,
    /// The public half, derived from the private key, to check our own tokens.
    public: DecodingKey,
    issuer: String,
    lifetime: Duration,
}

impl TokenIssuer {
    pub fn from_pem(private_key_pem: &str, issuer: String, lifetime: Duration) -> Result<Self> {
        let key = EncodingKey::from_ed_pem(private_key_pem.as_bytes()).map_err(Error::internal)?;
        let der = pem::parse(private_key_pem).map_err(Error::internal)?;
        let pair = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der.contents())
            .map_err(|e| Error::internal(format!("Ed25519 private key: {e}")))?;
        let public =
            DecodingKey::from_ed_der(aws_lc_rs::signature::KeyPair::public_key(&pair).as_ref());
        Ok(Self {
            key,
            public,
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

    pub fn sign_enrollee(&self, claims: &EnrolleeClaims) -> Result<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &self.key)
            .map_err(Error::internal)
    }

    /// The claims of a valid, unexpired enrollee token of ours, or `None`.
    pub fn verify_enrollee(&self, token: &str) -> Option<EnrolleeClaims> {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[ENROLLEE_AUDIENCE]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<EnrolleeClaims>(token, &self.public, &validation)
            .ok()
            .map(|data| data.claims)
    }

    pub fn sign(&self, claims: &LoginClaims) -> Result<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &self.key)
            .map_err(Error::internal)
    }
}
