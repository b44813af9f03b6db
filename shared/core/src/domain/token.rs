//! The signed token a user gets when a login is validated.
//!
//! EdDSA (Ed25519), so a customer's backend verifies tokens with the public
//! key alone and never holds anything that could mint one.

use crate::domain::session_proof::SessionProof;
use crate::error::{Error, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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

/// The audience of face-step tokens: nothing else accepts them.
pub const FACE_STEP_AUDIENCE: &str = "gatehouse:face-step";

/// The face step's token: lets one browser take the face check of one
/// login, for a few minutes. It is not a session: it signs nobody in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaceStepClaims {
    pub iss: String,
    /// The login id.
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client: String,
    #[serde(rename = "projectFlow")]
    pub project_flow: String,
}

/// One key that checks our tokens, as a JWK names it.
#[derive(Clone)]
struct VerifyingKey {
    /// RFC 7638 thumbprint: stable for the key, the same wherever computed.
    kid: String,
    /// The raw 32-byte Ed25519 public key, base64url.
    x: String,
    decoding: DecodingKey,
}

impl VerifyingKey {
    fn from_raw(raw: &[u8]) -> Result<Self> {
        if raw.len() != 32 {
            return Err(Error::internal("an Ed25519 public key is 32 bytes"));
        }
        let x = URL_SAFE_NO_PAD.encode(raw);
        // Members in lexicographic order, no spaces (RFC 7638 section 3).
        let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        Ok(Self {
            kid,
            x,
            decoding: DecodingKey::from_ed_der(raw),
        })
    }

    /// An SPKI `PUBLIC KEY` PEM block.
    fn from_spki(block: &pem::Pem) -> Result<Self> {
        let der = block.contents();
        if block.tag() != "PUBLIC KEY" || der.len() != 44 || der[..12] != ED25519_SPKI_PREFIX {
            return Err(Error::internal(
                "Ed25519 public key: expected an SPKI PEM block (BEGIN PUBLIC KEY)",
            ));
        }
        Self::from_raw(&der[12..])
    }

    fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": self.x,
            "kid": self.kid,
            "use": "sig",
            "alg": "EdDSA",
        })
    }
}

/// DER SubjectPublicKeyInfo for Ed25519: this prefix, then the 32-byte key.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The public keys in a PEM bundle: the current key first, then at most one
/// previous key that still verifies while a rotation settles.
fn verifying_keys(pems: &str) -> Result<Vec<VerifyingKey>> {
    let blocks = pem::parse_many(pems).map_err(Error::internal)?;
    if blocks.is_empty() || blocks.len() > 2 {
        return Err(Error::internal(
            "Ed25519 public keys: give one or two PEM blocks, the current key first",
        ));
    }
    blocks.iter().map(VerifyingKey::from_spki).collect()
}

#[derive(Clone)]
pub struct TokenIssuer {
    /// None in functions that only check enrollee tokens: they are never
    /// given the private key.
    key: Option<EncodingKey>,
    /// The keys that check our tokens: the current one first (its `kid` is
    /// in every token we sign), then the previous one during a rotation.
    public: Vec<VerifyingKey>,
    issuer: String,
    lifetime: Duration,
    /// The RS256 keys of OpenID Connect tokens, where the function is given them.
    rsa: Option<super::rsa_keys::RsaKeys>,
}

/// How an OpenID Connect token is signed (the client's
/// `id_token_signed_response_alg`; access tokens are always RS256).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SigningAlg {
    #[default]
    RS256,
    EdDSA,
}

impl SigningAlg {
    fn algorithm(self) -> Algorithm {
        match self {
            SigningAlg::RS256 => Algorithm::RS256,
            SigningAlg::EdDSA => Algorithm::EdDSA,
        }
    }
}

/// What an OpenID Connect token must be to verify.
pub struct Expected<'a> {
    pub alg: SigningAlg,
    pub issuer: &'a str,
    /// `None` when the caller checks `aud` itself.
    pub audience: Option<&'a str>,
    /// The header's `typ`, when one is required (`at+jwt`).
    pub typ: Option<&'a str>,
    /// An expired token still verifies (RP-initiated logout's `id_token_hint`).
    pub allow_expired: bool,
}

impl TokenIssuer {
    /// Adds the RS256 keys (OpenID Connect).
    pub fn with_rsa(mut self, rsa: super::rsa_keys::RsaKeys) -> Self {
        self.rsa = Some(rsa);
        self
    }

