//! An operator's console session. The browser holds a random token in an
//! HttpOnly cookie; the table holds only its SHA-256, the operator's email
//! and the tenant it acts for. The CSRF token every change must also carry
//! in a header is derived from the cookie's token, so the page can read it
//! again after a reload and the table cannot make it.

use crate::domain::{ClientId, Email, Timestamp};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Short on purpose: a console left open signs in again after this.
pub const SESSION_SECONDS: i64 = 15 * 60;
/// `__Host-`: the browser keeps it only if Secure, on `/` and for this
/// host alone (RFC 6265bis §4.1.3.2).
pub const COOKIE_NAME: &str = "__Host-gatehouse-console";
/// The header a change carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
const SESSION_PREFIX: &str = "ghc_";

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SESSION_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The CSRF token of the session whose cookie holds `cookie_token`.
pub fn csrf_token(cookie_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(format!("csrf\n{cookie_token}").as_bytes()))
}

/// Whether `presented` is the CSRF token of `cookie_token`'s session,
/// compared in constant time.
pub fn csrf_matches(cookie_token: &str, presented: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(
        csrf_token(cookie_token).as_bytes(),
        presented.as_bytes(),
    )
    .is_ok()
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The stored id of a presented session token, or `None` when it cannot
/// be one of ours (so nothing is looked up for it).
pub fn session_id(token: &str) -> Option<String> {
    let random = token.strip_prefix(SESSION_PREFIX)?;
    let well_formed = random.len() == 43
        && random
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| digest(token))
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsoleSession {
    /// The SHA-256 of the cookie's token.
    #[serde(rename = "_id")]
    pub id: String,
    pub email: Email,
    pub client: ClientId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A new session and the secret only the browser gets.
pub struct IssuedSession {
    pub session: ConsoleSession,
    pub cookie_token: String,
}

impl ConsoleSession {
    pub fn issue(email: Email, client: ClientId, now: Timestamp) -> IssuedSession {
        let cookie_token = random_token();
        IssuedSession {
            session: ConsoleSession {
                id: digest(&cookie_token),
                email,
                client,
                created_at: now,
                expires_at: now.plus_seconds(SESSION_SECONDS),
            },
            cookie_token,
        }
    }

    pub fn is_live(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued() -> IssuedSession {
        ConsoleSession::issue(
            Email::parse("ana@example.com").unwrap(),
            ClientId("c1".into()),
            Timestamp::from_unix(1_800_000_000).unwrap(),
        )
    }

    #[test]
    fn only_digests_are_stored_and_the_cookie_token_finds_its_session() {
        let issued = issued();
        let stored = serde_json::to_string(&issued.session).unwrap();
        assert!(!stored.contains(&issued.cookie_token));
        assert!(!stored.contains(&csrf_token(&issued.cookie_token)));
        assert_eq!(
            session_id(&issued.cookie_token).as_deref(),
            Some(issued.session.id.as_str())
        );
    }

    #[test]
    fn a_token_that_is_not_ours_is_never_looked_up() {
        for bad in [
            "",
            "ghc_",
            "ghc_short",
            "gho_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(session_id(bad), None, "{bad}");
        }
        let issued = issued();
        let mut tampered = issued.cookie_token.clone();
        tampered.push('=');
        assert_eq!(session_id(&tampered), None);
    }

    #[test]
    fn the_csrf_token_matches_itself_only_and_the_session_ends() {
        let other = issued();
        let issued = issued();
        let token = &issued.cookie_token;
        assert!(csrf_matches(token, &csrf_token(token)));
        assert!(!csrf_matches(token, ""));
        assert!(!csrf_matches(token, token));
        assert!(!csrf_matches(token, &csrf_token(&other.cookie_token)));
        let start = issued.session.created_at;
        assert!(issued
            .session
            .is_live(start.plus_seconds(SESSION_SECONDS - 1)));
        assert!(!issued.session.is_live(start.plus_seconds(SESSION_SECONDS)));
    }
}
