//! Verifik's own web front end, call by call, over HTTP through `cargo
//! lambda watch`: the sequence, bodies and `timeout` header listed in
//! ../shared/reference/verifik-compat.md ("Verifik's own web front end"),
//! with no API key, from a local browser origin. Every response field that
//! front end reads is asserted.

use gatehouse::domain::OnboardingSettings;
use gatehouse_tests::{
    record_sample, stack_var, unique_co_mobile, unique_email, verify_enrollee_token, verify_token,
    ConfigApi, Moto, Tenant,
};
use serde_json::{json, Value};
use std::time::Duration;

/// The front end's origin (in `GATEHOUSE_CORS_ORIGINS` locally).
const ORIGIN: &str = "http://localhost:4200";
const REDIRECT: &str = "https://app.example.com/signed-in";

struct FrontEnd {
    base: String,
    client: reqwest::Client,
    /// `localStorage.accessToken`: sent as a bearer token once set.
    access_token: Option<String>,
}

/// The OpenAPI path of a concrete one: no query, ids as `{id}`.
fn template_of(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    path.split('/')
        .map(|segment| {
            if segment.len() == 26 && segment.bytes().all(|b| b.is_ascii_alphanumeric()) {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

struct Answer {
    status: u16,
    body: Value,
    raw: String,
}

impl FrontEnd {
    fn new() -> Self {
        Self {
            base: stack_var("GATEHOUSE_E2E_URL"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(300))
                .build()
                .unwrap(),
            access_token: None,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let method_name = method.as_str().to_ascii_lowercase();
        let method_name = method_name.as_str();
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("origin", ORIGIN)
            .header("timeout", "20");
        if let Some(token) = &self.access_token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("cargo lambda watch answers");
        let status = response.status().as_u16();
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            ORIGIN,
            "{path}: the browser may read the answer"
        );
        let raw = response.text().await.unwrap();
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        record_sample(&template_of(path), method_name, status, &body);
        Answer { status, body, raw }
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }
}

/// A login tenant whose flow redirects, with terms and branding.
async fn login_tenant() -> Tenant {
    let tenant = Tenant::create().await;
    configure(&tenant).await;
    tenant
}

async fn configure(tenant: &Tenant) {
    let config = ConfigApi::new().await;
    let project = config
        .call(
            "PUT",
            "projects",
            Some(&tenant.project),
            Some(&tenant.api_key),
            "",
            Some(json!({
                "termsUrl": "https://example.com/terms",
                "privacyUrl": "https://example.com/privacy",
                "branding": {"logo": "https://example.com/logo.png", "buttonColor": "#14AE5C"},
            })),
        )
        .await;
    assert_eq!(project.status, 200, "{}", project.raw);
    let flow = config
        .call(
            "PUT",
            "project-flows",
            Some(&tenant.flow),
            Some(&tenant.api_key),
            "",
            Some(json!({"redirectUrl": REDIRECT})),
        )
        .await;
    assert_eq!(flow.status, 200, "{}", flow.raw);
}

/// What the page reads before the sign-in form shows; the flow it uses.
async fn load_project(front: &FrontEnd, tenant: &Tenant, flow_type: &str) -> Value {
    let kyc = front
        .get(&format!("/v2/projects/kyc?id={}", tenant.project))
        .await;
    assert_eq!(kyc.status, 200, "{}", kyc.raw);
    let data = &kyc.body["data"];
    assert_eq!(data["_id"], tenant.project.as_str());
    assert!(data["name"].is_string());
    for key in [
        "logo",
        "buttonColor",
        "buttonTxtColor",
        "bgColor",
        "titleColor",
        "txtColor",
    ] {
        assert!(data["branding"].get(key).is_some(), "branding.{key}");
    }
    assert_eq!(data["branding"]["buttonColor"], "#14AE5C");
    assert!(data["allowedCountries"].is_array());
    assert_eq!(data["termsAndConditionsUrl"], "https://example.com/terms");
    assert_eq!(data["privacyUrl"], "https://example.com/privacy");
    // Nothing internal: tenant, lists, keys, limits, timestamps.
    for secret in [
        "client",
        "security",
        "denyList",
        "allowList",
        "ghk_",
        "createdAt",
        "maxAttempts\":",
        "codeLifetimeSeconds",
    ] {
        assert!(!kyc.raw.contains(secret), "{secret} leaked: {}", kyc.raw);
    }
    assert!(!kyc.raw.contains(&tenant.client));
    let flow = data["projectFlows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["_id"] == tenant.flow.as_str())
        .expect("the active flow is listed")
        .clone();
    assert_eq!(flow["type"], flow_type);
    assert_eq!(flow["status"], "active");
    for key in ["email", "phone", "phoneGateway", "faceLiveness"] {
        assert!(
            flow["loginSettings"].get(key).is_some(),
            "loginSettings.{key}"
        );
    }
    for key in [
        "fullName",
        "firstName",
        "lastName",
        "email",
        "emailGateway",
        "phone",
        "phoneGateway",
        "showTermsAndConditions",
        "showPrivacyNotice",
        "extraFields",
    ] {
        assert!(
            flow["onboardingSettings"]["signUpForm"].get(key).is_some(),
            "signUpForm.{key}"
        );
    }
    assert!(flow["onboardingSettings"]["steps"].is_object());
    assert!(flow["onboardingSettings"]["allowSkipKYC"].is_boolean());
    flow
}

fn assert_recent(updated_at: &Value) {
    let at = time::OffsetDateTime::parse(
        updated_at.as_str().expect("updatedAt"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("ISO-8601");
    let age = time::OffsetDateTime::now_utc() - at;
    assert!(age.whole_seconds().abs() < 60, "the code box shows: {at}");
}

fn assert_jwt(token: &Value) -> String {
    let token = token.as_str().expect("a token").to_string();
    assert_eq!(token.split('.').count(), 3, "the interceptor needs a JWT");
    token
}

#[tokio::test]
async fn email_sign_in_ends_at_the_redirect_with_a_token() {
    let tenant = login_tenant().await;
    let front = FrontEnd::new();
    let flow = load_project(&front, &tenant, "login").await;
    assert_eq!(flow["redirectUrl"], REDIRECT);
    let email = unique_email();

    let sent = front
        .post(
            "/v2/email-validations",
            json!({"email": email, "project": tenant.project, "projectFlow": tenant.flow,
                   "type": "login", "validationMethod": "verificationCode", "language": "es",
                   "location": {"lat": 4.6, "lng": -74.1}}),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.raw);
    assert_recent(&sent.body["data"]["updatedAt"]);
    assert!(sent.body.get("message").is_none() && sent.body["data"].get("message").is_none());

    let code = Moto::new().latest_email_code(&email).await;
    let validated = front
        .post(
            "/v2/email-validations/validate",
            json!({"email": email, "otp": code, "projectFlow": tenant.flow,
                   "location": {"lat": 4.6, "lng": -74.1}}),
        )
        .await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    let data = &validated.body["data"];
    assert!(
        data.get("message").is_none(),
        "a message means a second factor"
    );
    assert_eq!(data["showFaceLivenessRecommendation"], false);
    let token = assert_jwt(&data["token"]);
    assert_eq!(verify_token(&token, &tenant.project).sub, email);
    let destination = format!(
        "{}?type=login&token={token}",
        flow["redirectUrl"].as_str().unwrap()
    );
    assert!(destination.starts_with(REDIRECT));
}

#[tokio::test]
async fn phone_sign_in_ends_at_the_redirect_with_a_token() {
    let tenant = login_tenant().await;
    let front = FrontEnd::new();
    let flow = load_project(&front, &tenant, "login").await;
    assert_eq!(flow["loginSettings"]["phone"], true);
    let phone = unique_co_mobile();

    let sent = front
        .post(
            "/v2/phone-validations",
            json!({"phone": phone, "countryCode": "+57", "projectFlow": tenant.flow,
                   "project": tenant.project, "phoneGateway": "sms", "type": "login",
                   "language": "es", "validationMethod": "verificationCode"}),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.raw);
    assert_recent(&sent.body["data"]["updatedAt"]);

    let code = Moto::new().latest_sms_code(&format!("+57{phone}")).await;
    let validated = front
        .post(
            "/v2/phone-validations/validate",
            json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": phone,
                   "otp": code, "type": "login"}),
        )
        .await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    assert!(validated.body["data"].get("message").is_none());
    let token = assert_jwt(&validated.body["data"]["token"]);
    assert_eq!(
        verify_token(&token, &tenant.project).sub,
        format!("+57{phone}")
    );
}

#[tokio::test]
async fn errors_carry_the_translation_key_in_message() {
    let tenant = login_tenant().await;
    let front = FrontEnd::new();
    let email = unique_email();
    let sent = front
        .post(
            "/v2/email-validations",
            json!({"email": email, "project": tenant.project, "projectFlow": tenant.flow,
                   "type": "login", "validationMethod": "verificationCode", "language": "en"}),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.raw);
    let code = Moto::new().latest_email_code(&email).await;
    let wrong = gatehouse_tests::wrong_code(&code);
    let refused = front
        .post(
            "/v2/email-validations/validate",
            json!({"email": email, "otp": wrong, "projectFlow": tenant.flow}),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.raw);
    assert_eq!(refused.body["message"], "otp_does_not_match");
    assert_eq!(refused.body["code"], "otp_does_not_match");
    assert!(refused.body["detail"].is_string());

    let unknown = front
        .post(
            "/v2/email-validations",
            json!({"email": email, "projectFlow": "01jzzzzzzzzzzzzzzzzzzzzzzz", "type": "login"}),
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.raw);
    assert_eq!(unknown.body["message"], "projectFlow_not_found");
}

#[tokio::test]
async fn sign_up_validates_its_code_and_syncs() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    configure(&tenant).await;
    let mut front = FrontEnd::new();
    let flow = load_project(&front, &tenant, "onboarding").await;
    assert_eq!(
        flow["onboardingSettings"]["signUpForm"]["showTermsAndConditions"],
        true
    );
    let email = unique_email();

    let created = front
        .post(
            "/v2/app-registrations",
            json!({"project": tenant.project, "projectFlow": tenant.flow, "language": "es",
                   "fullName": "Ana Lopez", "email": email,
                   "agreements": {"termsAndConditions": true, "privacyNotice": true}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let id = created.body["data"]["appRegistration"]["_id"]
        .as_str()
        .unwrap()
        .to_string();
    front.access_token = Some(assert_jwt(&created.body["data"]["token"]));

    let me = front
        .post(
            "/v2/app-registrations/me",
            json!({"populates": ["project", "projectFlow", "emailValidation", "phoneValidation", "informationValidation"]}),
        )
        .await;
    assert_eq!(me.status, 200, "{}", me.raw);
    assert_eq!(me.body["data"]["_id"], id.as_str());
    assert_eq!(me.body["data"]["project"]["_id"], tenant.project.as_str());
    assert_eq!(me.body["data"]["projectFlow"]["_id"], tenant.flow.as_str());
    assert!(me.body["data"]["emailValidation"]["_id"].is_string());
    assert!(me.body["data"].get("redFlags").is_none());

    let sent = front
        .post(
            "/v2/email-validations",
            json!({"email": email, "project": tenant.project, "projectFlow": tenant.flow,
                   "type": "onboarding", "validationMethod": "verificationCode", "language": "es"}),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.raw);
    assert_recent(&sent.body["data"]["updatedAt"]);
    let validation = sent.body["data"]["_id"].as_str().unwrap().to_string();
    let linked = front
        .put(
            &format!("/v2/app-registrations/{id}"),
            json!({"emailValidation": validation}),
        )
        .await;
    assert_eq!(linked.status, 200, "{}", linked.raw);

    let code = Moto::new().latest_email_code(&email).await;
    let validated = front
        .post(
            "/v2/email-validations/validate",
            json!({"email": email, "otp": code, "project": tenant.project, "projectFlow": tenant.flow}),
        )
        .await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    assert_eq!(validated.body["data"]["status"], "validated");

    let synced = front
        .put(
            &format!("/v2/app-registrations/{id}/sync"),
            json!({"step": "signUpForm", "status": "ONGOING"}),
        )
        .await;
    assert_eq!(synced.status, 200, "{}", synced.raw);
    let token = assert_jwt(&synced.body["data"]["token"]);
    let claims = verify_enrollee_token(&token);
    assert_eq!(claims.sub, id, "a token to continue this registration with");
    assert_eq!(synced.body["data"]["appRegistration"]["status"], "ONGOING");

    // This flow does not allow skipping KYC: the server decides.
    let skip = front
        .put(
            &format!("/v2/app-registrations/{id}/sync"),
            json!({"step": "skipKYC", "status": "COMPLETED_WITHOUT_KYC"}),
        )
        .await;
    assert_eq!(skip.status, 409, "{}", skip.raw);
    assert_eq!(skip.body["code"], "skipKYC_not_allowed");
}

#[tokio::test]
async fn a_flow_that_allows_it_completes_without_kyc() {
    let tenant = Tenant::onboarding(OnboardingSettings {
        allow_skip_kyc: true,
        ..OnboardingSettings::default()
    })
    .create()
    .await;
    let mut front = FrontEnd::new();
    let email = unique_email();
    let created = front
        .post(
            "/v2/app-registrations",
            json!({"project": tenant.project, "projectFlow": tenant.flow, "fullName": "Ana Lopez", "email": email}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let id = created.body["data"]["appRegistration"]["_id"]
        .as_str()
        .unwrap()
        .to_string();
    front.access_token = Some(assert_jwt(&created.body["data"]["token"]));

    // Not before the contact is verified.
    let early = front
        .put(
            &format!("/v2/app-registrations/{id}/sync"),
            json!({"step": "skipKYC", "status": "COMPLETED_WITHOUT_KYC"}),
        )
        .await;
    assert_eq!(early.status, 409, "{}", early.raw);
    assert_eq!(early.body["code"], "signUpForm_not_passed");

    let code = Moto::new().latest_email_code(&email).await;
    let validated = front
        .post(
            "/v2/email-validations/validate",
            json!({"email": email, "otp": code, "project": tenant.project, "projectFlow": tenant.flow}),
        )
        .await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    let skipped = front
        .put(
            &format!("/v2/app-registrations/{id}/sync"),
            json!({"step": "skipKYC", "status": "COMPLETED_WITHOUT_KYC"}),
        )
        .await;
    assert_eq!(skipped.status, 200, "{}", skipped.raw);
    let data = &skipped.body["data"];
    assert_eq!(data["appRegistration"]["status"], "COMPLETED_WITHOUT_KYC");
    let claims = verify_token(data["token"].as_str().unwrap(), &tenant.project);
    assert_eq!(claims.sub, email);
    assert_eq!(claims.registration_id.as_deref(), Some(id.as_str()));
}