    /// `claims` signed with `alg`'s current key, its `kid` and `typ` in the header.
    pub fn sign_jwt<T: Serialize>(
        &self,
        alg: SigningAlg,
        typ: Option<&str>,
        claims: &T,
    ) -> Result<String> {
        let (key, kid) = match alg {
            SigningAlg::EdDSA => (self.key.as_ref(), self.public[0].kid.clone()),
            SigningAlg::RS256 => {
                let rsa = self.rsa.as_ref();
                (
                    rsa.and_then(|r| r.signing.as_ref()),
                    rsa.map(|r| r.public[0].kid.clone()).unwrap_or_default(),
                )
            }
        };
        let key = key.ok_or_else(|| Error::internal("this function holds no such signing key"))?;
        let mut header = Header::new(alg.algorithm());
        header.kid = Some(kid);
        header.typ = Some(typ.unwrap_or("JWT").to_string());
        jsonwebtoken::encode(&header, claims, key).map_err(Error::internal)
    }

    /// The claims of a token of ours that meets `expected`, or `None`.
    pub fn verify_jwt<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        expected: &Expected<'_>,
    ) -> Option<T> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.alg != expected.alg.algorithm() {
            return None;
        }
        if let Some(typ) = expected.typ {
            if !header.typ.as_deref().is_some_and(|t| {
                t.eq_ignore_ascii_case(typ) || t.eq_ignore_ascii_case(&format!("application/{typ}"))
            }) {
                return None;
            }
        }
        let kid = header.kid?;
        let key = match expected.alg {
            SigningAlg::EdDSA => self
                .public
                .iter()
                .find(|k| k.kid == kid)
                .map(|k| &k.decoding),
            SigningAlg::RS256 => self
                .rsa
                .as_ref()?
                .public
                .iter()
                .find(|k| k.kid == kid)
                .map(|k| &k.decoding),
        }?;
        let mut validation = Validation::new(expected.alg.algorithm());
        match expected.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        validation.set_issuer(&[expected.issuer]);
        validation.validate_exp = !expected.allow_expired;
        let mut required = vec!["iss", "sub", "aud"];
        if !expected.allow_expired {
            required.push("exp");
        }
        validation.set_required_spec_claims(&required);
        validation.leeway = 0;
        jsonwebtoken::decode::<T>(token, key, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// Signs and verifies; the current public key is derived from the
    /// private one. `other_public_pems` may add the previous key (a bundle
    /// that also holds the current key is fine: it is not listed twice).
    pub fn from_pem(
        private_key_pem: &str,
        other_public_pems: Option<&str>,
        issuer: String,
        lifetime: Duration,
    ) -> Result<Self> {
        let key = EncodingKey::from_ed_pem(private_key_pem.as_bytes()).map_err(Error::internal)?;
        let der = pem::parse(private_key_pem).map_err(Error::internal)?;
        let pair = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der.contents())
            .map_err(|e| Error::internal(format!("Ed25519 private key: {e}")))?;
        let current =
            VerifyingKey::from_raw(aws_lc_rs::signature::KeyPair::public_key(&pair).as_ref())?;
        let mut public = vec![current];
        for other in other_public_pems
            .map(verifying_keys)
            .transpose()?
            .unwrap_or_default()
        {
            if public.iter().all(|k| k.kid != other.kid) {
                public.push(other);
            }
        }
        Ok(Self {
            key: Some(key),
            public,
            issuer,
            lifetime,
            rsa: None,
        })
    }

    /// Verifies only, from one or two SPKI PEM blocks (current first);
    /// signing is an error.
    pub fn verify_only(public_key_pems: &str, issuer: String, lifetime: Duration) -> Result<Self> {
        Ok(Self {
            key: None,
            public: verifying_keys(public_key_pems)?,
            issuer,
            lifetime,
            rsa: None,
        })
    }

    fn encode<T: Serialize>(&self, claims: &T) -> Result<String> {
        let key = self
            .key
            .as_ref()
            .ok_or_else(|| Error::internal("this function holds no signing key"))?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.public[0].kid.clone());
        jsonwebtoken::encode(&header, claims, key).map_err(Error::internal)
    }

    /// `GET /.well-known/jwks.json`: the current and any previous key.
    pub fn jwks(&self) -> serde_json::Value {
        let mut keys: Vec<_> = self.public.iter().map(VerifyingKey::jwk).collect();
        if let Some(rsa) = &self.rsa {
            keys.extend(rsa.public.iter().map(|k| k.jwk()));
        }
        serde_json::json!({ "keys": keys })
    }

    /// The key a token names; a token without `kid` (signed before kids
    /// existed) is checked with the current key.
    fn key_for(&self, token: &str) -> Option<&DecodingKey> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        match header.kid {
            None => Some(&self.public[0].decoding),
            Some(kid) => self
                .public
                .iter()
                .find(|k| k.kid == kid)
                .map(|k| &k.decoding),
        }
    }

    /// The end user's token for a verified session, signed: what a
    /// validated login and a completed registration both hand out.
    pub fn sign_session(
        &self,
        session: SessionProof,
        now: crate::domain::Timestamp,
    ) -> crate::error::Result<String> {
        self.sign(&LoginClaims {
            iss: self.issuer().to_string(),
            sub: session.subject,
            aud: session.project,
            iat: now.unix(),
            nbf: now.unix(),
            exp: now.unix() + self.lifetime().as_secs() as i64,
            jti: super::ids::new_id(),
            amr: session.amr,
            login_id: session.login_id,
            project_flow: session.project_flow,
            registration_id: session.registration_id,
        })
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
        self.verify(token, Some(ENROLLEE_AUDIENCE))
    }

    pub fn sign(&self, claims: &LoginClaims) -> Result<String> {
        self.encode(claims)
    }

    /// A face-step token for `login_id`, valid `seconds`.
    pub fn sign_face_step(
        &self,
        login_id: &str,
        client: &str,
        project_flow: &str,
        now: crate::domain::Timestamp,
        seconds: i64,
    ) -> Result<String> {
        self.encode(&FaceStepClaims {
            iss: self.issuer.clone(),
            sub: login_id.to_string(),
            aud: FACE_STEP_AUDIENCE.into(),
            exp: now.unix() + seconds,
            iat: now.unix(),
            jti: super::ids::new_id(),
            client: client.to_string(),
            project_flow: project_flow.to_string(),
        })
    }

    /// A face-step token for this login, for `FACE_STEP_SECONDS`.
    pub fn sign_face_step_for(
        &self,
        login: &crate::domain::Login,
        now: crate::domain::Timestamp,
    ) -> Result<String> {
        self.sign_face_step(
            &login.id,
            &login.client,
            &login.project_flow,
            now,
            crate::domain::login::FACE_STEP_SECONDS,
        )
    }

    /// The claims of a valid, unexpired token of ours for `audience` (any
    /// audience when `None`), or `None`.
    fn verify<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        audience: Option<&str>,
    ) -> Option<T> {
        let mut validation = Validation::new(Algorithm::EdDSA);
        match audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<T>(token, self.key_for(token)?, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// The claims of a valid, unexpired face-step token of ours, or `None`.
    pub fn verify_face_step(&self, token: &str) -> Option<FaceStepClaims> {
        self.verify(token, Some(FACE_STEP_AUDIENCE))
    }

    /// The claims of a valid, unexpired sign-in token of ours, for any
    /// project: the caller checks `aud` against the login it names.
    /// Enrollee and face-step tokens are not sign-in tokens.
    pub fn verify_session(&self, token: &str) -> Option<LoginClaims> {
        let claims: LoginClaims = self.verify(token, None)?;
        let internal = [ENROLLEE_AUDIENCE, FACE_STEP_AUDIENCE];
        // An OpenID Connect token is never a sign-in token either: its
        // issuer is the project's (verify checks `iss`), and the EdDSA
        // check refuses RS256.
        (!internal.contains(&claims.aud.as_str())).then_some(claims)
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
        let signer = TokenIssuer::from_pem(&private, None, issuer.clone(), lifetime).unwrap();
        let checker = TokenIssuer::verify_only(&public, issuer, lifetime).unwrap();
        let claims = enrollee(time::OffsetDateTime::now_utc().unix_timestamp() + 600);
        let token = signer.sign_enrollee(&claims).unwrap();

        assert_eq!(checker.verify_enrollee(&token), Some(claims.clone()));
        assert!(checker.sign_enrollee(&claims).is_err());
        // Another key's token is refused.
        let (other, _) = key_pair();
        let forged =
            TokenIssuer::from_pem(&other, None, "https://auth.example.com".into(), lifetime)
                .unwrap()
                .sign_enrollee(&claims)
                .unwrap();
        assert_eq!(checker.verify_enrollee(&forged), None);
        assert!(TokenIssuer::verify_only(&private, "x".into(), lifetime).is_err());
    }

    #[test]
    fn kid_is_the_rfc_7638_thumbprint() {
        // RFC 8037 appendix A.3: the Ed25519 key and its thumbprint.
        let raw = URL_SAFE_NO_PAD
            .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            .unwrap();
        let key = VerifyingKey::from_raw(&raw).unwrap();
        assert_eq!(key.kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn a_rotation_keeps_old_tokens_valid_and_names_the_key() {
        let (old_private, old_public) = key_pair();
        let (new_private, new_public) = key_pair();
        let issuer = "https://auth.example.com".to_string();
        let lifetime = Duration::from_secs(60);
        let claims = enrollee(time::OffsetDateTime::now_utc().unix_timestamp() + 600);
        let before = TokenIssuer::from_pem(&old_private, None, issuer.clone(), lifetime).unwrap();
        let old_token = before.sign_enrollee(&claims).unwrap();

        let after = TokenIssuer::from_pem(
            &new_private,
            Some(&format!("{new_public}{old_public}")),
            issuer.clone(),
            lifetime,
        )
        .unwrap();
        let new_token = after.sign_enrollee(&claims).unwrap();
        let keys = after.jwks()["keys"].as_array().unwrap().clone();
        assert_eq!(keys.len(), 2, "current and previous, the current once");
        let kid_of = |t: &str| jsonwebtoken::decode_header(t).unwrap().kid.unwrap();
        assert_eq!(kid_of(&new_token), keys[0]["kid"]);
        assert_eq!(kid_of(&old_token), keys[1]["kid"]);
        assert_eq!(after.verify_enrollee(&old_token), Some(claims.clone()));
        assert_eq!(after.verify_enrollee(&new_token), Some(claims.clone()));

        // A checker with only the new key refuses the old token.
        let checker = TokenIssuer::verify_only(&new_public, issuer, lifetime).unwrap();
        assert_eq!(checker.verify_enrollee(&new_token), Some(claims));
        assert!(checker.verify_enrollee(&old_token).is_none());
    }

    #[test]
    fn face_step_enrollee_and_session_tokens_are_never_taken_for_each_other() {
        let (private, _) = key_pair();
        let issuer = "https://auth.example.com".to_string();
        let tokens =
            TokenIssuer::from_pem(&private, None, issuer, Duration::from_secs(60)).unwrap();
        let now = crate::domain::Timestamp::now();
        let step = tokens
            .sign_face_step("login", "client", "flow", now, 300)
            .unwrap();
        let session = tokens
            .sign_session(
                SessionProof {
                    subject: "ana@example.com".into(),
                    project: "project".into(),
                    amr: vec!["email".into()],
                    login_id: "login".into(),
                    project_flow: "flow".into(),
                    registration_id: None,
                },
                now,
            )
            .unwrap();
        let enrollee = tokens.sign_enrollee(&enrollee(now.unix() + 600)).unwrap();
        assert_eq!(
            tokens.verify_face_step(&step).map(|c| c.sub),
            Some("login".into())
        );
        assert_eq!(
            tokens.verify_session(&session).map(|c| c.aud),
            Some("project".into())
        );
        assert!(tokens.verify_session(&step).is_none());
        assert!(tokens.verify_session(&enrollee).is_none());
        assert!(tokens.verify_face_step(&session).is_none());
        assert!(tokens.verify_face_step(&enrollee).is_none());
        assert!(tokens.verify_enrollee(&step).is_none());
        let expired = tokens
            .sign_face_step("login", "client", "flow", now, -1)
            .unwrap();
        assert!(tokens.verify_face_step(&expired).is_none());
    }

    fn rsa_pems() -> (String, String) {
        use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let private: Pkcs8V1Der = pair.as_der().unwrap();
        let public: PublicKeyX509Der = KeyPair::public_key(&pair).as_der().unwrap();
        (
            pem::encode(&pem::Pem::new("PRIVATE KEY", private.as_ref().to_vec())),
            pem::encode(&pem::Pem::new("PUBLIC KEY", public.as_ref().to_vec())),
        )
    }

    #[test]
    fn rs256_signs_and_verifies_and_the_jwks_lists_both_keys() {
        use super::super::rsa_keys::RsaKeys;
        let (private, _) = key_pair();
        let (rsa_private, rsa_public) = rsa_pems();
        let issuer = "https://api.example.com/oidc/p".to_string();
        let lifetime = Duration::from_secs(60);
        let signer = TokenIssuer::from_pem(&private, None, issuer.clone(), lifetime)
            .unwrap()
            .with_rsa(RsaKeys::from_private_pem(&rsa_private, None).unwrap());
        let claims = serde_json::json!({
            "iss": issuer, "sub": "ana", "aud": "rp",
            "exp": crate::domain::Timestamp::now().unix() + 60,
        });
        let token = signer
            .sign_jwt(SigningAlg::RS256, Some("at+jwt"), &claims)
            .unwrap();
        let checker = TokenIssuer::from_pem(&private, None, issuer.clone(), lifetime)
            .unwrap()
            .with_rsa(RsaKeys::verify_only(&rsa_public).unwrap());
        let expected = |alg, typ| Expected {
            alg,
            issuer: &issuer,
            audience: Some("rp"),
            typ,
            allow_expired: false,
        };
        let verified: Option<serde_json::Value> =
            checker.verify_jwt(&token, &expected(SigningAlg::RS256, Some("at+jwt")));
        assert_eq!(verified.unwrap()["sub"], "ana");
        // Another alg, another typ, or the EdDSA key: refused.
        assert!(checker
            .verify_jwt::<serde_json::Value>(&token, &expected(SigningAlg::EdDSA, Some("at+jwt")))
            .is_none());
        let plain = signer.sign_jwt(SigningAlg::RS256, None, &claims).unwrap();
        assert!(checker
            .verify_jwt::<serde_json::Value>(&plain, &expected(SigningAlg::RS256, Some("at+jwt")))
            .is_none());
        let ed = signer.sign_jwt(SigningAlg::EdDSA, None, &claims).unwrap();
        assert!(checker
            .verify_jwt::<serde_json::Value>(&ed, &expected(SigningAlg::EdDSA, None))
            .is_some());
        let keys = checker.jwks()["keys"].as_array().unwrap().clone();
        let kinds: Vec<_> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["EdDSA", "RS256"]);
        assert_eq!(
            jsonwebtoken::decode_header(&token).unwrap().kid.as_deref(),
            keys[1]["kid"].as_str()
        );
        // An RS256 OpenID Connect token is never a sign-in token.
        assert!(checker.verify_session(&token).is_none());
    }

    #[test]
    fn an_rs256_rotation_keeps_old_tokens_valid() {
        use super::super::rsa_keys::RsaKeys;
        let (private, _) = key_pair();
        let (old_private, old_public) = rsa_pems();
        let (new_private, new_public) = rsa_pems();
        let issuer = "https://api.example.com/oidc/p".to_string();
        let lifetime = Duration::from_secs(60);
        let ed = || TokenIssuer::from_pem(&private, None, issuer.clone(), lifetime).unwrap();
        let claims = serde_json::json!({
            "iss": issuer, "sub": "ana", "aud": "rp",
            "exp": crate::domain::Timestamp::now().unix() + 60,
        });
        let before = ed().with_rsa(RsaKeys::from_private_pem(&old_private, None).unwrap());
        let old_token = before.sign_jwt(SigningAlg::RS256, None, &claims).unwrap();
        let both = format!("{new_public}{old_public}");
        let after = ed().with_rsa(RsaKeys::from_private_pem(&new_private, Some(&both)).unwrap());
        let new_token = after.sign_jwt(SigningAlg::RS256, None, &claims).unwrap();
        let expected = Expected {
            alg: SigningAlg::RS256,
            issuer: &issuer,
            audience: Some("rp"),
            typ: None,
            allow_expired: false,
        };
        let checker = ed().with_rsa(RsaKeys::verify_only(&both).unwrap());
        for token in [&old_token, &new_token] {
            assert!(checker
                .verify_jwt::<serde_json::Value>(token, &expected)
                .is_some());
        }
        assert_eq!(
            after.jwks()["keys"].as_array().unwrap().len(),
            3,
            "Ed25519, new RSA, old RSA"
        );
        let settled = ed().with_rsa(RsaKeys::verify_only(&new_public).unwrap());
        assert!(settled
            .verify_jwt::<serde_json::Value>(&old_token, &expected)
            .is_none());
        assert!(settled
            .verify_jwt::<serde_json::Value>(&new_token, &expected)
            .is_some());
    }
}
