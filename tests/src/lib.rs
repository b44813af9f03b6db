//! Test harness: the real services, built by the same wiring as the Lambda
//! binaries, against DynamoDB Local and moto. `make test` starts the stack
//! and exports its endpoints; nothing here fakes AWS.

pub mod api;
pub mod enrollment;
pub mod face;
pub mod faults;
pub mod identity;
pub mod jose;
pub mod logs;
pub mod moto;
pub mod tenant;
pub mod webhooks;

pub use api::{Api, ConfigApi, Endpoint, RegistrationApi, Reply};
pub use enrollment::Enrollment;
pub use moto::Moto;
pub use tenant::Tenant;

/// A variable the test stack sets. Missing means the suite was not started
/// by `make test` (scripts/test.sh), which is a setup error, not a skip.
pub fn stack_var(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run the suite with `make test`"))
}

/// The item stored under `pk`/`sk` in the stack's table (a strongly
/// consistent read), for tests that check what lands at rest.
pub async fn stored_item(
    pk: &str,
    sk: &str,
) -> Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let aws = api::aws_through(None, &gatehouse::adapters::dynamodb::CallCounter::default()).await;
    aws.dynamodb
        .get_item()
        .table_name(stack_var("GATEHOUSE_TABLE"))
        .key("pk", AttributeValue::S(pk.to_string()))
        .key("sk", AttributeValue::S(sk.to_string()))
        .consistent_read(true)
        .send()
        .await
        .expect("DynamoDB Local answers")
        .item
}

/// A number attribute of a stored item, 0 when absent.
pub fn number_of(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
    name: &str,
) -> u64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .map_or(0, |n| n.parse().expect("a whole number"))
}

/// A fresh address, so tests never see each other's logins or messages.
pub fn unique_email() -> String {
    format!(
        "user-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

/// A fresh valid Colombian mobile number (national digits).
pub fn unique_co_mobile() -> String {
    let n = ulid::Ulid::new().random() % 10_000_000;
    format!("300{n:07}")
}

/// The id of the login a create reply carries.
pub fn login_id(reply: &Reply) -> String {
    reply.body["data"]["appLogin"]["_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no login id in {}", reply.raw))
        .to_string()
}

/// Verifies an end-user token with the public key, as a customer would.
pub fn verify_token(token: &str, project: &str) -> gatehouse::domain::token::LoginClaims {
    use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
    let pem = std::fs::read(stack_var("GATEHOUSE_JWT_PUBLIC_KEY_FILE")).expect("public key file");
    let key = DecodingKey::from_ed_pem(&pem).expect("Ed25519 public key");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[project]);
    validation.set_issuer(&[stack_var("GATEHOUSE_JWT_ISSUER")]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    decode(token, &key, &validation)
        .expect("token verifies")
        .claims
}

/// Checks an enrollee token's signature, issuer and audience; its claims.
pub fn verify_enrollee_token(token: &str) -> gatehouse::domain::token::EnrolleeClaims {
    use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
    let pem = std::fs::read(stack_var("GATEHOUSE_JWT_PUBLIC_KEY_FILE")).expect("public key file");
    let key = DecodingKey::from_ed_pem(&pem).expect("Ed25519 public key");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[gatehouse::domain::token::ENROLLEE_AUDIENCE]);
    validation.set_issuer(&[stack_var("GATEHOUSE_JWT_ISSUER")]);
    decode(token, &key, &validation)
        .expect("enrollee token verifies")
        .claims
}

/// Fails if a body or log text holds a code or anything shaped like a
/// bcrypt hash.
pub fn assert_no_secrets(text: &str, codes: &[&str]) {
    for code in codes {
        assert!(!text.contains(code), "a code leaked: {text}");
    }
    for marker in ["$2a$", "$2b$", "$2y$", "\"otp\""] {
        assert!(!text.contains(marker), "{marker:?} appears in: {text}");
    }
}

/// A six-digit code that is certainly not `code`.
pub fn wrong_code(code: &str) -> String {
    let n: u32 = code.parse().expect("six digits");
    format!("{:06}", (n + 1) % 1_000_000)
}

/// No end-user token in a sync answer: none at all, or the enrollee token
/// an active registration continues with once its sign-up form passed.
pub fn assert_no_user_token(data: &serde_json::Value) {
    if let Some(token) = data["token"].as_str() {
        verify_enrollee_token(token);
    } else {
        assert!(data["token"].is_null(), "{data}");
    }
}

/// Records a real response for the generated-client type check
/// (scripts/typecheck.sh), when `GATEHOUSE_RESPONSE_SAMPLES` names a folder.
/// `path` is the OpenAPI path template, e.g. `/v2/projects/kyc`.
pub fn record_sample(path: &str, method: &str, status: u16, body: &serde_json::Value) {
    let Ok(folder) = std::env::var("GATEHOUSE_RESPONSE_SAMPLES") else {
        return;
    };
    std::fs::create_dir_all(&folder).expect("samples folder");
    let file = format!("{folder}/{}.json", ulid::Ulid::new());
    let sample =
        serde_json::json!({"path": path, "method": method, "status": status, "body": body});
    std::fs::write(file, sample.to_string()).expect("a sample");
}
