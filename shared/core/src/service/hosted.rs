//! The hosted pages' way back to the customer (domain/authorization.rs):
//! the page trades the user's fresh token for a redirect to the flow's own
//! `redirectUrl`, and the customer's backend trades the code in it for the
//! token, with its API key.

use crate::domain::authorization::{
    redirect_target, AuthorizationCode, AuthorizationGrant, RedirectMode,
    AUTHORIZATION_CODE_SECONDS,
};
use crate::domain::token::TokenIssuer;
use crate::domain::{ClientId, FlowStatus, Timestamp};
use crate::error::{codes, Error, Result};
use crate::ports::{Clock, Directory, LoginStore};
use std::sync::Arc;

/// The longest `state` a customer may send through (OAuth sets no limit;
/// this keeps the redirect URL well under browsers' limits).
const MAX_STATE_LEN: usize = 512;

pub struct HostedRedirects<S, D> {
    store: S,
    directory: D,
    tokens: TokenIssuer,
    clock: Arc<dyn Clock>,
}

/// Where the page sends the browser.
#[derive(Debug)]
pub struct Authorized {
    pub redirect_to: String,
    /// When the code in `redirect_to` stops working; `None` for a flow
    /// that redirects with the token itself.
    pub code_expires_at: Option<Timestamp>,
    pub mode: RedirectMode,
}

/// What the backend gets for a code.
#[derive(Debug)]
pub struct Exchanged {
    pub token: String,
    pub grant: AuthorizationGrant,
}

fn invalid_grant() -> Error {
    Error::invalid(
        "invalid_grant",
        "the code is unknown, used, expired, another tenant's, or was issued for another redirectUri",
    )
}

impl<S: LoginStore, D: Directory> HostedRedirects<S, D> {
    pub fn new(store: S, directory: D, tokens: TokenIssuer, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            directory,
            tokens,
            clock,
        }
    }

    /// The redirect for the holder of sign-in token `token`, to exactly
    /// the flow's `redirectUrl` (no open redirect).
    #[tracing::instrument(skip_all)]
    pub async fn authorize(
        &self,
        token: Option<&str>,
        redirect_uri: &str,
        state: Option<&str>,
    ) -> Result<Authorized> {
        let token = token.ok_or(Error::Unauthorized)?;
        let claims = self
            .tokens
            .verify_session(token)
            .ok_or(Error::Unauthorized)?;
        if let Some(state) = state {
            if state.len() > MAX_STATE_LEN || state.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "invalid_state",
                    format!("state is at most {MAX_STATE_LEN} printable characters"),
                ));
            }
        }
        let flow = self
            .directory
            .flow(&claims.project_flow)
            .await?
            .filter(|f| f.project == claims.aud && f.status == FlowStatus::Active)
            .ok_or_else(|| {
                Error::not_found(codes::FLOW_NOT_FOUND, "the token's flow is not active")
            })?;
        let Some(registered) = flow.redirect_url.as_deref() else {
            return Err(Error::conflict(
                "redirect_not_configured",
                "the flow has no redirectUrl to send the user back to",
            ));
        };
        // Exact match: no prefix, no added path or query, no other host.
        if redirect_uri != registered {
            return Err(Error::invalid(
                "redirect_uri_mismatch",
                "redirectUri must be exactly the flow's redirectUrl",
            ));
        }
        let with_state = |mut params: Vec<(&'static str, String)>| {
            if let Some(state) = state {
                params.push(("state", state.to_string()));
            }
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            redirect_target(registered, &params)
                .ok_or_else(|| Error::internal("a stored redirectUrl does not parse"))
        };
        if flow.redirect_mode == RedirectMode::Token {
            return Ok(Authorized {
                redirect_to: with_state(vec![("type", "login".into()), ("token", token.into())])?,
                code_expires_at: None,
                mode: RedirectMode::Token,
            });
        }
        let now = self.clock.now();
        let code = AuthorizationCode::generate();
        let expires_at = now.plus_seconds(AUTHORIZATION_CODE_SECONDS);
        let grant = AuthorizationGrant {
            id: code.grant_id(),
            client: flow.client.clone(),
            project: flow.project.clone(),
            project_flow: flow.id.clone(),
            login_id: claims.login_id.clone(),
            registration_id: claims.registration_id.clone(),
            redirect_uri: registered.to_string(),
            sealed_token: code.seal(token),
            token_expires_at: Timestamp::from_unix(claims.exp).unwrap_or(now),
            created_at: now,
            expires_at,
        };
        self.store.save_grant(&grant).await?;
        tracing::info!(
            login_id = %grant.login_id,
            project_flow = %grant.project_flow,
            "authorization_code_issued"
        );
        Ok(Authorized {
            redirect_to: with_state(vec![("code", code.as_str().to_string())])?,
            code_expires_at: Some(expires_at),
            mode: RedirectMode::Code,
        })
    }
}

