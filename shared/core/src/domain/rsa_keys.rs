//! The RS256 keys beside the Ed25519 one: OpenID Connect Core requires an
//! OP to sign ID tokens with RS256, and RFC 9068 requires it of JWT access
//! tokens. The private key is PKCS#8 PEM; the public keys are SPKI PEM, the
//! current first, then at most one previous key during a rotation, as for
//! the Ed25519 key (docs/rotation.md).

use crate::error::{Error, Result};
use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use sha2::{Digest, Sha256};

/// One RSA public key, as a JWK names it.
#[derive(Clone)]
pub(crate) struct RsaVerifyingKey {
    /// RFC 7638 thumbprint.
    pub kid: String,
    n: String,
    e: String,
    pub decoding: DecodingKey,
}

impl RsaVerifyingKey {
    fn from_components(n: &[u8], e: &[u8]) -> Self {
        let n_b64 = URL_SAFE_NO_PAD.encode(n);
        let e_b64 = URL_SAFE_NO_PAD.encode(e);
        // Members in lexicographic order, no spaces (RFC 7638 section 3).
        let canonical = format!(r#"{{"e":"{e_b64}","kty":"RSA","n":"{n_b64}"}}"#);
        Self {
            kid: URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())),
            decoding: DecodingKey::from_rsa_raw_components(n, e),
            n: n_b64,
            e: e_b64,
        }
    }

    fn from_public(key: &aws_lc_rs::rsa::PublicKey) -> Self {
        Self::from_components(
            key.modulus().big_endian_without_leading_zero(),
            key.exponent().big_endian_without_leading_zero(),
        )
    }

    fn from_spki(block: &pem::Pem) -> Result<Self> {
        if block.tag() != "PUBLIC KEY" {
            return Err(Error::internal(
                "RSA public key: expected an SPKI PEM block (BEGIN PUBLIC KEY)",
            ));
        }
        let key = aws_lc_rs::rsa::PublicKey::from_der(block.contents())
            .map_err(|e| Error::internal(format!("RSA public key: {e}")))?;
        if key.modulus_len() < 256 {
            return Err(Error::internal("RSA public key: at least 2048 bits"));
        }
        Ok(Self::from_public(&key))
    }

    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "RSA",
            "n": self.n,
            "e": self.e,
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
        })
    }
}

/// The RS256 keys: signing (where the function is given the private key)
/// and verifying.
#[derive(Clone)]
pub struct RsaKeys {
    pub(crate) signing: Option<EncodingKey>,
    pub(crate) public: Vec<RsaVerifyingKey>,
}

fn public_keys(pems: &str) -> Result<Vec<RsaVerifyingKey>> {
    let blocks = pem::parse_many(pems).map_err(Error::internal)?;
    if blocks.is_empty() || blocks.len() > 2 {
        return Err(Error::internal(
            "RSA public keys: give one or two PEM blocks, the current key first",
        ));
    }
    blocks.iter().map(RsaVerifyingKey::from_spki).collect()
}

impl RsaKeys {
    /// Signs and verifies; `other_public_pems` may add the previous key.
    pub fn from_private_pem(private_pem: &str, other_public_pems: Option<&str>) -> Result<Self> {
        let block = pem::parse(private_pem).map_err(Error::internal)?;
        if block.tag() != "PRIVATE KEY" {
            return Err(Error::internal(
                "RSA private key: expected a PKCS#8 PEM block (BEGIN PRIVATE KEY)",
            ));
        }
        let pair = RsaKeyPair::from_pkcs8(block.contents())
            .map_err(|e| Error::internal(format!("RSA private key: {e}")))?;
        if pair.public_modulus_len() < 256 {
            return Err(Error::internal("RSA private key: at least 2048 bits"));
        }
        let signing = EncodingKey::from_rsa_pem(private_pem.as_bytes())
            .map_err(|e| Error::internal(format!("RSA private key: {e}")))?;
        let mut public = vec![RsaVerifyingKey::from_public(pair.public_key())];
        for other in other_public_pems
            .map(public_keys)
            .transpose()?
            .unwrap_or_default()
        {
            if public.iter().all(|k| k.kid != other.kid) {
                public.push(other);
            }
        }
        Ok(Self {
            signing: Some(signing),
            public,
        })
    }

    /// Verifies only.
    pub fn verify_only(public_pems: &str) -> Result<Self> {
        Ok(Self {
            signing: None,
            public: public_keys(public_pems)?,
        })
    }
}
