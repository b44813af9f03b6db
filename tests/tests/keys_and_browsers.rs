//! What relying parties and browsers meet at the edge: the JWKS that two
//! standard JOSE libraries fetch by URL (before and after a key rotation),
//! and CORS, answered by Gatehouse itself through `cargo lambda watch
//! --disable-cors` exactly as deployed.

use gatehouse::domain::token::{LoginClaims, TokenIssuer};
use gatehouse_tests::jose::{self, JwksServer, LIBRARIES};
use gatehouse_tests::{login_id, stack_var, unique_email, Api, ConfigApi, Moto, Tenant};
use lambda_http::Body;
use serde_json::{json, Value};
use std::time::Duration;

fn http() -> reqwest::Client {
    // The first call to each binary waits for cargo lambda to start it.
    reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap()
}

fn base() -> String {
    stack_var("GATEHOUSE_E2E_URL")
}

/// A signed-in user's token from the running stack's own keys.
async fn signed_in(tenant: &Tenant) -> (String, String) {
    let api = Api::new().await;
    let email = unique_email();
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": email}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let code = Moto::new().latest_email_code(&email).await;
    let validated = api
        .validate(&login_id(&created), json!({"otp": code}))
        .await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    (
        validated.body["data"]["token"]
            .as_str()
            .unwrap()
            .to_string(),
        email,
    )
}

#[tokio::test]
async fn tokens_verify_with_standard_libraries_that_fetch_the_jwks() {
    let tenant = Tenant::create().await;
    let (token, email) = signed_in(&tenant).await;
    let url = format!("{}/.well-known/jwks.json", base());

    let response = http().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["cache-control"], "public, max-age=300");
    assert_eq!(headers["content-type"], "application/jwk-set+json");
    let jwks: Value = response.json().await.unwrap();
    let kid = jsonwebtoken::decode_header(&token).unwrap().kid;
    assert!(kid.is_some(), "every token names its key");
    assert_eq!(jwks["keys"][0]["kid"].as_str(), kid.as_deref());
    assert_eq!(jwks["keys"][0]["kty"], "OKP");
    assert!(jwks["keys"][0].get("d").is_none(), "no private part");

    let issuer = stack_var("GATEHOUSE_JWT_ISSUER");
    for library in LIBRARIES {
        let sub = jose::verify(library, &url, &token, &tenant.project, &issuer);
        assert_eq!(sub.as_deref(), Ok(email.as_str()), "{library:?}");
        // A signature byte changed (not the last character, whose low bits
        // are padding that lenient decoders ignore).
        let at = token.len() - 20;
        let flipped = if &token[at..=at] == "A" { "B" } else { "A" };
        let tampered = format!("{}{flipped}{}", &token[..at], &token[at + 1..]);
        assert!(
            jose::verify(library, &url, &tampered, &tenant.project, &issuer).is_err(),
            "{library:?} took a tampered token"
        );
        assert!(
            jose::verify(library, &url, &token, "another-project", &issuer).is_err(),
            "{library:?} took another audience"
        );
    }
}

fn claims(sub: &str) -> LoginClaims {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    LoginClaims {
        iss: "https://rotation.test".into(),
        sub: sub.into(),
        aud: "project".into(),
        exp: now + 600,
        iat: now,
        nbf: now,
        jti: ulid::Ulid::new().to_string(),
        amr: vec!["email".into()],
        login_id: "login".into(),
        project_flow: "flow".into(),
        registration_id: None,
    }
}

/// What `GET /.well-known/jwks.json` answers for these keys.
async fn jwks_of(tokens: &TokenIssuer) -> String {
    let response = gatehouse::api::jwks::keys(tokens, lambda_http::Request::default())
        .await
        .unwrap();
    match response.body() {
        Body::Text(text) => text.clone(),
        other => panic!("unexpected body {other:?}"),
    }
}

