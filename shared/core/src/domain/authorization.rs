//! The hosted pages' way back to the customer: a one-time authorisation
//! code in the redirect, which the customer's backend exchanges for the
//! token with its API key (as OAuth's authorisation code grant does), so a
//! token never sits in a URL, a browser's history or a server's log.
//!
//! The code is 256 random bits. The table keeps only its SHA-256 (the
//! grant's key) and the token sealed with a key derived from the code, so
//! a grant read from the table (or left there until DynamoDB's TTL sweep)
//! yields no token without the code itself.

use super::time::Timestamp;
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A code lives one minute: long enough for a redirect and one exchange.
pub const AUTHORIZATION_CODE_SECONDS: i64 = 60;
const PREFIX: &str = "ghc_";
/// Domain separation between the code's lookup hash and its sealing key.
const SEAL_CONTEXT: &[u8] = b"gatehouse authorization code seal v1";

/// How a flow hands the user back to its `redirectUrl`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RedirectMode {
    /// `?code=…&state=…`, exchanged by the backend (the default).
    #[default]
    Code,
    /// Verifik's `?type=login&token=…`: the token in the URL. Opt-in, for
    /// front ends that expect it.
    Token,
}

/// A fresh code as the browser carries it. Never stored or logged.
pub struct AuthorizationCode(String);

impl AuthorizationCode {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The code as given back by a backend; `None` when it cannot be one.
    pub fn parse(text: &str) -> Option<Self> {
        let body = text.strip_prefix(PREFIX)?;
        let ok = body.len() == 43
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The grant's key in the table.
    pub fn grant_id(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }

    fn sealing_key(&self) -> LessSafeKey {
        let mut hasher = Sha256::new();
        hasher.update(SEAL_CONTEXT);
        hasher.update(self.0.as_bytes());
        let key = UnboundKey::new(&CHACHA20_POLY1305, &hasher.finalize())
            .expect("a 32-byte key fits ChaCha20-Poly1305");
        LessSafeKey::new(key)
    }

    /// `token` sealed under this code, bound to the grant's id.
    pub fn seal(&self, token: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut sealed = token.as_bytes().to_vec();
        self.sealing_key()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(self.grant_id().as_bytes()),
                &mut sealed,
            )
            .expect("sealing a token cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The token sealed under this code; `None` when it was not.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let mut rest = rest.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let plain = self
            .sealing_key()
            .open_in_place(nonce, Aad::from(self.grant_id().as_bytes()), &mut rest)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

/// What the table keeps for one code until it is exchanged or expires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationGrant {
    /// SHA-256 of the code.
    pub id: String,
    pub client: String,
    pub project: String,
    pub project_flow: String,
    /// The App Login whose token this is.
    pub login_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_id: Option<String>,
    /// The exact URL the code was sent to; the exchange must name it.
    pub redirect_uri: String,
    /// The token, sealed under the code.
    pub sealed_token: String,
    pub token_expires_at: Timestamp,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl AuthorizationGrant {
    pub fn is_live(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }
}

/// `redirect_uri` with the query a hosted page appends: the code (or, for
/// [`RedirectMode::Token`], Verifik's `type=login&token=`), and `state`
/// when the customer sent one.
pub fn redirect_target(redirect_uri: &str, params: &[(&str, &str)]) -> Option<String> {
    let mut url = url::Url::parse(redirect_uri).ok()?;
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
    }
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_opens_only_its_own_seal() {
        let code = AuthorizationCode::generate();
        let sealed = code.seal("header.payload.signature");
        assert_eq!(
            code.open(&sealed).as_deref(),
            Some("header.payload.signature")
        );
        let other = AuthorizationCode::generate();
        assert_eq!(other.open(&sealed), None);
        let mut tampered = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(code.open(&URL_SAFE_NO_PAD.encode(tampered)), None);
        assert!(!sealed.contains("payload"));
    }

    #[test]
    fn codes_are_random_and_parse_back() {
        let a = AuthorizationCode::generate();
        let b = AuthorizationCode::generate();
        assert_ne!(a.as_str(), b.as_str());
        assert_ne!(a.grant_id(), b.grant_id());
        let parsed = AuthorizationCode::parse(a.as_str()).unwrap();
        assert_eq!(parsed.grant_id(), a.grant_id());
        assert!(AuthorizationCode::parse("ghc_short").is_none());
        assert!(AuthorizationCode::parse(&a.as_str().replace("ghc_", "ghk_")).is_none());
        let with_slash = format!("{}/", &a.as_str()[..a.as_str().len() - 1]);
        assert!(AuthorizationCode::parse(&with_slash).is_none());
    }

    #[test]
    fn the_redirect_keeps_the_customers_query_and_escapes_ours() {
        let to = redirect_target(
            "https://app.example.com/back?from=gatehouse",
            &[("code", "ghc_x"), ("state", "a b&c")],
        )
        .unwrap();
        assert_eq!(
            to,
            "https://app.example.com/back?from=gatehouse&code=ghc_x&state=a+b%26c"
        );
    }
}
