//! An OAuth client of one project (a relying party): where it may be sent
//! back to, what it may ask for, and, for a confidential client, its
//! secret. Field names are RFC 7591's client metadata.

use crate::domain::ids::new_id;
use crate::domain::time::Timestamp;
use crate::domain::token::SigningAlg;
use crate::error::{Error, Result};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const CLIENT_SECRET_PREFIX: &str = "ghs_";
/// How long a rotated-out secret keeps working unless the rotation says.
pub const DEFAULT_SECRET_GRACE_SECONDS: i64 = 86_400;
pub const MAX_SECRET_GRACE_SECONDS: i64 = 7 * 86_400;
const MAX_URIS: usize = 10;
const MAX_URI_LEN: usize = 2000;

/// The scopes a client may be allowed: the identity, its contacts, and
/// refresh tokens.
pub const SUPPORTED_SCOPES: [&str; 4] = ["openid", "email", "phone", "offline_access"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientType {
    /// A browser or native app: no secret, PKCE required.
    Public,
    /// A server: authenticates with its secret.
    Confidential,
}

/// One secret's digest. The secret itself is shown once, at creation or
/// rotation: 256 random bits, so SHA-256 is enough (as for API keys).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSecret {
    pub digest: String,
    pub created_at: Timestamp,
    /// Set on a rotated-out secret: it works until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// As stored (camelCase, as every record); the API shows [`ClientView`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClient {
    pub client_id: String,
    /// The tenant.
    pub client: String,
    pub project: String,
    /// The login flow whose hosted sign-in page serves this client.
    pub login_flow: String,
    pub client_name: String,
    pub client_type: ClientType,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub id_token_signed_response_alg: SigningAlg,
    #[serde(default)]
    pub secrets: Vec<StoredSecret>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<Timestamp>,
}

/// What the API shows of a client: never a secret's digest.
#[derive(Clone, Debug, Serialize)]
pub struct ClientView<'a> {
    pub client_id: &'a str,
    pub project: &'a str,
    pub login_flow: &'a str,
    pub client_name: &'a str,
    pub client_type: ClientType,
    pub redirect_uris: &'a [String],
    pub post_logout_redirect_uris: &'a [String],
    pub scopes: &'a [String],
    pub id_token_signed_response_alg: SigningAlg,
    pub token_endpoint_auth_method: &'static str,
    /// When each live secret was made, and when a rotated-out one stops.
    pub secrets: Vec<SecretView>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, Serialize)]
pub struct SecretView {
    pub created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

pub fn secret_digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A fresh client secret and its stored form.
pub fn new_secret(now: Timestamp) -> (String, StoredSecret) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{CLIENT_SECRET_PREFIX}{}", hex::encode(bytes));
    let stored = StoredSecret {
        digest: secret_digest(&secret),
        created_at: now,
        expires_at: None,
    };
    (secret, stored)
}

