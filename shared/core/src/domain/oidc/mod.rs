//! Gatehouse as an OpenID Connect provider (docs/oidc.md): one issuer per
//! project, OAuth clients, authorization codes with PKCE, and refresh
//! tokens that rotate.

pub mod claims;
pub mod client;
pub mod grant;
pub mod request;

pub use claims::{AccessClaims, IdTokenClaims, SessionClaims};
pub use client::{ClientFields, ClientType, OAuthClient};
pub use grant::{OidcGrant, RedeemOutcome, RefreshOutcome};
pub use request::{AuthorizationRequest, Params};

/// An error as RFC 6749 names it: `error` is one of its codes (or OpenID
/// Connect's), `description` says what was wrong, for a developer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            error,
            description: description.into(),
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", description)
    }

    pub fn invalid_client() -> Self {
        Self::new(
            "invalid_client",
            "client authentication failed: unknown client, wrong secret, or a method this client may not use",
        )
    }

    /// The HTTP status of this error at the token or revocation endpoint.
    pub fn status(&self) -> u16 {
        if self.error == "invalid_client" {
            401
        } else {
            400
        }
    }
}

/// The project's issuer: `<public base>/oidc/<project>`.
pub fn issuer_for(public_url: &str, project: &str) -> String {
    format!("{}/oidc/{project}", public_url.trim_end_matches('/'))
}

/// Access tokens live five minutes: a resource server checks them with the
/// JWKS alone, so a revocation reaches it only when they expire.
pub const ACCESS_TOKEN_SECONDS: i64 = 300;
/// A refresh token family lives 30 days from sign-in, however often it rotates.
pub const REFRESH_FAMILY_SECONDS: i64 = 30 * 86_400;
/// The OP session (a cookie on the issuer's path) lasts as long as the
/// sign-in token it holds.
pub const SESSION_COOKIE: &str = "gatehouse_oidc_session";
