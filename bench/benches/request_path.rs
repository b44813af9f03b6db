//! Warm handler cost with the I/O ports in memory: API Gateway event in,
//! JSON out, through parsing, API-key check, domain logic and rendering.
//! bcrypt is measured on its own at the configured cost; the handler
//! benches that must hash use cost 4 (its floor) so the rest stays visible.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use gatehouse::api::app_logins;
use gatehouse::domain::flow::Branding;
use gatehouse::domain::limits::AbuseLimits;
use gatehouse::domain::token::TokenIssuer;
use gatehouse::domain::{
    ClientId, CodeHasher, FlowStatus, FlowType, LoginSettings, OneTimeCode, Project, ProjectFlow,
    Timestamp,
};
use gatehouse::memory::{MemoryDirectory, MemoryLoginStore, MemoryOutbox, MemoryPorts};
use gatehouse::ports::{Clock, SystemClock};
use gatehouse::service::auth::api_key_digest;
use gatehouse::service::{Authenticator, CodeChecker, CodeSender, LoginReader};
use lambda_http::Request;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "ghk_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const PEPPER: &str = "bench-pepper-bench-pepper-bench-pepper";

fn key_pem() -> String {
    use base64::Engine;
    let der =
        aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
            .unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n")
}

fn directory() -> MemoryDirectory {
    let now = Timestamp::now();
    let d = MemoryDirectory::default();
    d.keys
        .lock()
        .unwrap()
        .insert(api_key_digest(KEY), ClientId("c1".into()));
    d.projects.lock().unwrap().insert(
        "p1".into(),
        Project {
            id: "p1".into(),
            client: "c1".into(),
            name: "Bench".into(),
            allowed_countries: vec![],
            contact_email: None,
            privacy_url: None,
            terms_url: None,
            branding: Branding::default(),
            allowed_origins: vec![],
            created_at: now,
            updated_at: now,
            archived_at: None,
        },
    );
    d.flows.lock().unwrap().insert(
        "f1".into(),
        ProjectFlow {
            id: "f1".into(),
            client: "c1".into(),
            project: "p1".into(),
            name: "Login".into(),
            flow_type: FlowType::Login,
            status: FlowStatus::Active,
            redirect_url: None,
            redirect_mode: Default::default(),
            allowed_countries: vec![],
            login_settings: LoginSettings {
                max_attempts: 10,
                resend_cooldown_seconds: 0,
                ..LoginSettings::default()
            },
            onboarding_settings: Default::default(),
            security: Default::default(),
            webhook_url: None,
            webhook_secret: None,
            created_at: now,
            updated_at: now,
            archived_at: None,
        },
    );
    d
}

fn event(
    method: &str,
    path: &str,
    query: &str,
    id: Option<&str>,
    key: bool,
    body: Option<String>,
) -> Request {
    let mut headers = json!({"content-type": "application/json", "user-agent": "bench"});
    if key {
        headers["authorization"] = json!(format!("Bearer {KEY}"));
    }
    let event = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": headers, "pathParameters": id.map(|i| json!({"id": i})).unwrap_or(json!({})),
        "requestContext": {"accountId": "1", "apiId": "a", "domainName": "d", "domainPrefix": "d",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.1", "userAgent": "bench"},
            "requestId": "r", "routeKey": "$default", "stage": "$default", "time": "t", "timeEpoch": 0},
        "body": body, "isBase64Encoded": false
    });
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

struct Bench {
    auth: Authenticator<MemoryDirectory>,
    sender: CodeSender<MemoryPorts>,
    verifier: CodeChecker<MemoryLoginStore>,
    reader: LoginReader<MemoryLoginStore>,
    outbox: Arc<MemoryOutbox>,
}

fn bench_setup(cost: u32) -> Bench {
    let store = MemoryLoginStore::default();
    let outbox = Arc::new(MemoryOutbox::default());
    let hasher = CodeHasher::new(PEPPER, cost);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let retention = Duration::from_secs(86_400);
    let tokens = TokenIssuer::from_pem(
        &key_pem(),
        None,
        "https://bench".into(),
        Duration::from_secs(3600),
    )
    .unwrap();
    // Every bench request comes from one IP and one flow, thousands of times:
    // the limits stay out of the way so the handler path is what is timed
    // (the counters are still charged, in memory).
    let unlimited = AbuseLimits {
        sends_per_identifier_hour: u64::MAX,
        sends_per_ip_hour: u64::MAX,
        sends_per_flow_hour: u64::MAX,
        checks_per_ip_10_minutes: u64::MAX,
        ..AbuseLimits::default()
    };
    Bench {
        auth: Authenticator::new(directory()),
        sender: CodeSender::new(
            store.clone(),
            Arc::new(directory()),
            outbox.clone(),
            outbox.clone(),
            hasher.clone(),
            clock.clone(),
            retention,
        )
        .with_limits(unlimited.clone()),
        verifier: CodeChecker::new(store.clone(), hasher, tokens, clock, retention)
            .with_limits(unlimited),
        reader: LoginReader::new(store),
        outbox,
    }
}