/// docs/rotation.md "Rotating the signing key", step by step: no valid token is lost.
#[tokio::test]
async fn a_key_rotation_loses_no_valid_token() {
    let (old_private, old_public) = jose::key_pair();
    let (new_private, new_public) = jose::key_pair();
    let lifetime = Duration::from_secs(600);
    let issuer = "https://rotation.test".to_string();
    let check = |url: &str, token: &str| {
        LIBRARIES.map(|library| jose::verify(library, url, token, "project", &issuer))
    };

    // Before: one key.
    let before =
        TokenIssuer::from_pem(&old_private, Some(&old_public), issuer.clone(), lifetime).unwrap();
    let server = JwksServer::start(jwks_of(&before).await);
    let old_token = before.sign(&claims("old@example.com")).unwrap();
    for result in check(&server.url, &old_token) {
        assert_eq!(result.as_deref(), Ok("old@example.com"));
    }

    // The rotation: the new key signs, the old one is still published.
    let during = TokenIssuer::from_pem(
        &new_private,
        Some(&format!("{new_public}{old_public}")),
        issuer.clone(),
        lifetime,
    )
    .unwrap();
    server.replace(jwks_of(&during).await);
    let new_token = during.sign(&claims("new@example.com")).unwrap();
    for result in check(&server.url, &old_token) {
        assert_eq!(result.as_deref(), Ok("old@example.com"), "old token lost");
    }
    for result in check(&server.url, &new_token) {
        assert_eq!(result.as_deref(), Ok("new@example.com"));
    }

    // After the longest token lifetime: the old key goes, and with it the
    // tokens it signed; the new ones stay valid.
    let after =
        TokenIssuer::from_pem(&new_private, Some(&new_public), issuer.clone(), lifetime).unwrap();
    server.replace(jwks_of(&after).await);
    for result in check(&server.url, &new_token) {
        assert_eq!(result.as_deref(), Ok("new@example.com"));
    }
    for result in check(&server.url, &old_token) {
        assert!(result.is_err(), "a retired key still verifies");
    }
}

const ALLOWED: &str = "http://localhost:4200";
const OTHER_ALLOWED: &str = "http://localhost:8080";
const FOREIGN: &str = "https://evil.example";

async fn preflight(path: &str, origin: &str) -> reqwest::Response {
    http()
        .request(reqwest::Method::OPTIONS, format!("{}{path}", base()))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,timeout")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn browsers_get_cors_only_from_allowed_origins() {
    // Verifik's web client sends `timeout`, so every call is preflighted.
    let allowed = preflight("/v2/email-validations/validate", ALLOWED).await;
    assert_eq!(allowed.status(), 204);
    let h = allowed.headers();
    assert_eq!(h["access-control-allow-origin"], ALLOWED);
    let headers = h["access-control-allow-headers"].to_str().unwrap();
    for needed in ["authorization", "content-type", "timeout"] {
        assert!(headers.contains(needed), "{headers}");
    }
    assert!(h.get("access-control-allow-credentials").is_none());
    assert_eq!(h["vary"], "Origin");

    let refused = preflight("/v2/email-validations/validate", FOREIGN).await;
    assert_eq!(refused.status(), 403);
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    // The request itself: a foreign origin is refused before any handler.
    let tenant = Tenant::create().await;
    let body = json!({"projectFlow": tenant.flow, "email": unique_email(), "otp": "123456"});
    let post = |origin: &'static str| {
        http()
            .post(format!("{}/v2/email-validations/validate", base()))
            .header("origin", origin)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let foreign = post(FOREIGN).await.unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(foreign
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    let text = foreign.text().await.unwrap();
    assert!(text.contains("origin_not_allowed"), "{text}");
    let listed = post(ALLOWED).await.unwrap();
    assert_eq!(
        listed.status(),
        403,
        "a wrong code, answered to the browser"
    );
    assert_eq!(listed.headers()["access-control-allow-origin"], ALLOWED);
    assert_eq!(listed.headers()["vary"], "Origin");
}

#[tokio::test]
async fn a_project_narrows_the_origins_that_may_send_codes() {
    let tenant = Tenant::onboarding(Default::default()).create().await;
    let narrowed = ConfigApi::new()
        .await
        .call(
            "PUT",
            "projects",
            Some(&tenant.project),
            Some(&tenant.api_key),
            "",
            Some(json!({"allowedOrigins": [OTHER_ALLOWED]})),
        )
        .await;
    assert_eq!(narrowed.status, 200, "{}", narrowed.raw);
    let start = |origin: &'static str| {
        http()
            .post(format!("{}/v2/app-registrations", base()))
            .header("origin", origin)
            .header("content-type", "application/json")
            .body(json!({"projectFlow": tenant.flow, "email": unique_email()}).to_string())
            .send()
    };
    // Allowed by the stack, not by this project.
    let elsewhere = start(ALLOWED).await.unwrap();
    assert_eq!(elsewhere.status(), 403);
    assert!(elsewhere
        .text()
        .await
        .unwrap()
        .contains("origin_not_allowed"));
    let own = start(OTHER_ALLOWED).await.unwrap();
    assert_eq!(own.status(), 201);
    assert_eq!(own.headers()["access-control-allow-origin"], OTHER_ALLOWED);
}
