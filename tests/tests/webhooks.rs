//! Webhooks end to end: the real services queue events on an SQS queue in
//! moto, the delivery function's handler takes them off it (as Lambda's
//! event source would), and a receiver on 127.0.0.1 checks them with the
//! snippet in docs/webhooks.md.

use gatehouse::adapters::sqs::SqsQueue;
use gatehouse::api::request::answered;
use gatehouse::api::webhooks;
use gatehouse::domain::webhook::{
    signature, AddressPolicy, EventRecord, EventType, QueuedEvent, RetrySchedule, WebhookEvent,
};
use gatehouse::domain::{LoginSettings, Timestamp};
use gatehouse::service::DeliveryOutcome;
use gatehouse::wiring::{self, Aws, DeliveryService};
use gatehouse_tests::api::{event, Options};
use gatehouse_tests::webhooks::{messages_on, own_queue, readme_verifies, Receiver};
use gatehouse_tests::{
    assert_no_secrets, wrong_code, Api, Enrollment, Moto, RegistrationApi, Reply, Tenant,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const LOCAL: AddressPolicy = AddressPolicy {
    allow_loopback: true,
};

async fn api_to(queue: &str) -> Api {
    Api::custom(Options {
        webhook_queue: Some(queue.to_string()),
        ..Options::default()
    })
    .await
}

async fn deliveries(
    queue: &str,
    policy: AddressPolicy,
    schedule: RetrySchedule,
) -> (DeliveryService, SqsQueue) {
    let aws = Aws::load().await.expect("AWS config");
    wiring::harness::deliveries_from(&aws, queue, policy, schedule).expect("delivery config")
}

/// A new email login, validated: (id, code, address).
async fn validated_login(api: &Api, tenant: &Tenant) -> (String, String, String) {
    let (id, email, code) = api.email_login(tenant).await;
    let validated = api.validate(&id, json!({"otp": code})).await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    (id, code, email)
}

/// Pumps the queue until `done` or `limit` passes.
async fn pump_until(
    deliveries: &DeliveryService,
    queue: &SqsQueue,
    limit: Duration,
    done: impl Fn() -> bool,
) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "not done within {limit:?}");
        webhooks::pump(deliveries, queue, Duration::from_secs(1))
            .await
            .expect("pump");
    }
}

fn body_json(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("a JSON event")
}

