//! A bounded load run: `logins` sign-ins (default 2,000), `concurrency` at
//! a time (default 100), through the real App Logins handlers against
//! DynamoDB Local and moto. One flow takes them all, with a send limit high
//! enough to be sharded, so its hot counters are the ones a busy flow has.
//!
//! 1. create: `POST /v2/app-logins`, one email code each;
//! 2. one read of moto's outbox for every code;
//! 3. validate: `POST /v2/app-logins/{id}/validate` with each code.
//!
//! Prints p50 and p99 per phase, the DynamoDB calls per operation, the
//! items each hot counter spread over, and checks that nothing was lost:
//! every login listed (through cursor pages) and validated, every send
//! counted once, every code emailed. A benchmark, not a test: run it with
//! `scripts/bench/load_run.sh`, which starts its own stack.
//!
//! `cargo run --release -p gatehouse-tests --bin load_run -- [logins] [concurrency]`

use gatehouse::domain::limits::{shard_key, shards_for, window_of, AbuseLimits};
use gatehouse::domain::{LoginSettings, Timestamp};
use gatehouse_tests::{login_id, number_of, stored_item, Api, Moto, Tenant};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// The flow's send limit: 200,000 an hour, so ten shards.
const FLOW_SENDS_PER_HOUR: u64 = 200_000;

struct Phase {
    name: &'static str,
    wall: Duration,
    latencies: Vec<Duration>,
    errors: usize,
    calls: BTreeMap<String, usize>,
}

impl Phase {
    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[at].as_secs_f64() * 1e3
    }

    fn print(&self, n: usize) {
        let calls: Vec<String> = self
            .calls
            .iter()
            .map(|(op, count)| format!("{op} {:.2}", *count as f64 / n as f64))
            .collect();
        println!(
            "| {} | {} | {} | {:.1} | {:.1} | {:.0} | {} |",
            self.name,
            n,
            self.errors,
            self.percentile(0.50),
            self.percentile(0.99),
            n as f64 / self.wall.as_secs_f64(),
            calls.join(", ")
        );
    }
}

fn tally(calls: Vec<String>) -> BTreeMap<String, usize> {
    let mut counted = BTreeMap::new();
    for call in calls {
        *counted.entry(call).or_default() += 1;
    }
    counted
}

