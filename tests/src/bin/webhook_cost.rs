//! What a webhook event adds to a login: `logins` validations (default
//! 200) on a flow with a webhook and as many on one without, one at a time,
//! through the real validate handler against DynamoDB Local and moto's SQS;
//! then every queued event delivered by the delivery function's handler to
//! a receiver on 127.0.0.1. A benchmark, not a test: run it with
//! `scripts/bench/webhook_cost.sh`, which starts its own stack.
//!
//! Prints validate p50/p99 with and without a webhook, the calls the event
//! added, and the delivery side's batches and time per batch.

use gatehouse::api::webhooks;
use gatehouse::domain::limits::AbuseLimits;
use gatehouse::domain::webhook::{AddressPolicy, RetrySchedule};
use gatehouse::wiring::{self, Aws};
use gatehouse_tests::api::Options;
use gatehouse_tests::webhooks::{own_queue, Receiver};
use gatehouse_tests::{Api, Moto, Tenant};
use serde_json::json;
use std::time::{Duration, Instant};

fn percentile(samples: &[Duration], p: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at].as_secs_f64() * 1000.0
}

/// Validates `n` fresh logins on `tenant`, one at a time: each validate's
/// time, and the DynamoDB calls they made in all.
async fn validations(api: &Api, tenant: &Tenant, n: usize) -> (Vec<Duration>, Vec<String>) {
    let mut ids = Vec::new();
    for i in 0..n {
        let email = format!("cost-{}-{i}@example.com", tenant.flow);
        let created = api
            .create(
                &tenant.api_key,
                json!({"projectFlow": tenant.flow, "email": email}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.raw);
        ids.push((gatehouse_tests::login_id(&created), email));
    }
    let codes = Moto::new().latest_email_codes().await;
    api.dynamodb_calls();
    let mut times = Vec::new();
    for (id, email) in ids {
        let start = Instant::now();
        let reply = api.validate(&id, json!({"otp": codes[&email]})).await;
        times.push(start.elapsed());
        assert_eq!(reply.status, 200, "{}", reply.raw);
    }
    (times, api.dynamodb_calls())
}

fn count(calls: &[String], name: &str) -> usize {
    calls.iter().filter(|c| *c == name).count()
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let receiver = Receiver::answering(204).await;
    let (queue_url, _) = own_queue(8).await;
    let hooked = Tenant::builder().webhook(&receiver.url).create().await;
    let plain = Tenant::create().await;
    // Every request comes from the harness's one address: lift the
    // per-IP limits.
    let api = Api::custom(Options {
        webhook_queue: Some(queue_url.clone()),
        limits: AbuseLimits {
            sends_per_ip_hour: u64::MAX / 4,
            checks_per_ip_10_minutes: u64::MAX / 4,
            ..AbuseLimits::default()
        },
        ..Options::default()
    })
    .await;

    // Alternate blocks so drift on the machine hits both alike.
    let (mut with, mut without) = (Vec::new(), Vec::new());
    let (mut with_calls, mut without_calls) = (Vec::new(), Vec::new());
    for _ in 0..4 {
        let (t, c) = validations(&api, &plain, n / 4).await;
        without.extend(t);
        without_calls.extend(c);
        let (t, c) = validations(&api, &hooked, n / 4).await;
        with.extend(t);
        with_calls.extend(c);
    }

    let aws = Aws::load().await.expect("AWS config");
    let (deliveries, queue) = wiring::harness::deliveries_from(
        &aws,
        &queue_url,
        AddressPolicy {
            allow_loopback: true,
        },
        RetrySchedule::default(),
    )
    .expect("delivery config");
    let mut batches = Vec::new();
    let mut sizes = Vec::new();
    let start = Instant::now();
    while receiver.hits().len() < with.len() {
        let batch = Instant::now();
        let got = webhooks::pump(&deliveries, &queue, Duration::from_secs(1))
            .await
            .expect("pump");
        if got > 0 {
            batches.push(batch.elapsed());
            sizes.push(got);
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "deliveries stalled"
        );
    }
    let delivered = start.elapsed();

    println!("| validate, one at a time | n | p50 ms | p99 ms | DynamoDB calls per validate |");
    println!("|---|---:|---:|---:|---|");
    for (name, times, calls) in [
        ("flow without a webhook", &without, &without_calls),
        ("flow with a webhook", &with, &with_calls),
    ] {
        let per = |op: &str| count(calls, op) as f64 / times.len() as f64;
        println!(
            "| {name} | {} | {:.2} | {:.2} | UpdateItem {:.2}, TransactWriteItems {:.2}, GetItem {:.3} |",
            times.len(),
            percentile(times, 0.5),
            percentile(times, 0.99),
            per("UpdateItem"),
            per("TransactWriteItems"),
            per("GetItem"),
        );
    }
    println!();
    println!(
        "Delivered {} events in {} batches (mean {:.1} a batch) in {:.2} s; one batch (receive, deliver, delete): p50 {:.1} ms, p99 {:.1} ms.",
        receiver.hits().len(),
        batches.len(),
        sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64,
        delivered.as_secs_f64(),
        percentile(&batches, 0.5),
        percentile(&batches, 0.99),
    );
}
