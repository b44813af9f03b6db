//! Prints how long `POST /v2/app-logins` takes for a permitted identifier
//! and for one the flow's deny list withholds, interleaved, against the
//! local stack (`source scripts/local-env.sh <stack>` first). A benchmark,
//! not a test: it prints figures and asserts nothing.
//!
//! `cargo run -p gatehouse-tests --bin enumeration_timing -- [rounds]`

use gatehouse::domain::flow::FlowSecurity;
use gatehouse::domain::limits::AbuseLimits;
use gatehouse_tests::{unique_email, Api, Tenant};
use serde_json::json;
use std::time::{Duration, Instant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn spread(samples: &[Duration]) -> (Duration, Duration) {
    let mut s = samples.to_vec();
    s.sort();
    (s[s.len() / 10], s[s.len() * 9 / 10])
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(40);
    let tenant = Tenant::builder()
        .security(FlowSecurity {
            allow_list: vec![],
            deny_list: vec!["@denied.example".into()],
        })
        .create()
        .await;
    let unlimited = AbuseLimits {
        sends_per_ip_hour: 1_000_000,
        sends_per_flow_hour: 1_000_000,
        ..AbuseLimits::default()
    };
    let api = Api::with_limits(unlimited).await;
    let mut permitted = Vec::new();
    let mut denied = Vec::new();
    for round in 0..rounds + 5 {
        for deny in [false, true] {
            let email = if deny {
                format!("user-{round}-{}@denied.example", &unique_email()[5..15])
            } else {
                unique_email()
            };
            let started = Instant::now();
            let reply = api
                .create(
                    &tenant.api_key,
                    json!({"projectFlow": tenant.flow, "email": email}),
                )
                .await;
            let took = started.elapsed();
            assert_eq!(reply.status, 201, "{}", reply.raw);
            // The first rounds warm caches and the send-time average.
            if round >= 5 {
                if deny {
                    denied.push(took)
                } else {
                    permitted.push(took)
                }
            }
        }
    }
    let (p10, p90) = spread(&permitted);
    let (d10, d90) = spread(&denied);
    println!("create, {rounds} rounds each, interleaved:");
    println!(
        "  permitted: median {:?} (p10 {:?}, p90 {:?})",
        median(permitted.clone()),
        p10,
        p90
    );
    println!(
        "  withheld:  median {:?} (p10 {:?}, p90 {:?})",
        median(denied.clone()),
        d10,
        d90
    );
}
