//! API keys. A key is 32 random bytes; only its SHA-256 digest is stored.
//! A fast hash is right here (unlike codes): the key has 256 bits of
//! entropy, so the digest cannot be brute-forced.

use crate::domain::tenant_config::{KeyGrant, KeyScope};
use crate::domain::ClientId;
use crate::error::{Error, Result};
use crate::ports::Directory;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const API_KEY_PREFIX: &str = "ghk_";

pub fn api_key_digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The key's public prefix: what a list of keys and the audit log show.
pub fn key_prefix(key: &str) -> String {
    key.trim().chars().take(12).collect()
}

/// A new random API key and its digest.
pub fn generate_api_key() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let key = format!("{API_KEY_PREFIX}{}", hex::encode(bytes));
    let digest = api_key_digest(&key);
    (key, digest)
}

pub struct Authenticator<D> {
    directory: D,
}

impl<D: Directory> Authenticator<D> {
    pub fn new(directory: D) -> Self {
        Self { directory }
    }

    pub fn directory(&self) -> &D {
        &self.directory
    }

    /// The client behind a bearer API key of any scope, or `Unauthorized`:
    /// for App Logins and App Registrations.
    pub async fn client(&self, bearer: Option<&str>) -> Result<ClientId> {
        Ok(self.grant(bearer).await?.client)
    }

    /// The client behind an `admin` API key: for projects, flows and keys.
    /// A `runtime` key gets 403 `insufficient_scope`.
    pub async fn admin(&self, bearer: Option<&str>) -> Result<ClientId> {
        let grant = self.grant(bearer).await?;
        if grant.scope != KeyScope::Admin {
            return Err(Error::Forbidden {
                code: "insufficient_scope",
                message: "this API key has the runtime scope; projects, flows and API keys need an admin key".into(),
            });
        }
        Ok(grant.client)
    }

    async fn grant(&self, bearer: Option<&str>) -> Result<KeyGrant> {
        let key = bearer
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or(Error::Unauthorized)?;
        // Reject malformed keys without a lookup.
        if !key.starts_with(API_KEY_PREFIX) || key.len() != API_KEY_PREFIX.len() + 64 {
            return Err(Error::Unauthorized);
        }
        self.directory
            .client_for_key(&api_key_digest(key))
            .await?
            .ok_or(Error::Unauthorized)
    }
}
