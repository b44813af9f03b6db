//! The token endpoint (RFC 6749 section 3.2), revocation (RFC 7009),
//! userinfo (OpenID Connect Core 5.3) and RP-initiated logout.

use crate::domain::ids::{is_plausible_id, new_id};
use crate::domain::oidc::claims::at_hash;
use crate::domain::oidc::grant::{code_grant_id, new_refresh_token, parse_refresh_token};
use crate::domain::oidc::request::pkce_matches;
use crate::domain::oidc::{
    issuer_for, AccessClaims, ClientType, IdTokenClaims, OAuthClient, OAuthError, OidcGrant,
    RedeemOutcome, RefreshOutcome, ACCESS_TOKEN_SECONDS, REFRESH_FAMILY_SECONDS,
};
use crate::domain::token::{Expected, SigningAlg, TokenIssuer};
use crate::error::Error;
use crate::ports::{Clock, NewRefresh, OidcStore};
use serde::Serialize;
use std::sync::Arc;

/// A failure at these endpoints: the protocol's own error, or ours (a
/// storage fault, answered as every other endpoint answers it).
#[derive(Debug)]
pub enum OidcFailure {
    OAuth(OAuthError),
    Service(Error),
}

impl From<Error> for OidcFailure {
    fn from(e: Error) -> Self {
        OidcFailure::Service(e)
    }
}

impl From<OAuthError> for OidcFailure {
    fn from(e: OAuthError) -> Self {
        OidcFailure::OAuth(e)
    }
}

pub type OidcResult<T> = std::result::Result<T, OidcFailure>;

/// How the client authenticated (RFC 6749 section 2.3).
#[derive(Clone, Debug, Default)]
pub struct ClientCredentials {
    /// From `Authorization: Basic` (`client_secret_basic`).
    pub basic: Option<(String, String)>,
    /// From the body (`client_secret_post`, or `none` with `client_id` alone).
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// The token response (RFC 6749 section 5.1).
#[derive(Debug, Serialize)]
pub struct Issued {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub id_token: String,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Where RP-initiated logout sends the browser.
#[derive(Debug, PartialEq)]
pub enum LoggedOut {
    Redirect(String),
    /// No (valid) place to go back to: the signed-out page.
    Page,
}

pub struct OidcTokens<S> {
    store: S,
    /// Signs in the token function; verifies elsewhere.
    tokens: TokenIssuer,
    clock: Arc<dyn Clock>,
    public_url: String,
}

fn grant_refused(description: &str) -> OidcFailure {
    OAuthError::invalid_grant(description).into()
}

impl<S: OidcStore> OidcTokens<S> {
    pub fn new(store: S, tokens: TokenIssuer, clock: Arc<dyn Clock>, public_url: String) -> Self {
        Self {
            store,
            tokens,
            clock,
            public_url,
        }
    }

    fn issuer(&self, project: &str) -> String {
        issuer_for(&self.public_url, project)
    }

    /// The client these credentials prove, or `invalid_client`.
    pub async fn authenticate(
        &self,
        project: &str,
        credentials: &ClientCredentials,
    ) -> OidcResult<OAuthClient> {
        let (client_id, secret) = match (&credentials.basic, &credentials.client_id) {
            (Some(_), _) if credentials.client_secret.is_some() => {
                return Err(OAuthError::invalid_request(
                    "use one client authentication method, not two",
                )
                .into())
            }
            (Some((id, _)), Some(body_id)) if id != body_id => {
                return Err(OAuthError::invalid_request(
                    "client_id differs between the header and the body",
                )
                .into())
            }
            (Some((id, secret)), _) => (id.clone(), Some(secret.clone())),
            (None, Some(id)) => (id.clone(), credentials.client_secret.clone()),
            (None, None) => return Err(OAuthError::invalid_client().into()),
        };
        if !is_plausible_id(&client_id) {
            return Err(OAuthError::invalid_client().into());
        }
        let now = self.clock.now();
        let client = self
            .store
            .oauth_client(&client_id)
            .await?
            .filter(|c| c.project == project && c.archived_at.is_none())
            .filter(|c| match (c.client_type, secret.as_deref()) {
                (ClientType::Confidential, Some(secret)) => c.secret_matches(secret, now),
                (ClientType::Public, None) => true,
                _ => false,
            });
        match client {
            Some(client) => Ok(client),
            None => {
                tracing::warn!(client_id = %client_id.chars().take(64).collect::<String>(), "oauth_client_authentication_failed");
                Err(OAuthError::invalid_client().into())
            }
        }
    }

