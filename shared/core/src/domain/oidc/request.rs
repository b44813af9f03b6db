//! An authorization request (RFC 6749 section 4.1.1, OpenID Connect Core
//! 3.1.2.1), parsed and checked. The client and redirect URI are checked by
//! the service first (an error about either is shown, never redirected);
//! every later error goes back to the redirect URI.

use super::OAuthError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

const MAX_STATE_LEN: usize = 2048;
const MAX_NONCE_LEN: usize = 512;
const MAX_HINT_LEN: usize = 320;

/// The query or form pairs of a request, as sent.
#[derive(Clone, Debug, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// The one value of `name`; `Err` when it is sent more than once
    /// (RFC 6749 section 3.1). An empty value counts as absent.
    pub fn one(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let first = values.next();
        if values.next().is_some() {
            return Err(OAuthError::invalid_request(format!(
                "{name} is given more than once"
            )));
        }
        Ok(first.map(String::as_str).filter(|v| !v.is_empty()))
    }

    pub fn without(&self, names: &[&str]) -> Params {
        Params(
            self.0
                .iter()
                .filter(|(k, _)| !names.contains(&k.as_str()))
                .cloned()
                .collect(),
        )
    }

    pub fn with(mut self, name: &str, value: String) -> Params {
        self.0.push((name.to_string(), value));
        self
    }

    pub fn encode(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.0.iter())
            .finish()
    }
}

/// The internal parameter a sign-in round trip adds: the session must have
/// begun at or after this second (`prompt=login`, or an exceeded `max_age`).
pub const AUTH_AFTER: &str = "gh_auth_after";

#[derive(Clone, Debug, PartialEq)]
pub struct AuthorizationRequest {
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    /// `prompt=none`: answer without any page.
    pub prompt_none: bool,
    /// `prompt=login` or `select_account`: sign in again.
    pub prompt_login: bool,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// The first of `ui_locales` the pages speak.
    pub ui_locale: Option<String>,
    pub auth_after: Option<i64>,
}

/// The languages of the hosted pages.
pub const UI_LOCALES: [&str; 2] = ["en", "es"];

fn printable(value: &str) -> bool {
    !value.chars().any(char::is_control)
}

/// `state` alone, for the error redirects of a request that fails early.
pub fn state_of(params: &Params) -> Option<String> {
    params.one("state").ok().flatten().map(str::to_string)
}

impl AuthorizationRequest {
    /// Everything but the client and redirect URI, which the caller has
    /// checked. `public` clients must send PKCE.
    pub fn parse(params: &Params, public: bool) -> Result<Self, OAuthError> {
        if params.one("request")?.is_some() {
            return Err(OAuthError::new(
                "request_not_supported",
                "request objects are not supported",
            ));
        }
        if params.one("request_uri")?.is_some() {
            return Err(OAuthError::new(
                "request_uri_not_supported",
                "request_uri is not supported",
            ));
        }
        match params.one("response_type")? {
            Some("code") => {}
            None => return Err(OAuthError::invalid_request("response_type is required")),
            Some(_) => {
                return Err(OAuthError::new(
                    "unsupported_response_type",
                    "only response_type=code is supported",
                ))
            }
        }
        if let Some(mode) = params.one("response_mode")? {
            if mode != "query" {
                return Err(OAuthError::invalid_request(
                    "only response_mode=query is supported",
                ));
            }
        }
        let scopes: Vec<String> = params
            .one("scope")?
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if !scopes.iter().any(|s| s == "openid") {
            return Err(OAuthError::new(
                "invalid_scope",
                "scope must include openid",
            ));
        }
        let state = params.one("state")?.map(str::to_string);
        if state
            .as_deref()
            .is_some_and(|s| s.len() > MAX_STATE_LEN || !printable(s))
        {
            return Err(OAuthError::invalid_request(format!(
                "state is at most {MAX_STATE_LEN} printable characters"
            )));
        }
        let nonce = params.one("nonce")?.map(str::to_string);
        if nonce
            .as_deref()
            .is_some_and(|s| s.len() > MAX_NONCE_LEN || !printable(s))
        {
            return Err(OAuthError::invalid_request(format!(
                "nonce is at most {MAX_NONCE_LEN} printable characters"
            )));
        }
        let code_challenge = params.one("code_challenge")?.map(str::to_string);
        let method = params.one("code_challenge_method")?;
        match (&code_challenge, method) {
            (None, None) if public => {
                return Err(OAuthError::invalid_request(
                    "a public client must send code_challenge with code_challenge_method=S256",
                ))
            }
            (None, None) => {}
            (None, Some(_)) => {
                return Err(OAuthError::invalid_request(
                    "code_challenge_method without code_challenge",
                ))
            }
            (Some(_), Some("S256")) => {}
            (Some(_), _) => {
                return Err(OAuthError::invalid_request(
                    "code_challenge_method must be S256 (plain is refused)",
                ))
            }
        }
        if let Some(challenge) = &code_challenge {
            if challenge.len() != 43 || URL_SAFE_NO_PAD.decode(challenge).is_err() {
                return Err(OAuthError::invalid_request(
                    "code_challenge is a base64url SHA-256, 43 characters",
                ));
            }
        }
        let prompts: Vec<&str> = params
            .one("prompt")?
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .collect();
        let prompt_none = prompts.contains(&"none");
        if prompt_none && prompts.len() > 1 {
            return Err(OAuthError::invalid_request(
                "prompt=none cannot be combined with another value",
            ));
        }
        let prompt_login = prompts.contains(&"login") || prompts.contains(&"select_account");
        let max_age =
            match params.one("max_age")? {
                None => None,
                Some(text) => Some(text.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(
                    || OAuthError::invalid_request("max_age is a number of seconds"),
                )?),
            };
        let login_hint = params
            .one("login_hint")?
            .filter(|h| h.len() <= MAX_HINT_LEN && printable(h))
            .map(str::to_string);
        let ui_locale = params.one("ui_locales")?.and_then(|list| {
            list.split(' ')
                .filter_map(|tag| tag.split('-').next())
                .map(str::to_ascii_lowercase)
                .find(|lang| UI_LOCALES.contains(&lang.as_str()))
        });
        let auth_after = params.one(AUTH_AFTER)?.and_then(|t| t.parse().ok());
        Ok(Self {
            scopes,
            state,
            nonce,
            code_challenge,
            prompt_none,
            prompt_login,
            max_age,
            login_hint,
            ui_locale,
            auth_after,
        })
    }
}

