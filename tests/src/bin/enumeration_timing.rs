//! Prints how long `POST /v2/app-logins` takes for a permitted identifier
//! and for one the flow's deny list withholds, and how long a wrong code on
//! Verifik's public `POST /v2/email-validations/validate` takes for an
//! email with a pending login and for one without, interleaved, against the
//! local stack (`source scripts/local-env.sh <stack>` first). A benchmark,
//! not a test: it prints figures and asserts only that the answers match.
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
        checks_per_ip_10_minutes: 1_000_000,
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

    // The public validate form: a wrong code for an email that has a
    // pending login (its attempts are counted) and for one that has none.
    let mut pending = Vec::new();
    let mut nobody = Vec::new();
    for round in 0..rounds + 5 {
        let email = unique_email();
        let created = api
            .create(
                &tenant.api_key,
                json!({"projectFlow": tenant.flow, "email": email}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.raw);
        let mut answers = Vec::new();
        for has_login in [true, false] {
            let target = if has_login {
                email.clone()
            } else {
                unique_email()
            };
            let started = Instant::now();
            let reply = api
                .validate_verifik(
                    "email",
                    json!({"projectFlow": tenant.flow, "email": target, "otp": "000000"}),
                )
                .await;
            let took = started.elapsed();
            answers.push((reply.status, reply.body));
            if round >= 5 {
                if has_login {
                    pending.push(took)
                } else {
                    nobody.push(took)
                }
            }
        }
        assert_eq!(answers[0], answers[1], "the two answers differ");
    }
    let (p10, p90) = spread(&pending);
    let (n10, n90) = spread(&nobody);
    println!("public validate form, wrong code, {rounds} rounds each, interleaved:");
    println!(
        "  pending login: median {:?} (p10 {:?}, p90 {:?})",
        median(pending.clone()),
        p10,
        p90
    );
    println!(
        "  no login:      median {:?} (p10 {:?}, p90 {:?})",
        median(nobody.clone()),
        n10,
        n90
    );
}
