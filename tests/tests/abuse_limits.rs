//! Every abuse limit answers 429 with `Retry-After` and its stable code, and
//! a refused send writes nothing. Limits are set low per harness; counters
//! are keyed by client, flow or the harness's own source IP, so tests never
//! share one.

use gatehouse::domain::limits::AbuseLimits;
use gatehouse::domain::{LoginSettings, OnboardingSettings};
use gatehouse_tests::{
    login_id, unique_co_mobile, unique_email, wrong_code, Api, Endpoint, Moto, RegistrationApi,
    Reply, Tenant,
};
use serde_json::json;

/// Limits high enough never to trigger, but `change`'s.
fn limits(change: impl FnOnce(&mut AbuseLimits)) -> AbuseLimits {
    let mut l = AbuseLimits {
        sends_per_identifier_hour: 1_000,
        sends_per_ip_hour: 1_000,
        sends_per_flow_hour: 1_000,
        sms_per_prefix_hour: 1_000,
        sms_per_flow_hour: 1_000,
        checks_per_ip_10_minutes: 1_000,
        project_reads_per_ip_10_minutes: 1_000,
        face_failures_per_identifier: 1_000,
        face_failures_per_ip: 1_000,
        identity_checks_per_registration_hour: 1_000,
        identity_checks_per_ip_hour: 1_000,
        breaker_min_sms: 1_000,
        breaker_min_success_percent: 0,
    };
    change(&mut l);
    l
}

fn assert_limited(reply: &Reply, code: &str) {
    assert_eq!(reply.status, 429, "{}", reply.raw);
    assert_eq!(reply.code(), code, "{}", reply.raw);
    let retry: u64 = reply
        .retry_after
        .as_deref()
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=3_600).contains(&retry), "Retry-After {retry}");
}

async fn no_cooldown_tenant() -> Tenant {
    Tenant::builder()
        .settings(LoginSettings {
            email: true,
            phone: true,
            resend_cooldown_seconds: 0,
            ..Default::default()
        })
        .create()
        .await
}

#[tokio::test]
async fn sends_per_identifier_per_hour() {
    let tenant = no_cooldown_tenant().await;
    let api = Api::with_limits(limits(|l| l.sends_per_identifier_hour = 2)).await;
    let email = unique_email();
    let body = json!({"projectFlow": tenant.flow, "email": email});
    let created = api.create(&tenant.api_key, body.clone()).await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let id = login_id(&created);
    // Asking again re-sends on the same login: the second send.
    assert_eq!(api.create(&tenant.api_key, body.clone()).await.status, 200);
    let before = api
        .get(Some(&tenant.api_key), &id, "populates[]=emailValidation")
        .await;
    let third = api.resend(&id, None).await;
    assert_limited(&third, "identifier_rate_limited");
    assert_limited(
        &api.create(&tenant.api_key, body).await,
        "identifier_rate_limited",
    );
    // Nothing moved: the stored login is as before, and two emails went out.
    let after = api
        .get(Some(&tenant.api_key), &id, "populates[]=emailValidation")
        .await;
    assert_eq!(before.body, after.body);
    assert_eq!(Moto::new().emails_to(&email).await.len(), 2);
    // Another identifier is unaffected.
    let other = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": unique_email()}),
        )
        .await;
    assert_eq!(other.status, 201, "{}", other.raw);
}

#[tokio::test]
async fn sends_per_source_ip_and_per_flow() {
    let tenant = no_cooldown_tenant().await;
    let api = Api::with_limits(limits(|l| l.sends_per_ip_hour = 2)).await;
    for _ in 0..2 {
        let reply = api
            .create(
                &tenant.api_key,
                json!({"projectFlow": tenant.flow, "email": unique_email()}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.raw);
    }
    let email = unique_email();
    let refused = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": email}),
        )
        .await;
    assert_limited(&refused, "ip_rate_limited");
    // Nothing half-written: no login, no email, and the identifier is free.
    let listed = api.list(Some(&tenant.api_key), "limit=100").await;
    assert_eq!(listed.body["total"], 2, "{}", listed.raw);
    assert!(Moto::new().emails_to(&email).await.is_empty());
    let elsewhere = Api::with_limits(limits(|l| l.sends_per_ip_hour = 2)).await;
    let from_another_ip = elsewhere
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": email}),
        )
        .await;
    assert_eq!(from_another_ip.status, 201, "{}", from_another_ip.raw);

    // Per flow: the third send of this flow in the hour, from any IP.
    let flow_tenant = no_cooldown_tenant().await;
    let flow_limited = limits(|l| l.sends_per_flow_hour = 2);
    for _ in 0..2 {
        let api = Api::with_limits(flow_limited.clone()).await;
        let reply = api
            .create(
                &flow_tenant.api_key,
                json!({"projectFlow": flow_tenant.flow, "email": unique_email()}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.raw);
    }
    let api = Api::with_limits(flow_limited).await;
    let refused = api
        .create(
            &flow_tenant.api_key,
            json!({"projectFlow": flow_tenant.flow, "email": unique_email()}),
        )
        .await;
    assert_limited(&refused, "flow_rate_limited");
}