/// RFC 7636: whether `verifier` hashes to `challenge` (S256).
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    well_formed
        && aws_lc_rs::constant_time::verify_slices_are_equal(
            computed.as_bytes(),
            challenge.as_bytes(),
        )
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_7636_appendix_b() {
        assert!(pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            CHALLENGE
        ));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx",
            CHALLENGE
        ));
    }

    #[test]
    fn plain_pkce_and_missing_pkce_for_public_clients_are_refused() {
        let base = [("response_type", "code"), ("scope", "openid email")];
        let mut plain = base.to_vec();
        plain.extend([
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "plain"),
        ]);
        assert_eq!(
            AuthorizationRequest::parse(&params(&plain), false)
                .unwrap_err()
                .error,
            "invalid_request"
        );
        let mut implied_plain = base.to_vec();
        implied_plain.push(("code_challenge", CHALLENGE));
        assert!(AuthorizationRequest::parse(&params(&implied_plain), false).is_err());
        assert!(AuthorizationRequest::parse(&params(&base), true).is_err());
        assert!(AuthorizationRequest::parse(&params(&base), false).is_ok());
        let mut s256 = base.to_vec();
        s256.extend([
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]);
        let request = AuthorizationRequest::parse(&params(&s256), true).unwrap();
        assert_eq!(request.code_challenge.as_deref(), Some(CHALLENGE));
    }

    #[test]
    fn standard_errors_for_the_rest() {
        let cases: [(&[(&str, &str)], &str); 6] = [
            (
                &[("response_type", "token"), ("scope", "openid")],
                "unsupported_response_type",
            ),
            (
                &[("response_type", "code"), ("scope", "email")],
                "invalid_scope",
            ),
            (
                &[
                    ("response_type", "code"),
                    ("scope", "openid"),
                    ("prompt", "none login"),
                ],
                "invalid_request",
            ),
            (
                &[
                    ("response_type", "code"),
                    ("scope", "openid"),
                    ("max_age", "-1"),
                ],
                "invalid_request",
            ),
            (
                &[
                    ("response_type", "code"),
                    ("scope", "openid"),
                    ("request", "eyJ"),
                ],
                "request_not_supported",
            ),
            (
                &[
                    ("response_type", "code"),
                    ("scope", "openid"),
                    ("state", "a"),
                    ("state", "b"),
                ],
                "invalid_request",
            ),
        ];
        for (pairs, error) in cases {
            assert_eq!(
                AuthorizationRequest::parse(&params(pairs), false)
                    .unwrap_err()
                    .error,
                error,
                "{pairs:?}"
            );
        }
        let ok = AuthorizationRequest::parse(
            &params(&[
                ("response_type", "code"),
                ("scope", "openid"),
                ("prompt", "login"),
                ("ui_locales", "fr-CA es-MX en"),
                ("max_age", "0"),
                ("unknown", "ignored"),
            ]),
            false,
        )
        .unwrap();
        assert!(ok.prompt_login && !ok.prompt_none);
        assert_eq!(ok.ui_locale.as_deref(), Some("es"));
        assert_eq!(ok.max_age, Some(0));
    }
}
