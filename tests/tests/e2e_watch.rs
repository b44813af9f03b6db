//! End to end over HTTP: `cargo lambda watch` serves the Lambda binaries on
//! their real paths, in front of DynamoDB Local and moto.

use gatehouse_tests::{assert_no_secrets, stack_var, unique_email, verify_token, Moto, Tenant};
use serde_json::{json, Value};
use std::time::Duration;

struct Http {
    base: String,
    client: reqwest::Client,
}

impl Http {
    fn new() -> Self {
        Self {
            base: stack_var("GATEHOUSE_E2E_URL"),
            // The first call to each binary waits for cargo lambda to start it.
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(300))
                .build()
                .unwrap(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<String>,
    ) -> (u16, Value, String) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("user-agent", "e2e-curl/8")
            .header("content-type", "application/json");
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("cargo lambda watch answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        )
    }
}

#[tokio::test]
async fn email_login_over_real_paths() {
    let tenant = Tenant::create().await;
    let other = Tenant::create().await;
    let http = Http::new();
    let email = unique_email();
    use reqwest::Method;

    let (status, created, raw) = http
        .send(
            Method::POST,
            "/v2/app-logins",
            Some(&tenant.api_key),
            Some(json!({"projectFlow": tenant.flow, "email": email}).to_string()),
        )
        .await;
    assert_eq!(status, 201, "{raw}");
    let id = created["data"]["appLogin"]["_id"]
        .as_str()
        .unwrap()
        .to_string();
    let code = Moto::new().latest_email_code(&email).await;
    assert_no_secrets(&raw, &[&code]);

    let (status, body, raw) = http
        .send(
            Method::POST,
            "/v2/app-logins",
            Some(&tenant.api_key),
            Some("{oops".into()),
        )
        .await;
    assert_eq!(status, 400, "{raw}");
    assert_eq!(body["code"], "invalid_json");

    let (status, body, raw) = http
        .send(
            Method::POST,
            &format!("/v2/app-logins/{id}/validate"),
            None,
            Some(json!({"otp": code}).to_string()),
        )
        .await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(body["data"]["appLogin"]["status"], "validated");
    verify_token(body["data"]["token"].as_str().unwrap(), &tenant.project);

    let (status, body, raw) = http
        .send(
            Method::POST,
            "/v2/email-validations/validate",
            None,
            Some(json!({"projectFlow": tenant.flow, "email": email, "otp": code}).to_string()),
        )
        .await;
    // The code is used: the public form answers as for any wrong code.
    assert_eq!(status, 403, "{raw}");
    assert_eq!(body["code"], "otp_does_not_match");

    let (status, body, raw) = http
        .send(
            Method::GET,
            &format!(
                "/v2/app-logins/{id}?populates[]=emailValidation&populates[]=accessControlLog"
            ),
            Some(&tenant.api_key),
            None,
        )
        .await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(body["data"]["emailValidation"]["status"], "validated");
    let log = body["data"]["accessControlLog"].as_array().unwrap();
    assert_eq!(log.last().unwrap()["userAgent"], "e2e-curl/8");
    assert!(
        log.last().unwrap()["ipAddress"].is_string(),
        "the source IP comes from the request context"
    );
    assert_no_secrets(&raw, &[&code]);

    let (status, _, _) = http
        .send(
            Method::GET,
            &format!("/v2/app-logins/{id}"),
            Some(&other.api_key),
            None,
        )
        .await;
    assert_eq!(status, 404);

    let (status, body, raw) = http
        .send(Method::GET, "/v2/app-logins?page=1&populates[]=emailValidation&sort=-createdAt&where-exists_emailValidation=1", Some(&tenant.api_key), None)
        .await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(body["total"], 1);
    assert_eq!(body["data"][0]["_id"], id.as_str());

    let (status, body, _) = http.send(Method::GET, "/v2/app-logins", None, None).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "Unauthorized");