#[tokio::test]
async fn sms_velocity_per_phone_prefix() {
    let tenant = no_cooldown_tenant().await;
    let api = Api::with_limits(limits(|l| l.sms_per_prefix_hour = 2)).await;
    let phone_body =
        |number: String| json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": number});
    for _ in 0..2 {
        let reply = api
            .create(&tenant.api_key, phone_body(unique_co_mobile()))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.raw);
    }
    // unique_co_mobile numbers all start 300: the same prefix.
    let third = unique_co_mobile();
    let refused = api.create(&tenant.api_key, phone_body(third.clone())).await;
    assert_limited(&refused, "phone_prefix_rate_limited");
    assert!(Moto::new().sms_to(&format!("+57{third}")).await.is_empty());
    // Another prefix still gets SMS.
    let other = format!("310{}", &unique_co_mobile()[3..]);
    let reply = api.create(&tenant.api_key, phone_body(other)).await;
    assert_eq!(reply.status, 201, "{}", reply.raw);
}

#[tokio::test]
async fn the_sms_circuit_breaker_opens_when_codes_go_unused() {
    let tenant = no_cooldown_tenant().await;
    let api = Api::with_limits(limits(|l| {
        l.breaker_min_sms = 3;
        l.breaker_min_success_percent = 50;
    }))
    .await;
    let moto = Moto::new();
    // One SMS code used, then two that never are: 1 of 3 verified.
    let phone = unique_co_mobile();
    let first = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": phone}),
        )
        .await;
    let code = moto.latest_sms_code(&format!("+57{phone}")).await;
    let validated = api.validate(&login_id(&first), json!({"otp": code})).await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    for _ in 0..2 {
        let reply = api
            .create(
                &tenant.api_key,
                json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": unique_co_mobile()}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.raw);
    }
    let refused = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": unique_co_mobile()}),
        )
        .await;
    assert_limited(&refused, "sms_circuit_open");
    // Email is not SMS: it still flows.
    let email = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": unique_email()}),
        )
        .await;
    assert_eq!(email.status, 201, "{}", email.raw);
}

#[tokio::test]
async fn code_checks_per_source_ip() {
    let tenant = no_cooldown_tenant().await;
    let api = Api::with_limits(limits(|l| l.checks_per_ip_10_minutes = 2)).await;
    let email = unique_email();
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": email}),
        )
        .await;
    let id = login_id(&created);
    let code = Moto::new().latest_email_code(&email).await;
    let wrong = wrong_code(&code);
    for _ in 0..2 {
        assert_eq!(api.validate(&id, json!({"otp": wrong})).await.status, 403);
    }
    let refused = api.validate(&id, json!({"otp": code})).await;
    assert_limited(&refused, "ip_check_rate_limited");
    // The refused check did not cost the login an attempt.
    let stored = api
        .get(Some(&tenant.api_key), &id, "populates[]=emailValidation")
        .await;
    assert_eq!(stored.body["data"]["emailValidation"]["attempts"], 2);
    // The user, from another network, still gets in.
    let elsewhere = Api::new().await;
    let ok = elsewhere.validate(&id, json!({"otp": code})).await;
    assert_eq!(ok.status, 200, "{}", ok.raw);
}

#[tokio::test]
async fn registration_starts_are_limited_too() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let api = RegistrationApi::with_limits(limits(|l| l.sends_per_ip_hour = 1)).await;
    let start = || async {
        api.call(
            Endpoint::Create,
            None,
            None,
            Some(json!({"projectFlow": tenant.flow, "email": unique_email()})),
        )
        .await
    };
    assert_eq!(start().await.status, 201);
    assert_limited(&start().await, "ip_rate_limited");
    let listed = api.list(&tenant.api_key, "").await;
    assert_eq!(listed.body["total"], 1, "nothing written: {}", listed.raw);
}

#[tokio::test]
async fn public_project_reads_per_source_ip() {
    let tenant = Tenant::create().await;
    let aws = gatehouse::wiring::Aws::load().await.unwrap();
    let projects = gatehouse::wiring::public_projects(&aws)
        .unwrap()
        .with_limits(limits(|l| l.project_reads_per_ip_10_minutes = 3));
    let ip = format!("198.18.{}.{}", ulid::Ulid::new().random() % 250, 7);
    let read = |ip: String| {
        let projects = &projects;
        let query = format!("id={}", tenant.project);
        async move {
            let req = gatehouse_tests::api::event(
                &ip,
                "GET",
                "/v2/projects/kyc",
                &query,
                None,
                None,
                None,
            );
            // Rendered as `cors::serve_verifik` renders it.
            let response = gatehouse::api::verifik::with_translation_key(
                gatehouse::api::request::respond(gatehouse::api::verifik::kyc(projects, req).await),
            )
            .unwrap();
            let status = response.status().as_u16();
            let retry = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            (status, retry)
        }
    };
    for _ in 0..3 {
        assert_eq!(read(ip.clone()).await.0, 200);
    }
    let (status, retry_after) = read(ip.clone()).await;
    assert_eq!(status, 429);
    assert!(retry_after.is_some());
    // Another source is not affected.
    assert_eq!(read(format!("{ip}9")).await.0, 200);
}
