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
    /// None in functions that only check enrollee tokens: they are never
    /// given the private key.
    key: Option<EncodingKey>,
    /// The public half, to check our own tokens.
    public: DecodingKey,
    issuer: String,
    lifetime: Duration,
}

impl TokenIssuer {
    /// Signs and verifies; the public half is derived from the private key.
    pub fn from_pem(private_key_pem: &str, issuer: String, lifetime: Duration) -> Result<Self> {
        let key = EncodingKey::from_ed_pem(private_key_pem.as_bytes()).map_err(Error::internal)?;
        let der = pem::parse(private_key_pem).map_err(Error::internal)?;
        let pair = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der.contents())
            .map_err(|e| Error::internal(format!("Ed25519 private key: {e}")))?;
        let public =
            DecodingKey::from_ed_der(aws_lc_rs::signature::KeyPair::public_key(&pair).as_ref());
        Ok(Self {
            key: Some(key),
            public,
            issuer,
            lifetime,
        })
    }

    /// Verifies only, from the public key (SPKI PEM); signing is an error.
    pub fn verify_only(public_key_pem: &str, issuer: String, lifetime: Duration) -> Result<Self> {
        let public = DecodingKey::from_ed_pem(public_key_pem.as_bytes())
            .map_err(|e| Error::internal(format!("Ed25519 public key: {e}")))?;
        Ok(Self {
            key: None,
            public,
            issuer,
            lifetime,
        })
    }

    fn encode<T: Serialize>(&self, claims: &T) -> Result<String> {
        let key = self
            .key
            .as_ref()
            .ok_or_else(|| Error::internal("this function holds no signing key"))?;
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, key).map_err(Error::internal)
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    pub fn sign_enrollee(&self, claims: &EnrolleeClaims) -> Result<String> {
        self.encode(claims)
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
        self.encode(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};

    /// A fresh key pair as PEM: PKCS#8 private, SPKI public.
    fn key_pair() -> (String, String) {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new()).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        // SubjectPublicKeyInfo for Ed25519: a fixed prefix, then the key.
        let mut spki = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        spki.extend_from_slice(pair.public_key().as_ref());
        (
            pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.as_ref().to_vec())),
            pem::encode(&pem::Pem::new("PUBLIC KEY", spki)),
        )
    }

    fn enrollee(exp: i64) -> EnrolleeClaims {
        EnrolleeClaims {
            iss: "https://auth.example.com".into(),
            sub: "registration".into(),
            aud: ENROLLEE_AUDIENCE.into(),
            exp,
            iat: exp - 60,
            jti: "jti".into(),
            client: "client".into(),
            project_flow: "flow".into(),
        }
    }

    #[test]
    fn a_verify_only_issuer_checks_tokens_but_cannot_sign() {
        let (private, public) = key_pair();
        let issuer = "https://auth.example.com".to_string();
        let lifetime = Duration::from_secs(60);
        let signer = TokenIssuer::from_pem(&private, issuer.clone(), lifetime).unwrap();
        let checker = TokenIssuer::verify_only(&public, issuer, lifetime).unwrap();
        let claims = enrollee(time::OffsetDateTime::now_utc().unix_timestamp() + 600);
        let token = signer.sign_enrollee(&claims).unwrap();

        assert_eq!(checker.verify_enrollee(&token), Some(claims.clone()));
        assert!(checker.sign_enrollee(&claims).is_err());
        // Another key's token is refused.
        let (other, _) = key_pair();
        let forged = TokenIssuer::from_pem(&other, "https://auth.example.com".into(), lifetime)
            .unwrap()
            .sign_enrollee(&claims)
            .unwrap();
        assert_eq!(checker.verify_enrollee(&forged), None);
        assert!(TokenIssuer::verify_only(&private, "x".into(), lifetime).is_err());
    }
}
