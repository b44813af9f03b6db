//! Each registration function is built with only the secrets its endpoint
//! uses (`wiring::RegistrationSecrets`): these builds work with the others
//! missing from the environment, and a build that needs a missing secret
//! refuses to start, naming it. Its own test binary, because it changes
//! this process's environment.

use gatehouse::domain::OnboardingSettings;
use gatehouse::wiring::{self, RegistrationSecrets};
use gatehouse_tests::{Endpoint, Enrollment, Moto, RegistrationApi, Tenant};
use serde_json::json;

async fn refuses_without(secrets: RegistrationSecrets, variable: &str) {
    let aws = wiring::Aws::load().await.expect("aws config");
    let error = wiring::registrations(&aws, secrets)
        .err()
        .unwrap_or_else(|| panic!("{secrets:?} started without {variable}"))
        .to_string();
    assert!(error.contains(variable), "{error}");
}

#[tokio::test]
async fn each_function_holds_only_the_secrets_it_uses() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let everything = RegistrationApi::new().await;
    let moto = Moto::new();
    let enrollee = Enrollment::start(&everything, &tenant).await;

    // validate and resend: the pepper and the public key, no private key.
    std::env::remove_var("GATEHOUSE_JWT_PRIVATE_KEY_SECRET");
    refuses_without(
        RegistrationSecrets::SIGNING,
        "GATEHOUSE_JWT_PRIVATE_KEY_SECRET",
    )
    .await;
    let codes = RegistrationApi::with_secrets(RegistrationSecrets::CODES).await;
    let code = moto.latest_email_code(&enrollee.email).await;
    let validated = enrollee.validate(&codes, "email", &code).await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    let tampered = format!("{}x", enrollee.token);
    let refused = codes
        .call(Endpoint::Get, Some(&enrollee.id), Some(&tampered), None)
        .await;
    assert_eq!(refused.status, 401, "{}", refused.raw);

    // get, list, analytics, information, results, review: the public key only.
    std::env::remove_var("GATEHOUSE_OTP_PEPPER_SECRET");
    refuses_without(RegistrationSecrets::CODES, "GATEHOUSE_OTP_PEPPER_SECRET").await;
    let none = RegistrationApi::with_secrets(RegistrationSecrets::NONE).await;
    let read = none
        .call(
            Endpoint::Get,
            Some(&enrollee.id),
            Some(&enrollee.token),
            None,
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.raw);
    let submitted = none
        .call(
            Endpoint::Information,
            Some(&enrollee.id),
            Some(&enrollee.token),
            Some(json!({"step": "basicInformation", "data": {"firstName": "Ana"}})),
        )
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.raw);
    let reported = enrollee
        .result(&none, &tenant.api_key, "document", "passed")
        .await;
    assert_eq!(reported.status, 200, "{}", reported.raw);
}