impl OAuthClient {
    pub fn view(&self, now: Timestamp) -> ClientView<'_> {
        ClientView {
            client_id: &self.client_id,
            project: &self.project,
            login_flow: &self.login_flow,
            client_name: &self.client_name,
            client_type: self.client_type,
            redirect_uris: &self.redirect_uris,
            post_logout_redirect_uris: &self.post_logout_redirect_uris,
            scopes: &self.scopes,
            id_token_signed_response_alg: self.id_token_signed_response_alg,
            token_endpoint_auth_method: match self.client_type {
                ClientType::Public => "none",
                ClientType::Confidential => "client_secret_basic",
            },
            secrets: self
                .live_secrets(now)
                .map(|s| SecretView {
                    created_at: s.created_at,
                    expires_at: s.expires_at,
                })
                .collect(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    fn live_secrets(&self, now: Timestamp) -> impl Iterator<Item = &StoredSecret> {
        self.secrets
            .iter()
            .filter(move |s| s.expires_at.is_none_or(|at| now < at))
    }

    /// Whether `secret` is one of this client's live secrets (compared in
    /// constant time).
    pub fn secret_matches(&self, secret: &str, now: Timestamp) -> bool {
        let digest = secret_digest(secret);
        let mut matched = false;
        for stored in self.live_secrets(now) {
            matched |= aws_lc_rs::constant_time::verify_slices_are_equal(
                stored.digest.as_bytes(),
                digest.as_bytes(),
            )
            .is_ok();
        }
        matched
    }

    /// `uri` is one of the registered redirect URIs, exactly; for a
    /// loopback http URI any port (RFC 8252 section 7.3).
    pub fn allows_redirect(&self, uri: &str) -> bool {
        allows(&self.redirect_uris, uri)
    }

    pub fn allows_post_logout_redirect(&self, uri: &str) -> bool {
        allows(&self.post_logout_redirect_uris, uri)
    }

    /// A new current secret; the old one works for `grace_seconds` more.
    pub fn rotate_secret(&mut self, now: Timestamp, grace_seconds: i64) -> Result<String> {
        if self.client_type != ClientType::Confidential {
            return Err(Error::conflict(
                "public_client",
                "a public client has no secret to rotate",
            ));
        }
        if !(0..=MAX_SECRET_GRACE_SECONDS).contains(&grace_seconds) {
            return Err(Error::invalid(
                "invalid_field",
                format!("graceSeconds is between 0 and {MAX_SECRET_GRACE_SECONDS}"),
            ));
        }
        let live: Vec<StoredSecret> = self.live_secrets(now).cloned().collect();
        let mut kept: Vec<StoredSecret> = live
            .into_iter()
            .filter(|s| s.expires_at.is_none())
            .map(|mut s| {
                s.expires_at = Some(now.plus_seconds(grace_seconds));
                s
            })
            .filter(|s| s.expires_at.is_some_and(|at| now < at))
            .collect();
        let (secret, stored) = new_secret(now);
        kept.insert(0, stored);
        self.secrets = kept;
        self.updated_at = now;
        Ok(secret)
    }
}

fn is_loopback(url: &url::Url) -> bool {
    matches!(
        url.host(),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback()
    ) || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
        || url.host_str() == Some("localhost")
}

fn allows(registered: &[String], uri: &str) -> bool {
    if registered.iter().any(|r| r == uri) {
        return true;
    }
    // A loopback redirect may use any port: a native app listens on the
    // one the system gives it. Everything else must still match.
    let Ok(asked) = url::Url::parse(uri) else {
        return false;
    };
    if asked.scheme() != "http" || !is_loopback(&asked) {
        return false;
    }
    registered.iter().any(|r| {
        url::Url::parse(r).is_ok_and(|mut r| {
            let mut asked = asked.clone();
            r.scheme() == "http"
                && is_loopback(&r)
                && r.set_port(None).is_ok()
                && asked.set_port(None).is_ok()
                && r == asked
        })
    })
}

/// A redirect URI a client may register: absolute, https (http only for a
/// loopback host, RFC 8252), no fragment, no user info, no wildcard.
fn check_uri(field: &str, uri: &str) -> Result<()> {
    let refuse = |why: &str| {
        Err(Error::invalid(
            "invalid_redirect_uri",
            format!(
                "{field}: {:?} {why}",
                uri.chars().take(200).collect::<String>()
            ),
        ))
    };
    if uri.len() > MAX_URI_LEN {
        return refuse("is too long");
    }
    let Ok(url) = url::Url::parse(uri) else {
        return refuse("is not an absolute URL");
    };
    if url.fragment().is_some() || uri.contains('#') {
        return refuse("has a fragment (RFC 6749 section 3.1.2)");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse("has user info");
    }
    if uri.contains('*') {
        return refuse("has a wildcard: redirect URIs match exactly");
    }
    match url.scheme() {
        "https" if url.host_str().is_some() => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => refuse("is http: only a loopback host may use http (RFC 8252)"),
        _ => refuse("must be https"),
    }
}

fn check_uris(field: &str, uris: &[String], at_least_one: bool) -> Result<()> {
    if at_least_one && uris.is_empty() {
        return Err(Error::invalid(
            "invalid_redirect_uri",
            format!("{field}: give at least one"),
        ));
    }
    if uris.len() > MAX_URIS {
        return Err(Error::invalid(
            "invalid_redirect_uri",
            format!("{field}: at most {MAX_URIS}"),
        ));
    }
    uris.iter().try_for_each(|u| check_uri(field, u))
}

fn check_scopes(scopes: &[String]) -> Result<()> {
    if let Some(unknown) = scopes
        .iter()
        .find(|s| !SUPPORTED_SCOPES.contains(&s.as_str()))
    {
        return Err(Error::invalid(
            "invalid_scope",
            format!(
                "scopes: {unknown:?} is not one of {}",
                SUPPORTED_SCOPES.join(", ")
            ),
        ));
    }
    if !scopes.iter().any(|s| s == "openid") {
        return Err(Error::invalid(
            "invalid_scope",
            "scopes: an OpenID Connect client needs openid",
        ));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "invalid_field",
            "client_name: 1 to 100 printable characters",
        ));
    }
    Ok(())
}

