//! One authorization: its code, then, once redeemed, the refresh token
//! family it started. One item in the table, keyed by the code's SHA-256;
//! the table never holds a code or a refresh token, only their digests.

use crate::domain::time::Timestamp;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A code lives one minute at most (the and RFC 9700's bound).
pub const CODE_SECONDS: i64 = 60;
const CODE_PREFIX: &str = "gho_";
const REFRESH_PREFIX: &str = "ghr_";

fn random_part() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn well_formed(part: &str) -> bool {
    part.len() == 43
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A fresh authorization code and the grant id (its digest).
pub fn new_code() -> (String, String) {
    let code = format!("{CODE_PREFIX}{}", random_part());
    let id = digest(&code);
    (code, id)
}

/// The grant id of `code`, when it can be one of ours.
pub fn code_grant_id(code: &str) -> Option<String> {
    let part = code.strip_prefix(CODE_PREFIX)?;
    well_formed(part).then(|| digest(code))
}

/// A fresh refresh token of grant `grant_id`, and its digest.
pub fn new_refresh_token(grant_id: &str) -> (String, String) {
    let token = format!("{REFRESH_PREFIX}{grant_id}.{}", random_part());
    let digest = digest(&token);
    (token, digest)
}

/// The grant id a refresh token names, and the token's digest.
pub fn parse_refresh_token(token: &str) -> Option<(String, String)> {
    let rest = token.strip_prefix(REFRESH_PREFIX)?;
    let (grant, part) = rest.split_once('.')?;
    let grant_ok = grant.len() == 64 && grant.bytes().all(|b| b.is_ascii_hexdigit());
    (grant_ok && well_formed(part)).then(|| (grant.to_string(), digest(token)))
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OidcGrant {
    /// SHA-256 of the code.
    pub id: String,
    /// The tenant.
    pub client: String,
    pub project: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// Granted: what was asked, within what the client may have.
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<String>,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub amr: Vec<String>,
    /// When the user signed in (unix seconds).
    pub auth_time: i64,
    pub login_id: String,
    pub created_at: Timestamp,
    /// Unix seconds; the code is refused from then on.
    pub code_expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeemed_at: Option<Timestamp>,
    /// The current refresh token's digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_digest: Option<String>,
    /// Unix seconds: the family's end, however often it rotates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<Timestamp>,
}

impl OidcGrant {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Tokens of this grant still count: not revoked, family not over.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none()
            && self.redeemed_at.is_some()
            && self.family_expires_at.is_none_or(|at| now.unix() < at)
    }
}

/// What redeeming a code did.
#[derive(Debug)]
pub enum RedeemOutcome {
    /// The code was live and is now spent; the grant as it now stands.
    Redeemed(Box<OidcGrant>),
    /// The code was already spent: its grant is now revoked.
    Reused,
    /// No such code, or it expired.
    Unknown,
}

/// What presenting a refresh token did.
#[derive(Debug)]
pub enum RefreshOutcome {
    /// The token was current and has been replaced.
    Rotated(Box<OidcGrant>),
    /// An old token of a live family: the family is now revoked.
    Reused,
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_refresh_tokens_parse_back_only_when_ours() {
        let (code, id) = new_code();
        assert_eq!(code_grant_id(&code), Some(id.clone()));
        assert_eq!(code_grant_id(&code.replace("gho_", "ghc_")), None);
        assert_eq!(code_grant_id("gho_short"), None);
        let (token, token_digest) = new_refresh_token(&id);
        assert_eq!(
            parse_refresh_token(&token),
            Some((id.clone(), token_digest))
        );
        assert_eq!(parse_refresh_token(&token[..token.len() - 1]), None);
        assert_eq!(parse_refresh_token(&format!("ghr_{id}")), None);
    }
}
