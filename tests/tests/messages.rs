//! Messages in the enrollee's or user's language, with the project's
//! branding, as moto received them.

use gatehouse::domain::OnboardingSettings;
use gatehouse_tests::{unique_email, Api, ConfigApi, Endpoint, Moto, RegistrationApi, Tenant};
use serde_json::json;

#[tokio::test]
async fn codes_arrive_in_english_or_spanish_with_the_project_branding() {
    let tenant = Tenant::create().await;
    let config = ConfigApi::new().await;
    let branded = config
        .call(
            "PUT",
            "projects",
            Some(&tenant.project),
            Some(&tenant.api_key),
            "",
            Some(json!({"branding": {"logo": "https://acme.example/logo.png", "buttonColor": "#FF6600"}})),
        )
        .await;
    assert_eq!(branded.status, 200, "{}", branded.raw);
    let api = Api::new().await;
    let moto = Moto::new();

    let spanish = unique_email();
    let reply = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": spanish, "language": "es"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.raw);
    let (subject, body) = moto.emails_to(&spanish).await.pop().unwrap();
    assert!(
        subject.contains("es tu código de acceso a Acme Test App"),
        "{subject}"
    );
    assert!(body.contains("Vence en 10 minutos"), "{body}");
    assert!(body.contains("lang=\"es\""));
    assert!(
        body.contains("https://acme.example/logo.png"),
        "the logo: {body}"
    );
    assert!(body.contains("#FF6600"), "the colour: {body}");

    let english = unique_email();
    api.create(
        &tenant.api_key,
        json!({"projectFlow": tenant.flow, "email": english}),
    )
    .await;
    let (subject, _) = moto.emails_to(&english).await.pop().unwrap();
    assert!(
        subject.contains("is your Acme Test App sign-in code"),
        "{subject}"
    );

    let bad = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": unique_email(), "language": "espanol"}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.raw);
    assert_eq!(bad.code(), "invalid_language");

    // Onboarding: the registration's language, for email and SMS.
    let onboarding = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let registrations = RegistrationApi::new().await;
    let email = unique_email();
    let started = registrations
        .call(
            Endpoint::Create,
            None,
            None,
            Some(json!({"projectFlow": onboarding.flow, "email": email, "language": "es"})),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.raw);
    let (subject, body) = moto.emails_to(&email).await.pop().unwrap();
    assert!(
        subject.contains("código de verificación de Acme Test App"),
        "{subject}"
    );
    assert!(body.contains("Si no empezaste un registro"), "{body}");
}
