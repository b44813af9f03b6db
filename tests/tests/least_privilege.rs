//! The registration functions that only check enrollee tokens are built
//! from the public key: they work with no private key in their environment,
//! and a signing build refuses to start without one. Its own test binary,
//! because it changes this process's environment.

use gatehouse::domain::OnboardingSettings;
use gatehouse::wiring;
use gatehouse_tests::{Endpoint, Enrollment, Moto, RegistrationApi, Tenant};

#[tokio::test]
async fn checking_functions_need_only_the_public_key() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let signing = RegistrationApi::new().await;
    let moto = Moto::new();
    let enrollee = Enrollment::start(&signing, &tenant).await;

    // From here on this process holds no private key, as those functions.
    std::env::remove_var("GATEHOUSE_JWT_PRIVATE_KEY");
    let checking = RegistrationApi::checking_tokens().await;

    let read = checking
        .call(
            Endpoint::Get,
            Some(&enrollee.id),
            Some(&enrollee.token),
            None,
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.raw);
    let code = moto.latest_email_code(&enrollee.email).await;
    let validated = enrollee.validate(&checking, "email", &code).await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    let tampered = format!("{}x", enrollee.token);
    let refused = checking
        .call(Endpoint::Get, Some(&enrollee.id), Some(&tampered), None)
        .await;
    assert_eq!(refused.status, 401, "{}", refused.raw);

    let aws = wiring::Aws::load().await.expect("aws config");
    let error = wiring::registrations(&aws)
        .err()
        .expect("a signing build needs the private key")
        .to_string();
    assert!(error.contains("GATEHOUSE_JWT_PRIVATE_KEY"), "{error}");
}