    /// `grant_type=authorization_code`.
    #[tracing::instrument(skip_all, fields(client_id = %client.client_id))]
    pub async fn exchange_code(
        &self,
        project: &str,
        client: &OAuthClient,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> OidcResult<Issued> {
        let Some(id) = code_grant_id(code) else {
            return Err(grant_refused("the code is not one of ours"));
        };
        let now = self.clock.now();
        let (refresh_token, refresh_digest) = new_refresh_token(&id);
        let refresh = NewRefresh {
            digest: refresh_digest,
            family_expires_at: now.unix() + REFRESH_FAMILY_SECONDS,
        };
        let grant = match self.store.redeem(&id, now, Some(refresh)).await? {
            RedeemOutcome::Redeemed(grant) => grant,
            RedeemOutcome::Reused => {
                tracing::warn!("oidc_code_reused_grant_revoked");
                return Err(grant_refused(
                    "the code was already used: what it issued is now revoked",
                ));
            }
            RedeemOutcome::Unknown => {
                return Err(grant_refused("the code is unknown or expired"));
            }
        };
        let refusal = if grant.client_id != client.client_id || grant.project != project {
            Some("the code was issued to another client")
        } else if redirect_uri != Some(grant.redirect_uri.as_str()) {
            Some("redirect_uri differs from the authorization request's")
        } else {
            match (&grant.code_challenge, verifier) {
                (Some(challenge), Some(v)) if pkce_matches(v, challenge) => None,
                (Some(_), Some(_)) => Some("code_verifier does not match the code_challenge"),
                (Some(_), None) => Some("code_verifier is required"),
                (None, Some(_)) => Some("code_verifier given, but no code_challenge was"),
                (None, None) => None,
            }
        };
        if let Some(reason) = refusal {
            // Spent and refused: nothing it stored may be used.
            self.store.revoke(&id, now).await?;
            tracing::warn!(reason, "oidc_code_refused");
            return Err(grant_refused(reason));
        }
        let refresh = grant.has_scope("offline_access").then_some(refresh_token);
        let scopes = grant.scopes.clone();
        tracing::info!(login_id = %grant.login_id, "oidc_code_exchanged");
        self.issue(client, &grant, &scopes, refresh, true)
    }

    /// `grant_type=refresh_token`: the token rotates; an old one revokes its family.
    #[tracing::instrument(skip_all, fields(client_id = %client.client_id))]
    pub async fn refresh(
        &self,
        project: &str,
        client: &OAuthClient,
        token: &str,
        scope: Option<&str>,
    ) -> OidcResult<Issued> {
        let Some((id, presented)) = parse_refresh_token(token) else {
            return Err(grant_refused("the refresh token is not one of ours"));
        };
        let now = self.clock.now();
        let (next_token, next_digest) = new_refresh_token(&id);
        let grant = match self
            .store
            .rotate_refresh(&id, &client.client_id, &presented, &next_digest, now)
            .await?
        {
            // A grant without offline_access never handed out its refresh
            // token; its digest is stored at redemption all the same.
            RefreshOutcome::Rotated(grant)
                if grant.project == project && grant.has_scope("offline_access") =>
            {
                grant
            }
            RefreshOutcome::Rotated(_) | RefreshOutcome::Unknown => {
                return Err(grant_refused(
                    "the refresh token is unknown, expired, revoked or another client's",
                ))
            }
            RefreshOutcome::Reused => {
                tracing::warn!("oidc_refresh_token_reused_family_revoked");
                return Err(grant_refused(
                    "the refresh token was already used: its family is now revoked",
                ));
            }
        };
        let scopes: Vec<String> = match scope {
            None => grant.scopes.clone(),
            Some(asked) => {
                let asked: Vec<String> = asked
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                if let Some(extra) = asked.iter().find(|s| !grant.has_scope(s)) {
                    return Err(OAuthError::new(
                        "invalid_scope",
                        format!("{extra:?} was not granted"),
                    )
                    .into());
                }
                asked
            }
        };
        self.issue(client, &grant, &scopes, Some(next_token), false)
    }

    fn issue(
        &self,
        client: &OAuthClient,
        grant: &OidcGrant,
        scopes: &[String],
        refresh_token: Option<String>,
        with_nonce: bool,
    ) -> OidcResult<Issued> {
        let now = self.clock.now().unix();
        let issuer = self.issuer(&grant.project);
        let scope = scopes.join(" ");
        let access = AccessClaims {
            iss: issuer.clone(),
            sub: grant.subject.clone(),
            aud: issuer.clone(),
            client_id: client.client_id.clone(),
            exp: now + ACCESS_TOKEN_SECONDS,
            iat: now,
            jti: new_id(),
            scope: scope.clone(),
            auth_time: grant.auth_time,
            amr: grant.amr.clone(),
            sid: grant.id.clone(),
        };
        let access_token = self
            .tokens
            .sign_jwt(SigningAlg::RS256, Some("at+jwt"), &access)?;
        let has = |s: &str| scopes.iter().any(|x| x == s);
        let alg = client.id_token_signed_response_alg;
        let email = grant.email.clone().filter(|_| has("email"));
        let phone = grant.phone.clone().filter(|_| has("phone"));
        let id = IdTokenClaims {
            iss: issuer,
            sub: grant.subject.clone(),
            aud: client.client_id.clone(),
            azp: client.client_id.clone(),
            exp: now + ACCESS_TOKEN_SECONDS,
            iat: now,
            auth_time: grant.auth_time,
            nonce: grant.nonce.clone().filter(|_| with_nonce),
            amr: grant.amr.clone(),
            at_hash: Some(at_hash(&access_token, alg)),
            sid: grant.id.clone(),
            email_verified: email.as_ref().map(|_| true),
            email,
            phone_number_verified: phone.as_ref().map(|_| true),
            phone_number: phone,
        };
        let id_token = self.tokens.sign_jwt(alg, None, &id)?;
        Ok(Issued {
            access_token,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_SECONDS,
            id_token,
            scope,
            refresh_token,
        })
    }

    /// The claims of a live access token of this issuer.
    async fn access(&self, project: &str, token: &str) -> OidcResult<(AccessClaims, OidcGrant)> {
        let issuer = self.issuer(project);
        let invalid = || {
            OAuthError::new(
                "invalid_token",
                "the access token is invalid, expired or revoked",
            )
        };
        let claims: AccessClaims = self
            .tokens
            .verify_jwt(
                token,
                &Expected {
                    alg: SigningAlg::RS256,
                    issuer: &issuer,
                    audience: Some(&issuer),
                    typ: Some("at+jwt"),
                    allow_expired: false,
                },
            )
            .ok_or_else(invalid)?;
        let now = self.clock.now();
        let grant = self
            .store
            .grant(&claims.sid)
            .await?
            .filter(|g| g.project == project && g.client_id == claims.client_id && g.is_live(now))
            .ok_or_else(invalid)?;
        Ok((claims, grant))
    }

    /// `/oauth2/userinfo`: the claims the access token's scopes allow.
    pub async fn userinfo(&self, project: &str, token: &str) -> OidcResult<serde_json::Value> {
        let (claims, grant) = self.access(project, token).await?;
        let scopes: Vec<&str> = claims.scope.split(' ').collect();
        let mut info = serde_json::json!({ "sub": grant.subject });
        if scopes.contains(&"email") {
            if let Some(email) = &grant.email {
                info["email"] = email.clone().into();
                info["email_verified"] = true.into();
            }
        }
        if scopes.contains(&"phone") {
            if let Some(phone) = &grant.phone {
                info["phone_number"] = phone.clone().into();
                info["phone_number_verified"] = true.into();
            }
        }
        Ok(info)
    }

    /// RFC 7009: revokes the grant behind a refresh or access token of
    /// this client. An unknown or malformed token is already no token.
    #[tracing::instrument(skip_all, fields(client_id = %client.client_id))]
    pub async fn revoke(&self, project: &str, client: &OAuthClient, token: &str) -> OidcResult<()> {
        let now = self.clock.now();
        let grant_id = match parse_refresh_token(token) {
            Some((id, _)) => Some(id),
            None => {
                let issuer = self.issuer(project);
                self.tokens
                    .verify_jwt::<AccessClaims>(
                        token,
                        &Expected {
                            alg: SigningAlg::RS256,
                            issuer: &issuer,
                            audience: Some(&issuer),
                            typ: Some("at+jwt"),
                            allow_expired: true,
                        },
                    )
                    .map(|c| c.sid)
            }
        };
        let Some(id) = grant_id else {
            return Ok(());
        };
        let Some(grant) = self.store.grant(&id).await? else {
            return Ok(());
        };
        if grant.project != project || grant.client_id != client.client_id {
            return Err(grant_refused("the token was issued to another client"));
        }
        if grant.revoked_at.is_none() {
            self.store.revoke(&id, now).await?;
            tracing::info!(login_id = %grant.login_id, "oidc_grant_revoked");
        }
        Ok(())
    }

    /// RP-initiated logout: where to send the browser once its session
    /// cookie is cleared. The hint's grant is revoked too.
    pub async fn logout(
        &self,
        project: &str,
        id_token_hint: Option<&str>,
        client_id: Option<&str>,
        post_logout_redirect_uri: Option<&str>,
        state: Option<&str>,
    ) -> OidcResult<LoggedOut> {
        let issuer = self.issuer(project);
        let hint = match id_token_hint {
            None => None,
            Some(token) => {
                let verified = [SigningAlg::RS256, SigningAlg::EdDSA]
                    .into_iter()
                    .find_map(|alg| {
                        self.tokens.verify_jwt::<IdTokenClaims>(
                            token,
                            &Expected {
                                alg,
                                issuer: &issuer,
                                audience: None,
                                typ: None,
                                allow_expired: true,
                            },
                        )
                    });
                Some(verified.ok_or_else(|| {
                    OAuthError::invalid_request("id_token_hint is not an ID token of this issuer")
                })?)
            }
        };
        let client_id = match (&hint, client_id) {
            (Some(h), Some(id)) if h.aud != id => {
                return Err(OAuthError::invalid_request(
                    "client_id is not the audience of id_token_hint",
                )
                .into())
            }
            (Some(h), _) => Some(h.aud.clone()),
            (None, id) => id.map(str::to_string),
        };
        let now = self.clock.now();
        if let Some(h) = &hint {
            if let Some(grant) = self.store.grant(&h.sid).await? {
                if grant.project == project && grant.revoked_at.is_none() {
                    self.store.revoke(&grant.id, now).await?;
                }
            }
        }
        let Some(uri) = post_logout_redirect_uri else {
            return Ok(LoggedOut::Page);
        };
        let client = match client_id.filter(|id| is_plausible_id(id)) {
            Some(id) => self
                .store
                .oauth_client(&id)
                .await?
                .filter(|c| c.project == project && c.archived_at.is_none()),
            None => None,
        };
        let Some(client) = client else {
            return Err(OAuthError::invalid_request(
                "post_logout_redirect_uri needs id_token_hint or client_id",
            )
            .into());
        };
        // Exact: RP-Initiated Logout 1.0 section 3.
        if !client.post_logout_redirect_uris.iter().any(|u| u == uri) {
            return Err(OAuthError::invalid_request(
                "post_logout_redirect_uri is not one this client registered",
            )
            .into());
        }
        let mut url = url::Url::parse(uri).map_err(Error::internal)?;
        if let Some(state) = state {
            url.query_pairs_mut().append_pair("state", state);
        }
        Ok(LoggedOut::Redirect(url.to_string()))
    }
}