/// A client as created or changed through the API. On update, an absent
/// field is left as it is.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientFields {
    pub project: Option<String>,
    pub login_flow: Option<String>,
    pub client_name: Option<String>,
    pub client_type: Option<ClientType>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub scopes: Option<Vec<String>>,
    pub id_token_signed_response_alg: Option<SigningAlg>,
}

impl ClientFields {
    /// A new client of `tenant` for `project`, served by `login_flow` (both
    /// checked by the caller), and its secret when confidential.
    pub fn create(
        self,
        tenant: &str,
        project: &str,
        login_flow: &str,
        now: Timestamp,
    ) -> Result<(OAuthClient, Option<String>)> {
        let mut missing = Vec::new();
        if self.client_name.is_none() {
            missing.push("client_name".to_string());
        }
        if self.client_type.is_none() {
            missing.push("client_type".to_string());
        }
        if self.redirect_uris.is_none() {
            missing.push("redirect_uris".to_string());
        }
        if !missing.is_empty() {
            return Err(Error::MissingParameters(missing));
        }
        let client_type = self.client_type.unwrap_or(ClientType::Public);
        let (secret, secrets) = match client_type {
            ClientType::Confidential => {
                let (secret, stored) = new_secret(now);
                (Some(secret), vec![stored])
            }
            ClientType::Public => (None, vec![]),
        };
        let client = OAuthClient {
            client_id: new_id(),
            client: tenant.to_string(),
            project: project.to_string(),
            login_flow: login_flow.to_string(),
            client_name: self.client_name.unwrap_or_default(),
            client_type,
            redirect_uris: self.redirect_uris.unwrap_or_default(),
            post_logout_redirect_uris: self.post_logout_redirect_uris.unwrap_or_default(),
            scopes: self
                .scopes
                .unwrap_or_else(|| vec!["openid".into(), "email".into(), "phone".into()]),
            id_token_signed_response_alg: self.id_token_signed_response_alg.unwrap_or_default(),
            secrets,
            created_at: now,
            updated_at: now,
            archived_at: None,
        };
        client.check()?;
        Ok((client, secret))
    }

    /// Changes what is given; the project and the type stay.
    pub fn apply(self, client: &mut OAuthClient, now: Timestamp) -> Result<()> {
        if self.project.is_some_and(|p| p != client.project) {
            return Err(Error::invalid(
                "invalid_field",
                "project: a client stays with the project it was made for",
            ));
        }
        if self.client_type.is_some_and(|t| t != client.client_type) {
            return Err(Error::invalid(
                "invalid_field",
                "client_type: make a new client to change its type",
            ));
        }
        if let Some(flow) = self.login_flow {
            client.login_flow = flow;
        }
        if let Some(name) = self.client_name {
            client.client_name = name;
        }
        if let Some(uris) = self.redirect_uris {
            client.redirect_uris = uris;
        }
        if let Some(uris) = self.post_logout_redirect_uris {
            client.post_logout_redirect_uris = uris;
        }
        if let Some(scopes) = self.scopes {
            client.scopes = scopes;
        }
        if let Some(alg) = self.id_token_signed_response_alg {
            client.id_token_signed_response_alg = alg;
        }
        client.updated_at = now;
        client.check()
    }
}