/// The customer's backend's half: a code for its token, with no key to
/// check or sign tokens (the function holds no secret).
pub struct CodeExchanges<S> {
    store: S,
    clock: Arc<dyn Clock>,
}

impl<S: LoginStore> CodeExchanges<S> {
    pub fn new(store: S, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// The token for `code`, once: the grant is removed as it is read, so
    /// a second exchange (or one by another tenant, which also spends it)
    /// gets `invalid_grant`.
    #[tracing::instrument(skip_all, fields(client = %client))]
    pub async fn exchange(
        &self,
        client: &ClientId,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Exchanged> {
        let code = AuthorizationCode::parse(code).ok_or_else(invalid_grant)?;
        let grant = self
            .store
            .take_grant(&code.grant_id())
            .await?
            .ok_or_else(invalid_grant)?;
        let now = self.clock.now();
        let refusal = if grant.client != client.as_str() {
            Some("another_client")
        } else if !grant.is_live(now) {
            Some("expired")
        } else if grant.redirect_uri != redirect_uri {
            Some("redirect_uri_mismatch")
        } else {
            None
        };
        if let Some(reason) = refusal {
            tracing::warn!(login_id = %grant.login_id, reason, "authorization_code_refused");
            return Err(invalid_grant());
        }
        let token = code
            .open(&grant.sealed_token)
            .ok_or_else(|| Error::internal("a grant's token does not open with its code"))?;
        tracing::info!(login_id = %grant.login_id, "authorization_code_exchanged");
        Ok(Exchanged { token, grant })
    }

    /// Spends `code` without releasing its token: for an exchange whose
    /// request was refused (docs/hosted-pages.md "Hosted pages": any refusal spends it).
    #[tracing::instrument(skip_all, fields(client = %client))]
    pub async fn spend(&self, client: &ClientId, code: &str) -> Result<()> {
        let Some(code) = AuthorizationCode::parse(code) else {
            return Ok(());
        };
        if let Some(grant) = self.store.take_grant(&code.grant_id()).await? {
            tracing::warn!(login_id = %grant.login_id, "authorization_code_spent_by_a_refused_exchange");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::token::LoginClaims;
    use crate::domain::{FlowType, ProjectFlow};
    use crate::memory::{MemoryDirectory, MemoryLoginStore};
    use std::sync::Mutex;
    use std::time::Duration;

    const BACK: &str = "https://app.example.com/back";

    struct StepClock(Mutex<Timestamp>);
    impl Clock for StepClock {
        fn now(&self) -> Timestamp {
            *self.0.lock().unwrap()
        }
    }

    struct Setup {
        redirects: HostedRedirects<MemoryLoginStore, Arc<MemoryDirectory>>,
        exchanges: CodeExchanges<MemoryLoginStore>,
        store: MemoryLoginStore,
        clock: Arc<StepClock>,
        token: String,
    }

    fn setup(mode: RedirectMode, redirect_url: Option<&str>) -> Setup {
        let now = Timestamp::now();
        let directory = Arc::new(MemoryDirectory::default());
        let mut flow = ProjectFlow::login_for_tests(Default::default());
        flow.redirect_url = redirect_url.map(str::to_string);
        flow.redirect_mode = mode;
        assert_eq!(flow.flow_type, FlowType::Login);
        directory
            .flows
            .lock()
            .unwrap()
            .insert(flow.id.clone(), flow.clone());
        let pem = {
            use base64::Engine;
            let der = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(
                &aws_lc_rs::rand::SystemRandom::new(),
            )
            .unwrap();
            let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
            format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n")
        };
        let tokens = TokenIssuer::from_pem(
            &pem,
            None,
            "https://iss.test".into(),
            Duration::from_secs(600),
        )
        .unwrap();
        let token = tokens
            .sign(&LoginClaims {
                iss: "https://iss.test".into(),
                sub: "ana@example.com".into(),
                aud: flow.project.clone(),
                exp: now.unix() + 600,
                iat: now.unix(),
                nbf: now.unix(),
                jti: "jti".into(),
                amr: vec!["email".into()],
                login_id: "login-1".into(),
                project_flow: flow.id.clone(),
                registration_id: None,
            })
            .unwrap();
        let store = MemoryLoginStore::default();
        let clock = Arc::new(StepClock(Mutex::new(now)));
        Setup {
            redirects: HostedRedirects::new(store.clone(), directory, tokens, clock.clone()),
            exchanges: CodeExchanges::new(store.clone(), clock.clone()),
            store,
            clock,
            token,
        }
    }

    fn code_of(redirect_to: &str) -> String {
        let url = url::Url::parse(redirect_to).unwrap();
        let code = url.query_pairs().find(|(k, _)| k == "code").unwrap().1;
        code.into_owned()
    }

    fn client() -> ClientId {
        ClientId("client".into())
    }

    #[tokio::test]
    async fn a_code_is_exchanged_once_for_the_token() {
        let s = setup(RedirectMode::Code, Some(BACK));
        let authorized = s
            .redirects
            .authorize(Some(&s.token), BACK, Some("st"))
            .await
            .unwrap();
        assert!(authorized
            .redirect_to
            .starts_with(&format!("{BACK}?code=ghc_")));
        assert!(authorized.redirect_to.ends_with("&state=st"));
        assert!(!authorized.redirect_to.contains(&s.token));
        let code = code_of(&authorized.redirect_to);
        let exchanged = s.exchanges.exchange(&client(), &code, BACK).await.unwrap();
        assert_eq!(exchanged.token, s.token);
        assert_eq!(exchanged.grant.login_id, "login-1");
        let again = s.exchanges.exchange(&client(), &code, BACK).await;
        assert!(matches!(
            again,
            Err(Error::InvalidInput {
                code: "invalid_grant",
                ..
            })
        ));
    }

    #[tokio::test]
    async fn the_table_holds_no_usable_token() {
        let s = setup(RedirectMode::Code, Some(BACK));
        let authorized = s
            .redirects
            .authorize(Some(&s.token), BACK, None)
            .await
            .unwrap();
        let code = AuthorizationCode::parse(&code_of(&authorized.redirect_to)).unwrap();
        let grant = s.store.take_grant(&code.grant_id()).await.unwrap().unwrap();
        let stored = serde_json::to_string(&grant).unwrap();
        assert!(!stored.contains(&s.token) && !stored.contains(code.as_str()));
    }

    #[tokio::test]
    async fn a_late_foreign_or_misdirected_exchange_gets_nothing() {
        for case in ["late", "foreign", "elsewhere"] {
            let s = setup(RedirectMode::Code, Some(BACK));
            let authorized = s
                .redirects
                .authorize(Some(&s.token), BACK, None)
                .await
                .unwrap();
            let code = code_of(&authorized.redirect_to);
            let (client, uri) = match case {
                "late" => {
                    let mut now = s.clock.0.lock().unwrap();
                    *now = now.plus_seconds(AUTHORIZATION_CODE_SECONDS);
                    (client(), BACK)
                }
                "foreign" => (ClientId("other".into()), BACK),
                _ => (client(), "https://app.example.com/other"),
            };
            let refused = s.exchanges.exchange(&client, &code, uri).await;
            assert!(
                matches!(
                    refused,
                    Err(Error::InvalidInput {
                        code: "invalid_grant",
                        ..
                    })
                ),
                "{case}"
            );
            // Refused means spent: the right caller cannot use it after.
            let after = s.exchanges.exchange(&self::client(), &code, BACK).await;
            assert!(after.is_err(), "{case}");
        }
    }

    #[tokio::test]
    async fn only_the_flows_exact_redirect_url() {
        let s = setup(RedirectMode::Code, Some(BACK));
        for wrong in [
            "https://app.example.com/back/",
            "https://app.example.com/back?x=1",
            "https://app.example.com/backdoor",
            "https://evil.example/back",
            "http://app.example.com/back",
        ] {
            let refused = s.redirects.authorize(Some(&s.token), wrong, None).await;
            assert!(
                matches!(
                    refused,
                    Err(Error::InvalidInput {
                        code: "redirect_uri_mismatch",
                        ..
                    })
                ),
                "{wrong}"
            );
        }
        let none = setup(RedirectMode::Code, None);
        let refused = none
            .redirects
            .authorize(Some(&none.token), BACK, None)
            .await;
        assert!(matches!(
            refused,
            Err(Error::Conflict {
                code: "redirect_not_configured",
                ..
            })
        ));
    }

    #[tokio::test]
    async fn no_token_no_redirect_and_verifiks_mode_is_opt_in() {
        let s = setup(RedirectMode::Code, Some(BACK));
        assert!(matches!(
            s.redirects.authorize(None, BACK, None).await,
            Err(Error::Unauthorized)
        ));
        assert!(matches!(
            s.redirects.authorize(Some("not.a.token"), BACK, None).await,
            Err(Error::Unauthorized)
        ));
        let bad_state = "x".repeat(MAX_STATE_LEN + 1);
        assert!(matches!(
            s.redirects
                .authorize(Some(&s.token), BACK, Some(&bad_state))
                .await,
            Err(Error::InvalidInput {
                code: "invalid_state",
                ..
            })
        ));
        let verifik = setup(RedirectMode::Token, Some(BACK));
        let authorized = verifik
            .redirects
            .authorize(Some(&verifik.token), BACK, None)
            .await
            .unwrap();
        assert_eq!(
            authorized.redirect_to,
            format!("{BACK}?type=login&token={}", verifik.token)
        );
        assert!(authorized.code_expires_at.is_none());
    }
}
