//! Gatehouse as an OpenID Connect provider, judged by the Rust
//! `openidconnect` crate, unmodified, over `cargo lambda watch`: discovery,
//! the authorization code with PKCE, the token, the ID token against the
//! JWKS, userinfo, refresh, revocation and logout. Then each refusal the
//! specifications demand, with its standard error and nothing issued.
//!
//! The user signs in through the API exactly as the hosted page does
//! (code by email, then `POST /oidc/{project}/session`); the browser suite
//! (tests/browser/test_oidc.py) drives the page itself.

use gatehouse_tests::{stack_var, unique_email, Moto, Tenant};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient,
    CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
    CoreRevocableToken, CoreSubjectIdentifierType, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AdditionalProviderMetadata, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, LogoutProviderMetadata, LogoutRequest, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PostLogoutRedirectUrl, ProviderMetadata, RedirectUrl, RevocationUrl, Scope,
    TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const CALLBACK: &str = "http://127.0.0.1:5599/callback";
const SIGNED_OUT: &str = "http://127.0.0.1:5599/signed-out";

#[derive(Clone, Debug, Deserialize, Serialize)]
struct Revocation {
    revocation_endpoint: RevocationUrl,
}
impl AdditionalProviderMetadata for Revocation {}

/// Discovery with RP-Initiated Logout's and RFC 7009's endpoints, which
/// the crate reads as "additional metadata".
type Metadata = ProviderMetadata<
    LogoutProviderMetadata<Revocation>,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

fn base() -> String {
    stack_var("GATEHOUSE_E2E_URL")
}

/// As the crate asks: an HTTP client that never follows redirects.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(300))
        .build()
        .unwrap()
}

struct Rp {
    tenant: Tenant,
    client_id: String,
    secret: Option<String>,
}