#[tokio::test]
async fn a_delivered_event_verifies_with_the_readme_snippet_and_a_tampered_or_old_one_does_not() {
    let receiver = Receiver::answering(204).await;
    let (queue_url, _) = own_queue(3).await;
    let tenant = Tenant::builder().webhook(&receiver.url).create().await;
    let secret = tenant.webhook_secret.clone().expect("a secret");
    let api = api_to(&queue_url).await;
    let (login, code, email) = validated_login(&api, &tenant).await;
    // Nothing is sent until the delivery function runs: the request only queued it.
    assert!(receiver.hits().is_empty());

    let (deliveries, queue) = deliveries(&queue_url, LOCAL, RetrySchedule::default()).await;
    pump_until(&deliveries, &queue, Duration::from_secs(20), || {
        !receiver.hits().is_empty()
    })
    .await;
    let hit = receiver.hits().remove(0);
    let header = hit.headers["gatehouse-signature"].clone();
    assert!(
        readme_verifies(&secret, &header, &hit.body),
        "the docs/webhooks.md snippet accepts a real delivery"
    );

    let event = body_json(&hit.body);
    assert_eq!(event["type"], "app_login.validated");
    assert_eq!(event["projectFlow"], tenant.flow.as_str());
    assert_eq!(event["project"], tenant.project.as_str());
    assert_eq!(event["data"]["_id"], login.as_str());
    assert_eq!(event["data"]["status"], "validated");
    assert!(event["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(
        hit.headers["gatehouse-event-id"],
        event["id"].as_str().unwrap()
    );
    assert_eq!(hit.headers["gatehouse-event-type"], "app_login.validated");
    assert_eq!(hit.headers["content-type"], "application/json");
    let text = String::from_utf8(hit.body.clone()).unwrap();
    assert_no_secrets(&text, &[&code]);
    assert!(!text.contains(&email), "no contact in an event: {text}");
    assert!(!text.contains("token") && !text.contains(&secret));

    let tampered = text.replace("\"validated\"", "\"failed\"");
    assert_ne!(tampered, text);
    assert!(!readme_verifies(&secret, &header, tampered.as_bytes()));
    assert!(!readme_verifies("whsec_another", &header, &hit.body));
    let now = Timestamp::now().unix();
    let old = signature(&secret, now - 301, &hit.body);
    assert!(
        !readme_verifies(&secret, &old, &hit.body),
        "a replay is refused"
    );
    let fresh = signature(&secret, now, &hit.body);
    assert!(readme_verifies(&secret, &fresh, &hit.body));
    assert!(!readme_verifies(&secret, "v1=abc", &hit.body));

    // Delivered once: the message is gone from the queue.
    webhooks::pump(&deliveries, &queue, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(receiver.hits().len(), 1);
}

#[tokio::test]
async fn a_queue_that_refuses_loses_the_event_but_never_the_login() {
    let receiver = Receiver::answering(200).await;
    let tenant = Tenant::builder().webhook(&receiver.url).create().await;
    // A queue nobody made: SendMessage fails after the SDK's retries.
    let missing = format!(
        "{}/123456789012/no-such-queue-{}",
        gatehouse_tests::stack_var("GATEHOUSE_MOTO_URL"),
        tenant.flow
    );
    let api = api_to(&missing).await;
    let (login, _, _) = validated_login(&api, &tenant).await;

    let lost = gatehouse_tests::logs::text()
        .lines()
        .filter(|l| l.contains("webhook event not queued"))
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["spans"].to_string().contains(&login))
        .expect("the lost event is logged, inside the validate's span");
    assert_eq!(lost["level"], "ERROR");
    assert_eq!(lost["metric"], "WebhookEventsNotQueued");
    assert_eq!(lost["event_type"], "app_login.validated");
    assert!(lost["event_id"].as_str().unwrap().starts_with("evt_"));
}

#[tokio::test]
async fn a_locked_login_raises_app_login_failed_and_a_flow_without_webhook_raises_nothing() {
    let receiver = Receiver::answering(200).await;
    let (queue_url, _) = own_queue(3).await;
    let settings = LoginSettings {
        max_attempts: 1,
        ..LoginSettings::default()
    };
    let tenant = Tenant::builder()
        .settings(settings.clone())
        .webhook(&receiver.url)
        .create()
        .await;
    let quiet = Tenant::builder().settings(settings).create().await;
    let api = api_to(&queue_url).await;
    for t in [&quiet, &tenant] {
        let (id, _, code) = api.email_login(t).await;
        let refused = api.validate(&id, json!({"otp": wrong_code(&code)})).await;
        assert_eq!(refused.status, 403, "{}", refused.raw);
    }
    let (deliveries, queue) = deliveries(&queue_url, LOCAL, RetrySchedule::default()).await;
    pump_until(&deliveries, &queue, Duration::from_secs(20), || {
        !receiver.hits().is_empty()
    })
    .await;
    webhooks::pump(&deliveries, &queue, Duration::ZERO)
        .await
        .unwrap();
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1, "only the flow with a webhook raised one");
    let event = body_json(&hits[0].body);
    assert_eq!(event["type"], "app_login.failed");
    assert_eq!(event["data"]["status"], "failed");
    assert_eq!(event["projectFlow"], tenant.flow.as_str());
}