fn unique_email(n: &mut u64) -> String {
    *n += 1;
    format!("user{n}@example.com")
}

async fn create(b: &Bench, email: &str) -> (String, String) {
    let body = json!({"projectFlow": "f1", "email": email}).to_string();
    let response = app_logins::create(
        &b.auth,
        &b.sender,
        event("POST", "/v2/app-logins", "", None, true, Some(body)),
    )
    .await
    .unwrap();
    let value: serde_json::Value = match response.body() {
        lambda_http::Body::Text(t) => serde_json::from_str(t).unwrap(),
        _ => panic!("text body"),
    };
    let id = value["data"]["appLogin"]["_id"]
        .as_str()
        .unwrap()
        .to_string();
    let subject = b
        .outbox
        .emails
        .lock()
        .unwrap()
        .last()
        .unwrap()
        .subject
        .clone();
    (id, subject[..6].to_string())
}

fn handlers(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let b = bench_setup(4);
    let mut n = 0u64;
    let counter = std::sync::atomic::AtomicU64::new(0);
    // 50 logins for the read paths.
    let ids: Vec<String> = rt.block_on(async {
        let mut ids = Vec::new();
        for _ in 0..50 {
            ids.push(create(&b, &unique_email(&mut n)).await.0);
        }
        ids
    });

    let mut group = c.benchmark_group("handler");
    group.bench_function("get (populated)", |bench| {
        bench.to_async(&rt).iter(|| {
            let req = event(
                "GET",
                "/v2/app-logins/x",
                "populates[]=emailValidation&populates[]=accessControlLog",
                Some(&ids[7]),
                true,
                None,
            );
            app_logins::get(&b.auth, &b.reader, req)
        })
    });
    group.bench_function("list (10 of 50, populated)", |bench| {
        bench.to_async(&rt).iter(|| {
            let req = event(
                "GET",
                "/v2/app-logins",
                "page=2&populates[]=emailValidation&sort=-createdAt",
                None,
                true,
                None,
            );
            app_logins::list(&b.auth, &b.reader, req)
        })
    });
    group.bench_function("create (bcrypt cost 4 included)", |bench| {
        bench.to_async(&rt).iter_batched(
            || unique_email(&mut n),
            |email| {
                let body = json!({"projectFlow": "f1", "email": email}).to_string();
                app_logins::create(
                    &b.auth,
                    &b.sender,
                    event("POST", "/v2/app-logins", "", None, true, Some(body)),
                )
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("validate, right code (bcrypt cost 4 included)", |bench| {
        let b = &b;
        let counter = &counter;
        bench.to_async(&rt).iter_custom(|iters| async move {
            // Fresh logins are made first, outside the timed part.
            let mut logins = Vec::new();
            for _ in 0..iters {
                let i = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                logins.push(create(b, &format!("v{i}@example.com")).await);
            }
            let start = std::time::Instant::now();
            for (id, code) in logins {
                let body = json!({"otp": code, "type": "email"}).to_string();
                let req = event(
                    "POST",
                    "/v2/app-logins/x/validate",
                    "",
                    Some(&id),
                    false,
                    Some(body),
                );
                let response = app_logins::validate(&b.verifier, req).await.unwrap();
                assert_eq!(response.status(), 200);
            }
            start.elapsed()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("bcrypt");
    let code = OneTimeCode::parse("123456").unwrap();
    for cost in [4u32, 10] {
        let hasher = CodeHasher::new(PEPPER, cost);
        let hash = hasher.hash_blocking(&code).unwrap();
        group.bench_function(format!("hash cost {cost}"), |bench| {
            bench.iter(|| hasher.hash_blocking(&code).unwrap())
        });
        group.bench_function(format!("verify cost {cost}"), |bench| {
            bench.iter(|| hasher.verify_blocking(&code, &hash).unwrap())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = handlers
}
criterion_main!(benches);