async fn register(tenant: &Tenant, body: Value) -> Value {
    let mut body = body;
    body["project"] = json!(tenant.project);
    body["login_flow"] = json!(tenant.flow);
    let answer = http()
        .post(format!("{}/v2/oauth-clients", base()))
        .bearer_auth(&tenant.api_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    answer.json::<Value>().await.unwrap()["data"].clone()
}

async fn rp(client_type: &str, alg: &str) -> Rp {
    let tenant = Tenant::create().await;
    let client = register(
        &tenant,
        json!({
            "client_name": "Rust RP",
            "client_type": client_type,
            "redirect_uris": [CALLBACK],
            "post_logout_redirect_uris": [SIGNED_OUT],
            "scopes": ["openid", "email", "offline_access"],
            "id_token_signed_response_alg": alg,
        }),
    )
    .await;
    assert!(client.get("secrets").is_some());
    Rp {
        client_id: client["client_id"].as_str().unwrap().to_string(),
        secret: client["client_secret"].as_str().map(str::to_string),
        tenant,
    }
}

fn issuer(rp: &Rp) -> String {
    format!("{}/oidc/{}", base(), rp.tenant.project)
}

async fn discover(rp: &Rp) -> Metadata {
    Metadata::discover_async(IssuerUrl::new(issuer(rp)).unwrap(), &http())
        .await
        .expect("discovery and JWKS")
}

/// A sign-in token for `email`, as the hosted page gets it.
async fn sign_in(tenant: &Tenant, email: &str) -> String {
    let created: Value = http()
        .post(format!("{}/v2/app-logins", base()))
        .bearer_auth(&tenant.api_key)
        .json(&json!({"projectFlow": tenant.flow, "email": email}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["data"]["appLogin"]["_id"].as_str().unwrap();
    let code = Moto::new().latest_email_code(email).await;
    let validated: Value = http()
        .post(format!("{}/v2/app-logins/{id}/validate", base()))
        .json(&json!({"otp": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    validated["data"]["token"].as_str().unwrap().to_string()
}

fn location(response: &reqwest::Response) -> url::Url {
    assert_eq!(response.status(), 302, "a redirect");
    let to = response.headers()["location"].to_str().unwrap();
    url::Url::parse(to).unwrap()
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The browser's way through: the authorization request sends it to the
/// sign-in page; the page opens the session and comes back; the request
/// then redirects to the client with a code. Returns that redirect.
async fn through_sign_in(rp: &Rp, authorize: &url::Url, email: &str) -> url::Url {
    let http = http();
    let page = location(&http.get(authorize.as_str()).send().await.unwrap());
    assert_eq!(page.path(), format!("/sign-in/{}", rp.tenant.project));
    assert_eq!(
        param(&page, "flow").as_deref(),
        Some(rp.tenant.flow.as_str())
    );
    let back = param(&page, "oidc").expect("the page knows where to come back to");
    let token = sign_in(&rp.tenant, email).await;
    let session = http
        .post(format!("{}/oidc/{}/session", base(), rp.tenant.project))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 204);
    let cookie = session.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        &format!("Path=/oidc/{}/", rp.tenant.project),
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let pair = cookie.split(';').next().unwrap().to_string();
    let answer = http
        .get(format!(
            "{}/oidc/{}/oauth2/authorize?{back}",
            base(),
            rp.tenant.project
        ))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    location(&answer)
}

#[tokio::test]
async fn the_openidconnect_crate_signs_in_refreshes_revokes_and_logs_out() {
    for (kind, alg) in [("confidential", "RS256"), ("public", "EdDSA")] {
        let rp = rp(kind, alg).await;
        let metadata = discover(&rp).await;
        assert_eq!(metadata.issuer().as_str(), issuer(&rp));
        let revocation = metadata
            .additional_metadata()
            .additional_metadata
            .revocation_endpoint
            .clone();
        let end_session = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()
            .expect("end_session_endpoint");
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(rp.client_id.clone()),
            rp.secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap())
        .set_revocation_url(revocation);
        let email = unique_email();
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (authorize, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("offline_access".into()))
            .set_pkce_challenge(challenge)
            .url();
        let back = through_sign_in(&rp, &authorize, &email).await;
        assert_eq!(back.as_str().split('?').next(), Some(CALLBACK));
        assert_eq!(
            param(&back, "state").as_deref(),
            Some(state.secret().as_str())
        );
        assert_eq!(param(&back, "iss"), Some(issuer(&rp)), "RFC 9207");
        let code = param(&back, "code").unwrap();

        let http = http();
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.clone()))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("{kind}: token: {e:?}"));
        let id_token = tokens.id_token().expect("an ID token");
        let verifier = client.id_token_verifier().set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::EdDsa,
        ]);
        let claims = id_token
            .claims(&verifier, &nonce)
            .unwrap_or_else(|e| panic!("{kind}: {e:?}"));
        assert_eq!(claims.subject().as_str(), email);
        assert_eq!(claims.email().map(|e| e.as_str()), Some(email.as_str()));
        assert_eq!(claims.email_verified(), Some(true));
        assert!(claims.auth_time().is_some());
        let expected_alg = if alg == "RS256" {
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256
        } else {
            CoreJwsSigningAlgorithm::EdDsa
        };
        assert_eq!(id_token.signing_alg().unwrap(), &expected_alg);
        let hash = AccessTokenHash::from_token(
            tokens.access_token(),
            id_token.signing_alg().unwrap(),
            id_token.signing_key(&verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(claims.access_token_hash(), Some(&hash), "{kind}: at_hash");

        let info: CoreUserInfoClaims = client
            .user_info(tokens.access_token().clone(), None)
            .unwrap()
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("{kind}: userinfo: {e:?}"));
        assert_eq!(info.subject().as_str(), email);
        assert_eq!(info.email().map(|e| e.as_str()), Some(email.as_str()));

        let refresh = tokens.refresh_token().expect("offline_access").clone();
        let refreshed = client
            .exchange_refresh_token(&refresh)
            .unwrap()
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("{kind}: refresh: {e:?}"));
        let next = refreshed
            .refresh_token()
            .expect("a rotated refresh token")
            .clone();
        assert_ne!(next.secret(), refresh.secret());

        // The crate refuses to revoke over plain http (RFC 7009 section 2
        // requires TLS; the local stack has none), so the revocation is
        // the RFC's own request: the form the crate would send.
        let revoked = http.post(format!("{}/oauth2/revoke", issuer(&rp))).form(&[
            ("token", next.secret().as_str()),
            ("token_type_hint", "refresh_token"),
            ("client_id", rp.client_id.as_str()),
        ]);
        let revoked = match &rp.secret {
            Some(secret) => revoked.basic_auth(&rp.client_id, Some(secret)),
            None => revoked,
        };
        let revoked = revoked.send().await.unwrap();
        assert_eq!(revoked.status(), 200);
        let insecure = client.revoke_token(CoreRevocableToken::from(next.clone()));
        assert!(insecure.is_err(), "the crate revokes over https only");
        let after = client
            .exchange_refresh_token(&next)
            .unwrap()
            .request_async(&http)
            .await;
        assert!(after.is_err(), "a revoked family refreshes nothing");
        let userinfo_after: Result<CoreUserInfoClaims, _> = client
            .user_info(refreshed.access_token().clone(), None)
            .unwrap()
            .request_async(&http)
            .await;
        assert!(
            userinfo_after.is_err(),
            "its access tokens stop at userinfo"
        );

        let logout = LogoutRequest::from(end_session)
            .set_id_token_hint(id_token)
            .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(SIGNED_OUT.into()).unwrap())
            .set_state(CsrfToken::new("bye".into()))
            .http_get_url();
        let answer = http.get(logout.as_str()).send().await.unwrap();
        let to = location(&answer);
        assert_eq!(to.as_str(), format!("{SIGNED_OUT}?state=bye"));
        let cleared = answer.headers()["set-cookie"].to_str().unwrap();
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
    }
}

