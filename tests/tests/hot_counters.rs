//! A busy flow's shared counters spread over their shards in DynamoDB
//! Local, and whatever reads them adds the shards up: the flow's send
//! limit, the SMS circuit breaker and the registration analytics.

use gatehouse::domain::limits::{shard_key, shards_for, sms_tally_key, window_of, AbuseLimits};
use gatehouse::domain::{LoginSettings, OnboardingSettings, Timestamp};
use gatehouse_tests::{
    login_id, number_of, stored_item, unique_co_mobile, unique_email, Api, Enrollment, Moto,
    RegistrationApi, Tenant,
};
use serde_json::json;
use std::collections::BTreeMap;

/// 200,000 sends and SMS an hour: ten shards each.
const HOT: u64 = 200_000;

fn hot_limits() -> AbuseLimits {
    AbuseLimits {
        sends_per_identifier_hour: 1_000,
        sends_per_ip_hour: 1_000,
        sends_per_flow_hour: HOT,
        sms_per_prefix_hour: 1_000,
        sms_per_flow_hour: HOT,
        checks_per_ip_10_minutes: 1_000,
        project_reads_per_ip_10_minutes: 1_000,
        face_failures_per_identifier: 1_000,
        face_failures_per_ip: 1_000,
        identity_checks_per_registration_hour: 1_000,
        identity_checks_per_ip_hour: 1_000,
        breaker_min_sms: 20,
        breaker_min_success_percent: 50,
    }
}

/// Every non-empty shard of counter `key` in this hour: shard → (count,
/// validated).
async fn shards_of(key: &str) -> BTreeMap<u64, (u64, u64)> {
    let window = window_of(Timestamp::now(), 3_600).0.to_string();
    let mut found = BTreeMap::new();
    // One shard past the last: nothing may be written there.
    for shard in 0..=shards_for(HOT) {
        let pk = format!("LIMIT#{}", shard_key(key, shard));
        if let Some(item) = stored_item(&pk, &window).await {
            found.insert(
                shard,
                (number_of(&item, "count"), number_of(&item, "validated")),
            );
        }
    }
    found
}

fn totals(shards: &BTreeMap<u64, (u64, u64)>) -> (u64, u64) {
    shards.values().fold((0, 0), |(c, v), (count, validated)| {
        (c + count, v + validated)
    })
}

#[tokio::test]
async fn a_hot_flows_send_counters_spread_and_the_breaker_adds_them_up() {
    let tenant = Tenant::builder()
        .settings(LoginSettings {
            email: true,
            phone: true,
            resend_cooldown_seconds: 0,
            ..Default::default()
        })
        .create()
        .await;
    let api = Api::with_limits(hot_limits()).await;
    let moto = Moto::new();
    for _ in 0..12 {
        let reply = api
            .create(
                &tenant.api_key,
                json!({"projectFlow": tenant.flow, "email": unique_email()}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.raw);
    }
    let mut phone_logins = Vec::new();
    for _ in 0..20 {
        let phone = unique_co_mobile();
        let reply = api
            .create(
                &tenant.api_key,
                json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": phone}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.raw);
        phone_logins.push((login_id(&reply), phone));
    }
    for (id, phone) in &phone_logins[..4] {
        let code = moto.latest_sms_code(&format!("+57{phone}")).await;
        let reply = api.validate(id, json!({"otp": code})).await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
    }

    // Every send counted once, over several of the ten shards and none
    // past them; 32 random picks all on one shard would be a 1e-31 chance.
    let sends = shards_of(&format!("SEND#FLOW#{}", tenant.flow)).await;
    assert_eq!(totals(&sends).0, 32, "{sends:?}");
    assert!(sends.len() >= 2, "{sends:?}");
    assert!(sends.keys().all(|s| *s < shards_for(HOT)), "{sends:?}");
    let sms = shards_of(&sms_tally_key(&tenant.flow)).await;
    assert_eq!(totals(&sms), (20, 4), "{sms:?}");
    assert!(sms.len() >= 2, "{sms:?}");
    assert!(sms.keys().all(|s| *s < shards_for(HOT)), "{sms:?}");

    // 4 of 20 verified is under the breaker's 50 %: it sees all shards,
    // where any one of them alone holds too few SMS to trip it.
    assert!(sms.values().all(|(count, _)| *count < 20), "{sms:?}");
    let refused = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": unique_co_mobile()}),
        )
        .await;
    assert_eq!(refused.status, 429, "{}", refused.raw);
    assert_eq!(refused.code(), "sms_circuit_open", "{}", refused.raw);
}

#[tokio::test]
async fn registration_analytics_spread_over_shards_and_add_up() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let api = RegistrationApi::with_limits(hot_limits()).await;
    for _ in 0..12 {
        Enrollment::start(&api, &tenant).await;
    }
    let today = &Timestamp::now().to_string()[..10];
    let reply = api
        .analytics(
            &tenant.api_key,
            &format!("projectFlow={}&from={today}&to={today}", tenant.flow),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(
        reply.body["data"]["analytics"]["total"], 12,
        "{}",
        reply.raw
    );

    let mut shards = 0;
    let mut started = 0;
    for shard in 0..8 {
        let pk = shard_key(&format!("ANALYTICS#{}", tenant.flow), shard);
        if let Some(item) = stored_item(&pk, &format!("DAY#{today}")).await {
            shards += 1;
            started += number_of(&item, "started");
        }
    }
    assert!(shards >= 2, "12 registrations on {shards} shard(s)");
    assert_eq!(started, 12);
}