    // What the functions logged, as Lambda would ship it to CloudWatch.
    let log = std::fs::read_to_string(stack_var("GATEHOUSE_WATCH_LOG")).unwrap();
    assert!(log.contains(&id), "the functions' logs were captured");
    assert_no_secrets(&log, &[&code]);
}

#[tokio::test]
async fn onboarding_over_real_paths() {
    use reqwest::Method;
    let tenant = Tenant::onboarding(gatehouse::domain::OnboardingSettings::default())
        .create()
        .await;
    let http = Http::new();
    let moto = Moto::new();
    let email = unique_email();

    // The enrollee's browser starts with the flow id alone.
    let (status, body, raw) = http
        .send(
            Method::POST,
            "/v2/app-registrations",
            None,
            Some(
                json!({"projectFlow": tenant.flow, "email": email, "fullName": "Ana Lopez"})
                    .to_string(),
            ),
        )
        .await;
    assert_eq!(status, 201, "{raw}");
    let id = body["data"]["appRegistration"]["_id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = body["data"]["token"].as_str().unwrap().to_string();
    assert_eq!(body["data"]["appRegistration"]["status"], "STARTED");

    let code = moto.latest_email_code(&email).await;
    assert_no_secrets(&raw, &[&code]);
    let (status, body, raw) = http
        .send(
            Method::POST,
            &format!("/v2/app-registrations/{id}/validate"),
            Some(&token),
            Some(json!({"type": "email", "otp": code}).to_string()),
        )
        .await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(
        body["data"]["appRegistration"]["currentStep"],
        "basicInformation"
    );

    // The static analytics path is not taken for a registration id.
    let today = &gatehouse::domain::Timestamp::now().to_string()[..10];
    let (status, body, raw) = http
        .send(
            Method::GET,
            &format!(
                "/v2/app-registrations/analytics?projectFlow={}&from={today}&to={today}",
                tenant.flow
            ),
            Some(&tenant.api_key),
            None,
        )
        .await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(body["data"]["analytics"]["total"], 1);

    let (status, body, raw) = http
        .send(
            Method::PUT,
            &format!("/v2/app-registrations/{id}/sync"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(body["data"]["appRegistration"]["status"], "ONGOING");
    gatehouse_tests::assert_no_user_token(&body["data"]);
}

/// Identity verification through the Lambda binaries as deployed (their
/// own wiring and environment), the local engine behind the production
/// Rekognition and Textract adapters; then no function's log line holds
/// image bytes or the document number.
#[tokio::test]
async fn an_onboarding_verified_by_gatehouse_over_real_paths() {
    use gatehouse::domain::identity::Verifier;
    use gatehouse::domain::onboarding::OnboardingSteps;
    use gatehouse::domain::{OnboardingSettings, Requirement};
    use gatehouse_tests::identity::{base64, Engine};
    use reqwest::Method;

    let mut settings = OnboardingSettings {
        steps: OnboardingSteps {
            basic_information: Requirement::Skip,
            ..Default::default()
        },
        ..Default::default()
    };
    settings.identity_verification.verifier = Verifier::Gatehouse;
    let tenant = Tenant::onboarding(settings).create().await;
    let http = Http::new();
    let moto = Moto::new();
    let engine = Engine::new();
    let email = unique_email();
    let phone = gatehouse_tests::unique_co_mobile();

    let (status, created, raw) = http
        .send(
            Method::POST,
            "/v2/app-registrations",
            None,
            Some(json!({"projectFlow": tenant.flow, "email": email, "countryCode": "+57", "phone": phone, "fullName": "Ana Lopez"}).to_string()),
        )
        .await;
    assert_eq!(status, 201, "{raw}");
    let id = created["data"]["appRegistration"]["_id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = created["data"]["token"].as_str().unwrap().to_string();
    for (kind, code) in [
        ("email", moto.latest_email_code(&email).await),
        ("phone", moto.latest_sms_code(&format!("+57{phone}")).await),
    ] {
        let (status, _, raw) = http
            .send(
                Method::POST,
                &format!("/v2/app-registrations/{id}/validate"),
                Some(&token),
                Some(json!({"type": kind, "otp": code}).to_string()),
            )
            .await;
        assert_eq!(status, 200, "{raw}");
    }

    let passport = engine
        .document(json!({"surname": "Lopez", "givenNames": "Ana", "number": "E2E123456"}))
        .await;
    let (status, body, raw) = http
        .send(
            Method::POST,
            "/v2/document-validations/app-registration",
            Some(&token),
            Some(json!({"image": base64(&passport)}).to_string()),
        )
        .await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(
        body["data"]["documentValidation"]["status"], "passed",
        "{raw}"
    );

    let (status, body, raw) = http
        .send(
            Method::POST,
            "/v2/biometric-validations/app-registration/session",
            Some(&token),
            Some("{}".into()),
        )
        .await;
    assert_eq!(status, 201, "{raw}");
    let session = body["data"]["sessionId"].as_str().unwrap().to_string();
    let still = engine.face("astronaut", "rotated").await;
    assert_eq!(engine.run_liveness(&session, &still, 96.0).await, 204);
    let (status, body, raw) = http
        .send(
            Method::POST,
            "/v2/biometric-validations/app-registration",
            Some(&token),
            Some(json!({"sessionId": session}).to_string()),
        )
        .await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(
        body["data"]["appRegistration"]["status"], "COMPLETED",
        "{raw}"
    );
    assert!(
        !raw.contains("similarity") && !raw.contains("E2E123456"),
        "{raw}"
    );

    // The face the onboarding enrolled signs in on the project's face flow.
    let face_flow = tenant
        .add_login_flow(gatehouse::domain::LoginSettings {
            face_liveness: Some(Default::default()),
            ..Default::default()
        })
        .await;
    let (status, body, raw) = http
        .send(
            Method::POST,
            "/v2/biometric-validations",
            None,
            Some(
                json!({"identifier": email, "type": "login", "projectFlow": face_flow}).to_string(),
            ),
        )
        .await;
    assert_eq!(status, 201, "{raw}");
    let session = body["data"]["sessionId"].as_str().unwrap().to_string();
    let face_token = body["data"]["faceToken"].as_str().unwrap().to_string();
    let selfie = engine.face("astronaut", "selfie").await;
    assert_eq!(engine.run_liveness(&session, &selfie, 97.0).await, 204);
    let (status, body, raw) = http
        .send(
            Method::POST,
            "/v2/biometric-validations/validate",
            Some(&face_token),
            Some(json!({"sessionId": session}).to_string()),
        )
        .await;
    assert_eq!(status, 200, "{raw}");
    let claims =
        gatehouse_tests::verify_token(body["data"]["token"].as_str().unwrap(), &tenant.project);
    assert_eq!(claims.amr, ["face"]);

    let (status, _, raw) = http
        .send(
            Method::DELETE,
            &format!("/v2/app-registrations/{id}/biometrics"),
            Some(&tenant.api_key),
            None,
        )
        .await;
    assert_eq!(status, 200, "{raw}");

    let log = std::fs::read_to_string(stack_var("GATEHOUSE_WATCH_LOG")).unwrap();
    assert!(
        log.contains("biometrics redacted"),
        "the redaction is logged"
    );
    assert!(!log.contains("E2E123456"), "a document number was logged");
    for image in [&passport, &still] {
        assert!(
            !log.contains(&base64(image)[100..164]),
            "image bytes were logged"
        );
    }
}

/// HSTS on every answer the stack gives a browser, through the real
/// binaries: the hosted pages, their assets and 404s, the pages' own API,
/// preflights (granted and refused), the keys.
#[tokio::test]
async fn every_hosted_route_carries_hsts() {
    let tenant = Tenant::create().await;
    let http = Http::new();
    let project = &tenant.project;
    let listed = "http://localhost:4200";
    let routes: [(&str, String, Option<&str>, u16); 11] = [
        ("GET", format!("/sign-in/{project}"), None, 200),
        ("GET", format!("/sign-up/{project}"), None, 200),
        ("GET", "/sign-up/not-a-project".into(), None, 404),
        ("GET", "/hosted/app.js".into(), None, 200),
        ("GET", "/hosted/app.css".into(), None, 200),
        ("GET", "/hosted/app.map".into(), None, 404),
        ("POST", "/v2/hosted/authorizations".into(), None, 401),
        ("POST", "/v2/hosted/token".into(), None, 401),
        ("OPTIONS", "/v2/hosted/token".into(), Some(listed), 204),
        (
            "OPTIONS",
            "/v2/hosted/token".into(),
            Some("https://evil.example"),
            403,
        ),
        ("GET", "/.well-known/jwks.json".into(), None, 200),
    ];
    for (method, path, origin, status) in routes {
        let mut request = http
            .client
            .request(method.parse().unwrap(), format!("{}{path}", http.base));
        if let Some(origin) = origin {
            request = request
                .header("origin", origin)
                .header("access-control-request-method", "POST");
        }
        if method == "POST" {
            let body = match path.ends_with("/token") {
                true => r#"{"code":"ghc_x","redirectUri":"https://app.example.com/cb"}"#,
                false => r#"{"redirectUri":"https://app.example.com/cb"}"#,
            };
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.expect("cargo lambda watch answers");
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        assert_eq!(
            response
                .headers()
                .get("strict-transport-security")
                .and_then(|v| v.to_str().ok()),
            Some("max-age=31536000; includeSubDomains"),
            "{method} {path}"
        );
    }
}

/// The console's sign-in through cargo lambda watch: the cookie survives
/// the emulator both ways, and the CSRF token signs out.
#[tokio::test]
async fn an_operator_signs_in_to_the_console_over_real_paths() {
    use gatehouse::adapters::dynamodb::DynamoOperatorStore;
    use gatehouse::domain::operator::OperatorRole;
    use gatehouse::domain::ClientId;
    use gatehouse::service::operators::{Acting, Operators};
    let tenant = Tenant::create().await;
    let email = unique_email();
    let aws = gatehouse::wiring::Aws::load().await.expect("AWS config");
    Operators::new(
        DynamoOperatorStore::new(aws.dynamodb, stack_var("GATEHOUSE_TABLE")),
        std::sync::Arc::new(gatehouse::ports::SystemClock),
    )
    .invite(
        &ClientId(tenant.client.clone()),
        &Acting::admin_cli(),
        &email,
        OperatorRole::Viewer,
    )
    .await
    .expect("invited");

    let http = Http::new();
    let page = |method, path: &str| {
        http.client
            .request(method, format!("{}{path}", http.base))
            .header("origin", http.base.as_str())
            .header("content-type", "application/json")
    };
    let started = page(reqwest::Method::POST, "/console/api/sign-in")
        .body(json!({ "email": email }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let code = Moto::new().latest_email_code(&email).await;
    let verified = page(reqwest::Method::POST, "/console/api/sign-in/verify")
        .body(json!({ "email": email, "code": code }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);
    let set_cookie = verified.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"));
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let body: Value = verified.json().await.unwrap();
    let csrf = body["data"]["csrfToken"].as_str().unwrap().to_string();

    let session = page(reqwest::Method::GET, "/console/api/session")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 200);
    let body: Value = session.json().await.unwrap();
    assert_eq!(body["data"]["role"], "viewer");
    assert_eq!(body["data"]["client"], tenant.client.as_str());

    let out = page(reqwest::Method::DELETE, "/console/api/session")
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    let after = page(reqwest::Method::GET, "/console/api/session")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
}