#[tokio::test]
async fn registrations_raise_needs_review_then_completed_or_failed() {
    use gatehouse::domain::onboarding::ManualVerification;
    use gatehouse::domain::OnboardingSettings;
    let receiver = Receiver::answering(200).await;
    let (queue_url, _) = own_queue(3).await;
    let tenant = Tenant::onboarding(OnboardingSettings {
        manual_verification: ManualVerification::Always,
        ..Default::default()
    })
    .webhook(&receiver.url)
    .create()
    .await;
    let api = RegistrationApi::with_webhook_queue(&queue_url).await;
    let moto = Moto::new();
    let mut decided = Vec::new();
    for decision in ["approve", "reject"] {
        let enrollee = Enrollment::start(&api, &tenant).await;
        let held = enrollee.complete(&api, &moto, &tenant.api_key).await;
        assert_eq!(
            held.body["data"]["appRegistration"]["status"],
            "NEEDS_MANUAL_VERIFICATION"
        );
        let reviewed = enrollee.review(&api, &tenant.api_key, decision).await;
        assert_eq!(reviewed.status, 200, "{}", reviewed.raw);
        decided.push(enrollee.id.clone());
    }

    let (deliveries, queue) = deliveries(&queue_url, LOCAL, RetrySchedule::default()).await;
    pump_until(&deliveries, &queue, Duration::from_secs(20), || {
        receiver.hits().len() >= 4
    })
    .await;
    webhooks::pump(&deliveries, &queue, Duration::ZERO)
        .await
        .unwrap();
    let mut events: Vec<(String, String, String)> = receiver
        .hits()
        .iter()
        .map(|h| {
            let e = body_json(&h.body);
            let text = String::from_utf8_lossy(&h.body).to_string();
            assert!(!text.contains("score") && !text.contains("image"), "{text}");
            (
                e["data"]["_id"].as_str().unwrap().to_string(),
                e["type"].as_str().unwrap().to_string(),
                e["data"]["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    events.sort();
    let mut expected = vec![
        (
            decided[0].clone(),
            "app_registration.completed".to_string(),
            "COMPLETED".to_string(),
        ),
        (
            decided[0].clone(),
            "app_registration.needs_review".to_string(),
            "NEEDS_MANUAL_VERIFICATION".to_string(),
        ),
        (
            decided[1].clone(),
            "app_registration.failed".to_string(),
            "FAILED".to_string(),
        ),
        (
            decided[1].clone(),
            "app_registration.needs_review".to_string(),
            "NEEDS_MANUAL_VERIFICATION".to_string(),
        ),
    ];
    expected.sort();
    assert_eq!(events, expected, "one event per status reached, no more");
}

async fn failed_deliveries(api_key: &str) -> Reply {
    let aws = Aws::load().await.expect("AWS config");
    let (auth, deliveries) = wiring::webhook_admin(&aws).expect("admin config");
    let req = event(
        "203.0.113.9",
        "GET",
        "/v2/webhook-deliveries",
        "limit=5",
        None,
        Some(api_key),
        None,
    );
    Reply::from_response(answered(
        webhooks::list_failed(&auth, &deliveries, req).await,
    ))
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_then_dead_lettered_and_listed() {
    let receiver = Receiver::answering(500).await;
    let (queue_url, dead_letters) = own_queue(3).await;
    let tenant = Tenant::builder().webhook(&receiver.url).create().await;
    let api = api_to(&queue_url).await;
    let (login, _, _) = validated_login(&api, &tenant).await;

    let schedule = RetrySchedule {
        base: Duration::from_secs(1),
        max_attempts: 3,
    };
    let (deliveries, queue) = deliveries(&queue_url, LOCAL, schedule).await;
    let mut dead = Vec::new();
    let start = Instant::now();
    while dead.is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "never dead-lettered"
        );
        webhooks::pump(&deliveries, &queue, Duration::from_secs(1))
            .await
            .unwrap();
        dead = messages_on(&dead_letters).await;
    }

    let hits = receiver.hits();
    assert_eq!(hits.len(), 3, "three attempts, then no more");
    // The backoff: at least 1 s, then at least 4 s (1 s × 4).
    assert!(hits[1].at - hits[0].at >= Duration::from_secs(1));
    assert!(hits[2].at - hits[1].at >= Duration::from_secs(4));
    let queued: QueuedEvent = serde_json::from_str(&dead[0]).expect("the queued event");
    assert_eq!(queued.event.data.id, login);
    assert_eq!(queued.client, tenant.client);
    let event_id = body_json(&hits[0].body)["id"].as_str().unwrap().to_string();
    assert_eq!(queued.event.id, event_id, "the same event every time");
    assert!(hits
        .iter()
        .all(|h| h.headers["gatehouse-event-id"] == event_id));

    let listed = failed_deliveries(&tenant.api_key).await;
    assert_eq!(listed.status, 200, "{}", listed.raw);
    let failed = &listed.body["data"][0];
    assert_eq!(failed["eventId"], event_id.as_str());
    assert_eq!(failed["type"], "app_login.validated");
    assert_eq!(failed["record"], login.as_str());
    assert_eq!(failed["projectFlow"], tenant.flow.as_str());
    assert_eq!(failed["attempts"], 3);
    assert_eq!(failed["lastStatus"], 500);
    assert_eq!(failed["host"], "127.0.0.1");
    assert!(!listed.raw.contains("/hooks/gatehouse"), "never the path");

    // Another tenant sees none of it.
    let other = Tenant::create().await;
    let theirs = failed_deliveries(&other.api_key).await;
    assert_eq!(theirs.status, 200);
    assert_eq!(theirs.body["data"], json!([]));
    let bad = event(
        "203.0.113.9",
        "GET",
        "/v2/webhook-deliveries",
        "limit=0",
        None,
        Some(&tenant.api_key),
        None,
    );
    let aws = Aws::load().await.unwrap();
    let (auth, log) = wiring::webhook_admin(&aws).unwrap();
    let refused = Reply::from_response(answered(webhooks::list_failed(&auth, &log, bad).await));
    assert_eq!(refused.status, 400);
    assert_eq!(refused.code(), "invalid_limit");
}

#[tokio::test]
async fn a_slow_receiver_never_holds_up_the_request() {
    let receiver = Receiver::held(200).await;
    let (queue_url, _) = own_queue(3).await;
    let tenant = Tenant::builder().webhook(&receiver.url).create().await;
    let api = api_to(&queue_url).await;

    // The delivery function, running on its own as on AWS.
    let pumped = queue_url.clone();
    let pump = tokio::spawn(async move {
        let (deliveries, queue) = deliveries(&pumped, LOCAL, RetrySchedule::default()).await;
        loop {
            let _ = webhooks::pump(&deliveries, &queue, Duration::from_secs(1)).await;
        }
    });

    validated_login(&api, &tenant).await;
    let start = Instant::now();
    while receiver.hits().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(20), "never delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The receiver now holds that delivery open and answers nothing; a
    // second login raises an event of its own all the same.
    validated_login(&api, &tenant).await;
    assert_eq!(
        receiver.hits().len(),
        1,
        "the second login answered while the first delivery was still held"
    );

    receiver.release();
    let start = Instant::now();
    while receiver.hits().len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the second never came"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    pump.abort();
}

#[tokio::test]
async fn a_delivery_never_connects_to_a_private_address_whatever_the_name_resolves_to() {
    let receiver = Receiver::answering(200).await;
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    let (queue_url, _) = own_queue(1).await;
    let strict = AddressPolicy::default();
    let once = RetrySchedule {
        base: Duration::from_secs(1),
        max_attempts: 1,
    };
    let (deliveries, _) = deliveries(&queue_url, strict, once).await;
    // A name that resolves to loopback now (as a rebound name would), the
    // metadata address, and a private one: stored as if they had passed
    // the save-time check.
    for (url, why) in [
        (
            format!("https://localhost:{port}/hook"),
            "localhost resolves to 127.0.0.1",
        ),
        (
            "https://169.254.169.254/latest/meta-data/".to_string(),
            "169.254.169.254",
        ),
        ("https://10.0.0.7/hook".to_string(), "10.0.0.7"),
    ] {
        let tenant = Tenant::builder().webhook(&url).create().await;
        let queued = QueuedEvent {
            client: tenant.client.clone(),
            event: test_event(&tenant),
        };
        let outcome = deliveries.deliver(&queued, 1).await.expect("attempted");
        assert_eq!(outcome, DeliveryOutcome::GaveUp, "{url}");
        let failed = deliveries
            .failed(&gatehouse::domain::ClientId(tenant.client.clone()), 5)
            .await
            .unwrap();
        assert!(
            failed[0].last_error.contains("address refused") && failed[0].last_error.contains(why),
            "{url}: {}",
            failed[0].last_error
        );
    }
    assert!(receiver.hits().is_empty(), "nothing reached the receiver");
}

fn test_event(tenant: &Tenant) -> WebhookEvent {
    let now = Timestamp::now();
    WebhookEvent {
        id: format!("evt_{}", gatehouse::domain::ids::new_id()),
        event_type: EventType::LoginValidated,
        created_at: now,
        project: tenant.project.clone(),
        project_flow: tenant.flow.clone(),
        data: EventRecord {
            id: "login".into(),
            status: "validated".into(),
            created_at: now,
            updated_at: now,
            completed_at: Some(now),
        },
    }
}
