//! What a user gets when something underneath fails: DynamoDB gone or
//! throttled (through a fault proxy in front of DynamoDB Local), and SES
//! refusing a send (moto rejects an unverified sender).

use gatehouse::domain::OnboardingSettings;
use gatehouse::settings::AwsPolicy;
use gatehouse_tests::api::Options;
use gatehouse_tests::faults::{FaultProxy, Mode};
use gatehouse_tests::{
    login_id, unique_email, wrong_code, Api, Endpoint, Moto, RegistrationApi, Reply, Tenant,
};
use serde_json::json;

fn assert_unavailable(reply: &Reply) {
    assert_eq!(reply.status, 503, "{}", reply.raw);
    assert_eq!(reply.code(), "service_unavailable");
    assert_eq!(reply.retry_after.as_deref(), Some("1"));
}

#[tokio::test]
async fn dynamodb_down_mid_run_answers_503_and_writes_nothing_half() {
    let tenant = Tenant::create().await;
    let onboarding = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let proxy = FaultProxy::start().await;
    let api = Api::through_endpoint(&proxy.url).await;
    let registrations = RegistrationApi::through_endpoint(&proxy.url).await;
    let direct = Api::new().await;
    let moto = Moto::new();

    // Up: a login and a registration (which also warms both caches).
    let first_email = unique_email();
    let first = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": first_email}),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.raw);
    let start = |email: String| {
        let flow = onboarding.flow.clone();
        let registrations = &registrations;
        async move {
            registrations
                .call(
                    Endpoint::Create,
                    None,
                    None,
                    Some(json!({"projectFlow": flow, "email": email})),
                )
                .await
        }
    };
    assert_eq!(start(unique_email()).await.status, 201);
    proxy.take_requests();

    // Down in the middle of the run.
    proxy.set(Mode::Down);
    let lost_email = unique_email();
    let during = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": lost_email}),
        )
        .await;
    assert_unavailable(&during);
    assert_eq!(
        proxy.take_requests(),
        AwsPolicy::default().max_attempts as usize,
        "the one transaction, tried exactly max_attempts times"
    );
    let code = moto.latest_email_code(&first_email).await;
    assert_unavailable(
        &api.validate(&login_id(&first), json!({"otp": wrong_code(&code)}))
            .await,
    );
    let lost_registration = unique_email();
    assert_unavailable(&start(lost_registration.clone()).await);
    assert!(moto.emails_to(&lost_email).await.is_empty());
    assert!(moto.emails_to(&lost_registration).await.is_empty());

    // Back: nothing was half-written.
    proxy.set(Mode::Forward);
    let stored = direct
        .get(
            Some(&tenant.api_key),
            &login_id(&first),
            "populates[]=emailValidation",
        )
        .await;
    assert_eq!(stored.body["data"]["emailValidation"]["attempts"], 0);
    let listed = direct.list(Some(&tenant.api_key), "").await;
    assert_eq!(listed.body["total"], 1, "no login for the lost create");
    // No pointer was left either: the identifier starts a fresh login.
    let again = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": lost_email}),
        )
        .await;
    assert_eq!(again.status, 201, "{}", again.raw);
    assert_eq!(again.body["data"]["existing"], false);
    let registrations_listed = registrations.list(&onboarding.api_key, "").await;
    assert_eq!(
        registrations_listed.body["total"], 1,
        "{}",
        registrations_listed.raw
    );
    // And the login still works with its code.
    let ok = api.validate(&login_id(&first), json!({"otp": code})).await;
    assert_eq!(ok.status, 200, "{}", ok.raw);
}

#[tokio::test]
async fn throttling_is_retried_then_answered_with_503() {
    let tenant = Tenant::create().await;
    let proxy = FaultProxy::start().await;
    let api = Api::through_endpoint(&proxy.url).await;
    // Warm the cache, so each create below is one DynamoDB call.
    let warm = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": unique_email()}),
        )
        .await;
    assert_eq!(warm.status, 201);
    proxy.take_requests();

    // Two throttles, then through: the retries absorb it.
    proxy.set(Mode::ThrottleFirst(2));
    let retried = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": unique_email()}),
        )
        .await;
    assert_eq!(retried.status, 201, "{}", retried.raw);
    assert_eq!(proxy.take_requests(), 3);

    // Throttled throughout: 503 after exactly max_attempts tries.
    proxy.set(Mode::Throttle);
    let refused = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": unique_email()}),
        )
        .await;
    assert_unavailable(&refused);
    assert_eq!(
        proxy.take_requests(),
        AwsPolicy::default().max_attempts as usize
    );
}

#[tokio::test]
async fn a_refused_send_marks_the_login_not_sent_and_a_resend_works() {
    let tenant = Tenant::create().await;
    let unverified = Api::custom(Options {
        email_from: Some("no-reply@unverified.example".into()),
        ..Options::default()
    })
    .await;
    let api = Api::new().await;
    let moto = Moto::new();
    let email = unique_email();

    let refused = unverified
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": email}),
        )
        .await;
    assert_eq!(refused.status, 502, "{}", refused.raw);
    assert_eq!(refused.code(), "code_delivery_failed");
    let id = refused.body["loginId"]
        .as_str()
        .expect("loginId")
        .to_string();
    assert!(moto.emails_to(&email).await.is_empty());
    let stored = api
        .get(
            Some(&tenant.api_key),
            &id,
            "populates[]=emailValidation&populates[]=accessControlLog",
        )
        .await;
    let login = &stored.body["data"];
    assert_eq!(login["emailValidation"]["deliveryStatus"], "failed");
    assert!(login["accessControlLog"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["event"] == "delivery_failed"));

    // Retriable at once: no cooldown after a failed delivery.
    let resent = api.resend(&id, None).await;
    assert_eq!(resent.status, 200, "{}", resent.raw);
    let code = moto.latest_email_code(&email).await;
    let ok = api.validate(&id, json!({"otp": code})).await;
    assert_eq!(ok.status, 200, "{}", ok.raw);
}