impl OAuthClient {
    fn check(&self) -> Result<()> {
        check_name(&self.client_name)?;
        check_uris("redirect_uris", &self.redirect_uris, true)?;
        check_uris(
            "post_logout_redirect_uris",
            &self.post_logout_redirect_uris,
            false,
        )?;
        check_scopes(&self.scopes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(uris: &[&str]) -> OAuthClient {
        let fields = ClientFields {
            client_name: Some("App".into()),
            client_type: Some(ClientType::Confidential),
            redirect_uris: Some(uris.iter().map(|u| u.to_string()).collect()),
            ..Default::default()
        };
        fields
            .create("tenant", "project", "flow", Timestamp::now())
            .unwrap()
            .0
    }

    #[test]
    fn only_https_or_loopback_http_without_fragments_or_wildcards() {
        for bad in [
            "http://app.example.com/cb",
            "https://app.example.com/cb#x",
            "https://*.example.com/cb",
            "javascript:alert(1)",
            "/relative",
            "https://user:pw@app.example.com/cb",
        ] {
            let fields = ClientFields {
                client_name: Some("App".into()),
                client_type: Some(ClientType::Public),
                redirect_uris: Some(vec![bad.into()]),
                ..Default::default()
            };
            assert!(
                fields.create("t", "p", "f", Timestamp::now()).is_err(),
                "{bad}"
            );
        }
        client(&[
            "https://app.example.com/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8080/cb",
        ]);
    }

    #[test]
    fn redirects_match_exactly_but_loopback_takes_any_port() {
        let c = client(&["https://app.example.com/cb", "http://127.0.0.1:3000/cb"]);
        assert!(c.allows_redirect("https://app.example.com/cb"));
        for wrong in [
            "https://app.example.com/cb/",
            "https://app.example.com/cb?x=1",
            "https://app.example.com/cbx",
            "https://evil.example/cb",
            "http://app.example.com/cb",
            "http://127.0.0.1:3000/other",
        ] {
            assert!(!c.allows_redirect(wrong), "{wrong}");
        }
        assert!(c.allows_redirect("http://127.0.0.1:51234/cb"));
    }

    #[test]
    fn a_rotated_secret_works_until_its_grace_ends() {
        let now = Timestamp::now();
        let fields = ClientFields {
            client_name: Some("App".into()),
            client_type: Some(ClientType::Confidential),
            redirect_uris: Some(vec!["https://app.example.com/cb".into()]),
            ..Default::default()
        };
        let (mut c, first) = fields.create("t", "p", "f", now).unwrap();
        let first = first.unwrap();
        assert!(c.secret_matches(&first, now));
        assert!(!c.secret_matches("ghs_wrong", now));
        let second = c.rotate_secret(now, 60).unwrap();
        assert!(c.secret_matches(&first, now.plus_seconds(59)));
        assert!(!c.secret_matches(&first, now.plus_seconds(60)));
        assert!(c.secret_matches(&second, now.plus_seconds(3600)));
        let third = c.rotate_secret(now.plus_seconds(10), 0).unwrap();
        assert_eq!(c.secrets.len(), 1, "a zero grace drops the old at once");
        assert!(!c.secret_matches(&second, now.plus_seconds(10)));
        assert!(c.secret_matches(&third, now.plus_seconds(10)));
        let stored = serde_json::to_string(&c).unwrap();
        assert!(!stored.contains(&third));
    }
}