/// Runs `job(i)` for every `i` below `n`, `concurrency` at a time.
async fn run<F, Fut>(name: &'static str, api: &Api, n: usize, concurrency: usize, job: F) -> Phase
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    api.dynamodb_calls();
    let gate = Arc::new(Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    for i in 0..n {
        let permit = gate.clone().acquire_owned().await.expect("open");
        let work = job(i);
        tasks.spawn(async move {
            let began = Instant::now();
            let ok = work.await;
            drop(permit);
            (began.elapsed(), ok)
        });
    }
    let mut latencies = Vec::with_capacity(n);
    let mut errors = 0;
    while let Some(done) = tasks.join_next().await {
        let (latency, ok) = done.expect("no panic");
        latencies.push(latency);
        errors += usize::from(!ok);
    }
    Phase {
        name,
        wall: started.elapsed(),
        latencies,
        errors,
        calls: tally(api.dynamodb_calls()),
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let tenant = Tenant::builder()
        .settings(LoginSettings {
            email: true,
            resend_cooldown_seconds: 0,
            ..Default::default()
        })
        .create()
        .await;
    // Every request comes from the harness's one address: the per-IP
    // limits are lifted, the flow's are what a busy flow would set.
    let limits = AbuseLimits {
        sends_per_ip_hour: u64::MAX / 4,
        checks_per_ip_10_minutes: u64::MAX / 4,
        sends_per_flow_hour: FLOW_SENDS_PER_HOUR,
        ..AbuseLimits::default()
    };
    let api = Arc::new(Api::with_limits(limits).await);
    let run_id = ulid::Ulid::new().to_string().to_lowercase();
    let email = move |i: usize| format!("load-{run_id}-{i}@example.com");

    let ids: Arc<std::sync::Mutex<Vec<Option<String>>>> =
        Arc::new(std::sync::Mutex::new(vec![None; n]));
    let create = run("create", &api, n, concurrency, |i| {
        let (api, ids, tenant_key, flow, to) = (
            api.clone(),
            ids.clone(),
            tenant.api_key.clone(),
            tenant.flow.clone(),
            email(i),
        );
        async move {
            let reply = api
                .create(&tenant_key, json!({"projectFlow": flow, "email": to}))
                .await;
            let ok = reply.status == 201;
            if ok {
                ids.lock().unwrap()[i] = Some(login_id(&reply));
            }
            ok
        }
    })
    .await;

    let outbox_read = Instant::now();
    let codes = Arc::new(Moto::new().latest_email_codes().await);
    let outbox_read = outbox_read.elapsed();
    let emailed = (0..n).filter(|i| codes.contains_key(&email(*i))).count();

    let validate = run("validate", &api, n, concurrency, |i| {
        let (api, id, code) = (
            api.clone(),
            ids.lock().unwrap()[i].clone(),
            codes.get(&email(i)).cloned(),
        );
        async move {
            let (Some(id), Some(code)) = (id, code) else {
                return false;
            };
            api.validate(&id, json!({"otp": code})).await.status == 200
        }
    })
    .await;

    // Nothing lost: every login is listed, and validated.
    let key = Some(tenant.api_key.as_str());
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut pages = 0;
    let mut query = "limit=100".to_string();
    loop {
        let reply = api.list(key, &query).await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
        pages += 1;
        for login in reply.body["data"].as_array().expect("a list") {
            let status = login["status"].as_str().unwrap_or("?").to_string();
            *statuses.entry(status).or_default() += 1;
        }
        match reply.body["next"].as_str() {
            Some(next) => query = format!("limit=100&after={next}"),
            None => break,
        }
    }
    let listed: usize = statuses.values().sum();
    let list_calls = tally(api.dynamodb_calls());

    // The flow's send counter, shard by shard.
    let window = window_of(Timestamp::now(), 3_600).0.to_string();
    let mut shards = Vec::new();
    for shard in 0..shards_for(FLOW_SENDS_PER_HOUR) {
        let pk = format!(
            "LIMIT#{}",
            shard_key(&format!("SEND#FLOW#{}", tenant.flow), shard)
        );
        let item = stored_item(&pk, &window).await;
        shards.push(item.map_or(0, |item| number_of(&item, "count")));
    }
    let counted: u64 = shards.iter().sum();

    println!(
        "load run: {n} logins, {concurrency} at a time, one flow, bcrypt cost {}",
        std::env::var("GATEHOUSE_BCRYPT_COST").unwrap_or_else(|_| "?".into())
    );
    println!();
    println!(
        "| phase | requests | errors | p50 ms | p99 ms | per second | DynamoDB calls per request |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    create.print(n);
    validate.print(n);
    println!();
    println!(
        "- moto outbox read once: {:.1} s; codes emailed: {emailed} of {n}",
        outbox_read.as_secs_f64()
    );
    println!("- listed through {pages} cursor pages: {listed} logins, by status {statuses:?}; calls {list_calls:?}");
    println!(
        "- `SEND#FLOW` counter: {counted} sends over {} shards, per shard {shards:?} (largest {} of the {} a shard holds)",
        shards.len(),
        shards.iter().max().unwrap_or(&0),
        FLOW_SENDS_PER_HOUR / shards_for(FLOW_SENDS_PER_HOUR)
    );
    let lost = create.errors
        + validate.errors
        + (n - emailed)
        + n.abs_diff(listed)
        + (n as u64).abs_diff(counted) as usize;
    println!("- lost or failed: {lost}");
    if lost > 0 {
        std::process::exit(1);
    }
}