/// The token endpoint's answer to a raw form, as `(status, body, headers)`.
async fn token_call(
    rp: &Rp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = http()
        .post(format!("{}/oauth2/token", issuer(rp)))
        .form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        headers,
    )
}

/// A fresh code for `rp`, with this PKCE challenge (S256 of `verifier`).
async fn code_for(rp: &Rp, verifier: Option<&str>) -> String {
    let mut query = vec![
        ("response_type", "code".to_string()),
        ("client_id", rp.client_id.clone()),
        ("redirect_uri", CALLBACK.to_string()),
        ("scope", "openid email offline_access".to_string()),
        ("state", "s".to_string()),
    ];
    if let Some(verifier) = verifier {
        use base64::Engine;
        use sha2_digest::digest;
        query.push((
            "code_challenge",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest(verifier)),
        ));
        query.push(("code_challenge_method", "S256".into()));
    }
    let url =
        url::Url::parse_with_params(&format!("{}/oauth2/authorize", issuer(rp)), &query).unwrap();
    let back = through_sign_in(rp, &url, &unique_email()).await;
    param(&back, "code").expect("a code")
}

mod sha2_digest {
    pub fn digest(text: &str) -> Vec<u8> {
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes())
            .as_ref()
            .to_vec()
    }
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn grant_error(answer: &(u16, Value, reqwest::header::HeaderMap), error: &str) {
    assert_eq!(
        answer.0,
        if error == "invalid_client" { 401 } else { 400 },
        "{:?}",
        answer.1
    );
    assert_eq!(answer.1["error"], error, "{:?}", answer.1);
    assert!(answer.1.get("access_token").is_none() && answer.1.get("id_token").is_none());
    assert_eq!(answer.2["cache-control"], "no-store");
    assert!(answer.2["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
}

#[tokio::test]
async fn every_refusal_has_its_standard_error_and_issues_nothing() {
    let rp = rp("confidential", "RS256").await;
    let secret = rp.secret.clone().unwrap();
    let basic = Some((rp.client_id.as_str(), secret.as_str()));
    let exchange = |code: &str, verifier: Option<&str>| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", CALLBACK.to_string()),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v.to_string()));
        }
        form
    };
    let as_refs =
        |form: &[(&'static str, String)]| -> Vec<(&'static str, String)> { form.to_vec() };

    // A wrong secret: 401 invalid_client with a challenge.
    let code = code_for(&rp, Some(VERIFIER)).await;
    let form = as_refs(&exchange(&code, Some(VERIFIER)));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let wrong = token_call(&rp, &pairs, Some((rp.client_id.as_str(), "ghs_wrong"))).await;
    grant_error(&wrong, "invalid_client");
    assert!(wrong.2["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));

    // Two methods at once.
    let mut both = pairs.clone();
    both.push(("client_secret", secret.as_str()));
    grant_error(&token_call(&rp, &both, basic).await, "invalid_request");

    // The right one works once; a second use fails and revokes the first's tokens.
    let first = token_call(&rp, &pairs, basic).await;
    assert_eq!(first.0, 200, "{:?}", first.1);
    let refresh = first.1["refresh_token"].as_str().unwrap().to_string();
    grant_error(&token_call(&rp, &pairs, basic).await, "invalid_grant");
    let refreshed = token_call(
        &rp,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        basic,
    )
    .await;
    grant_error(&refreshed, "invalid_grant");
    let info = http()
        .get(format!("{}/oauth2/userinfo", issuer(&rp)))
        .bearer_auth(first.1["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        info.status(),
        401,
        "the reused code's access token is revoked"
    );
    assert!(info.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));

    // A wrong verifier, a missing one, another redirect_uri: each spends the code.
    for (verifier, redirect) in [
        (Some("x".repeat(43)), CALLBACK),
        (None, CALLBACK),
        (Some(VERIFIER.to_string()), "http://127.0.0.1:5599/other"),
    ] {
        let code = code_for(&rp, Some(VERIFIER)).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect),
        ];
        if let Some(v) = verifier.as_deref() {
            form.push(("code_verifier", v));
        }
        grant_error(&token_call(&rp, &form, basic).await, "invalid_grant");
        let retry = exchange(&code, Some(VERIFIER));
        let retry: Vec<(&str, &str)> = retry.iter().map(|(k, v)| (*k, v.as_str())).collect();
        grant_error(&token_call(&rp, &retry, basic).await, "invalid_grant");
    }

    // Another client's code.
    let other = rp_of_same_tenant(&rp).await;
    let code = code_for(&rp, Some(VERIFIER)).await;
    let form = exchange(&code, Some(VERIFIER));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let other_secret = other.secret.clone().unwrap();
    grant_error(
        &token_call(
            &other,
            &form,
            Some((other.client_id.as_str(), other_secret.as_str())),
        )
        .await,
        "invalid_grant",
    );

    // A reused refresh token revokes its family.
    let code = code_for(&rp, Some(VERIFIER)).await;
    let form = exchange(&code, Some(VERIFIER));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let issued = token_call(&rp, &form, basic).await;
    let old = issued.1["refresh_token"].as_str().unwrap().to_string();
    let rotated = token_call(
        &rp,
        &[("grant_type", "refresh_token"), ("refresh_token", &old)],
        basic,
    )
    .await;
    assert_eq!(rotated.0, 200, "{:?}", rotated.1);
    let new = rotated.1["refresh_token"].as_str().unwrap().to_string();
    grant_error(
        &token_call(
            &rp,
            &[("grant_type", "refresh_token"), ("refresh_token", &old)],
            basic,
        )
        .await,
        "invalid_grant",
    );
    grant_error(
        &token_call(
            &rp,
            &[("grant_type", "refresh_token"), ("refresh_token", &new)],
            basic,
        )
        .await,
        "invalid_grant",
    );

    // Grant types and shapes.
    grant_error(
        &token_call(&rp, &[("grant_type", "password")], basic).await,
        "unsupported_grant_type",
    );
    grant_error(
        &token_call(&rp, &[("grant_type", "authorization_code")], basic).await,
        "invalid_request",
    );

    // prompt=none without a session goes back with login_required.
    let url = url::Url::parse_with_params(
        &format!("{}/oauth2/authorize", issuer(&rp)),
        &[
            ("response_type", "code"),
            ("client_id", &rp.client_id),
            ("redirect_uri", CALLBACK),
            ("scope", "openid"),
            ("prompt", "none"),
            ("state", "q"),
        ],
    )
    .unwrap();
    let back = location(&http().get(url.as_str()).send().await.unwrap());
    assert_eq!(param(&back, "error").as_deref(), Some("login_required"));
    assert_eq!(param(&back, "state").as_deref(), Some("q"));
    assert!(back.as_str().starts_with(CALLBACK));

    // plain PKCE goes back as invalid_request.
    let url = url::Url::parse_with_params(
        &format!("{}/oauth2/authorize", issuer(&rp)),
        &[
            ("response_type", "code"),
            ("client_id", &rp.client_id),
            ("redirect_uri", CALLBACK),
            ("scope", "openid"),
            ("code_challenge", VERIFIER),
            ("code_challenge_method", "plain"),
        ],
    )
    .unwrap();
    let back = location(&http().get(url.as_str()).send().await.unwrap());
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));

    // An open redirect through redirect_uri: a page, never a redirect.
    for (client_id, redirect) in [
        (rp.client_id.as_str(), "https://evil.example/callback"),
        (
            rp.client_id.as_str(),
            "http://127.0.0.1:5599/callback/../evil",
        ),
        ("01unknownclient0000000000", CALLBACK),
    ] {
        let url = url::Url::parse_with_params(
            &format!("{}/oauth2/authorize", issuer(&rp)),
            &[
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", redirect),
                ("scope", "openid"),
            ],
        )
        .unwrap();
        let answer = http().get(url.as_str()).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{redirect}");
        assert!(answer.headers().get("location").is_none());
        assert!(answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
    // Another tenant's issuer does not know this client.
    let stranger = Tenant::create().await;
    let url = url::Url::parse_with_params(
        &format!("{}/oidc/{}/oauth2/authorize", base(), stranger.project),
        &[
            ("response_type", "code"),
            ("client_id", &rp.client_id),
            ("redirect_uri", CALLBACK),
            ("scope", "openid"),
        ],
    )
    .unwrap();
    assert_eq!(http().get(url.as_str()).send().await.unwrap().status(), 400);

    // An open redirect through post_logout_redirect_uri: a page.
    let answer = http()
        .get(format!("{}/oauth2/logout", issuer(&rp)))
        .query(&[
            ("client_id", rp.client_id.as_str()),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert!(answer.headers().get("location").is_none());
}

async fn rp_of_same_tenant(rp: &Rp) -> Rp {
    let client = register(
        &rp.tenant,
        json!({
            "client_name": "Other RP",
            "client_type": "confidential",
            "redirect_uris": [CALLBACK],
            "scopes": ["openid", "email", "offline_access"],
        }),
    )
    .await;
    Rp {
        tenant: rp.tenant.clone(),
        client_id: client["client_id"].as_str().unwrap().to_string(),
        secret: client["client_secret"].as_str().map(str::to_string),
    }
}

#[tokio::test]
async fn a_rotated_secret_works_through_its_grace_and_not_after() {
    let rp = rp("confidential", "RS256").await;
    let old = rp.secret.clone().unwrap();
    // Authentication alone: a good client gets invalid_grant for a bogus
    // refresh token, a bad one invalid_client.
    let probe = |secret: String| {
        let rp = &rp;
        async move {
            token_call(
                rp,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", "ghr_bogus"),
                ],
                Some((rp.client_id.as_str(), secret.as_str())),
            )
            .await
            .1["error"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let rotate = |grace: i64| {
        let rp = &rp;
        async move {
            let answer: Value = http()
                .post(format!(
                    "{}/v2/oauth-clients/{}/secret",
                    base(),
                    rp.client_id
                ))
                .bearer_auth(&rp.tenant.api_key)
                .json(&json!({"graceSeconds": grace}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(answer["data"].get("client_secret").is_some(), "{answer}");
            answer["data"]["client_secret"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(probe(old.clone()).await, "invalid_grant");
    let new = rotate(3600).await;
    assert_eq!(
        probe(old.clone()).await,
        "invalid_grant",
        "the old secret, in its grace"
    );
    assert_eq!(probe(new.clone()).await, "invalid_grant");
    let newest = rotate(0).await;
    assert_eq!(
        probe(new).await,
        "invalid_client",
        "a zero grace ends the old one at once"
    );
    assert_eq!(probe(old).await, "invalid_client");
    assert_eq!(probe(newest.clone()).await, "invalid_grant");
    // Read back, the client shows when its secrets were made, never one.
    let shown = http()
        .get(format!("{}/v2/oauth-clients/{}", base(), rp.client_id))
        .bearer_auth(&rp.tenant.api_key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !shown.contains(&newest) && !shown.contains("digest"),
        "{shown}"
    );
}
