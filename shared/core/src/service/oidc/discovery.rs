//! OpenID Connect Discovery 1.0: the issuer's metadata.

use crate::domain::ids::is_plausible_id;
use crate::domain::oidc::client::SUPPORTED_SCOPES;
use crate::domain::oidc::issuer_for;
use crate::domain::oidc::request::UI_LOCALES;
use crate::error::{codes, Error, Result};
use crate::ports::Directory;
use serde_json::{json, Value};

pub struct Discovery<D> {
    directory: D,
    public_url: String,
}

impl<D: Directory> Discovery<D> {
    pub fn new(directory: D, public_url: String) -> Self {
        Self {
            directory,
            public_url,
        }
    }

    /// The metadata of `project`'s issuer; 404 for no live project.
    pub async fn metadata(&self, project: &str) -> Result<Value> {
        let live = is_plausible_id(project)
            && self
                .directory
                .project(project)
                .await?
                .is_some_and(|p| p.archived_at.is_none());
        if !live {
            return Err(Error::not_found(codes::PROJECT_NOT_FOUND, "no such issuer"));
        }
        Ok(metadata(&issuer_for(&self.public_url, project)))
    }
}

pub fn metadata(issuer: &str) -> Value {
    let endpoint = |path: &str| format!("{issuer}/{path}");
    json!({
        "issuer": issuer,
        "authorization_endpoint": endpoint("oauth2/authorize"),
        "token_endpoint": endpoint("oauth2/token"),
        "userinfo_endpoint": endpoint("oauth2/userinfo"),
        "jwks_uri": endpoint("jwks"),
        "revocation_endpoint": endpoint("oauth2/revoke"),
        "end_session_endpoint": endpoint("oauth2/logout"),
        "scopes_supported": SUPPORTED_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "EdDSA"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "nonce", "amr", "at_hash", "sid",
            "email", "email_verified", "phone_number", "phone_number_verified"
        ],
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": false,
        "display_values_supported": ["page"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "ui_locales_supported": UI_LOCALES,
        "authorization_response_iss_parameter_supported": true,
    })
}
