//! Onboarding analytics from counters, never from a scan.
//!
//! Every registration write also adds a delta to one counter item per
//! (flow, UTC day the registration started), in the same transaction. A
//! report sums the days asked for. Counters are cohort counts: "of the
//! registrations started in this range, how many completed".

use super::{Registration, RegistrationStatus, StepStatus};
use crate::domain::onboarding::StepName;
use crate::domain::time::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counter name -> amount to add.
pub type AnalyticsDelta = BTreeMap<String, i64>;

/// Time-to-complete histogram bucket upper bounds, in seconds.
const TTC_BUCKETS: [u64; 12] = [
    60, 120, 300, 600, 1_800, 3_600, 7_200, 21_600, 43_200, 86_400, 259_200, 2_592_000,
];

fn ttc_bucket(seconds: u64) -> String {
    TTC_BUCKETS
        .iter()
        .find(|b| seconds <= **b)
        .map(|b| format!("ttc_{b}"))
        .unwrap_or_else(|| "ttc_inf".into())
}

fn add(delta: &mut AnalyticsDelta, name: String, amount: i64) {
    *delta.entry(name).or_insert(0) += amount;
}

/// The active registration's current step, which `current_<step>` counts.
fn position(r: &Registration) -> Option<StepName> {
    r.status.is_active().then_some(r.current_step).flatten()
}

/// What moving from `before` (none for a new registration) to `after`
/// changes in the counters.
pub fn delta(before: Option<&Registration>, after: &Registration) -> AnalyticsDelta {
    let mut d = AnalyticsDelta::new();
    let before_status = before.map(|b| b.status);
    if before.is_none() {
        add(&mut d, "started".into(), 1);
    }
    if before_status != Some(after.status) {
        if let Some(old) = before_status {
            add(&mut d, format!("status_{}", old.as_str()), -1);
        }
        add(&mut d, format!("status_{}", after.status.as_str()), 1);
    }
    for step in &after.steps {
        let old = before.and_then(|b| b.step(step.step));
        let name = step.step.as_str();
        if step.started_at.is_some() && old.and_then(|o| o.started_at).is_none() {
            add(&mut d, format!("reached_{name}"), 1);
        }
        let old_status = old.map(|o| o.status).unwrap_or(StepStatus::Pending);
        if old_status != step.status {
            for (status, counter) in [
                (StepStatus::Passed, "passed"),
                (StepStatus::Failed, "failed"),
            ] {
                if old_status == status {
                    add(&mut d, format!("{counter}_{name}"), -1);
                }
                if step.status == status {
                    add(&mut d, format!("{counter}_{name}"), 1);
                }
            }
        }
    }
    let (old_pos, new_pos) = (before.and_then(position), position(after));
    if old_pos != new_pos {
        if let Some(step) = old_pos {
            add(&mut d, format!("current_{step}"), -1);
        }
        if let Some(step) = new_pos {
            add(&mut d, format!("current_{step}"), 1);
        }
    }
    if after.status == RegistrationStatus::Expired && before_status != Some(after.status) {
        if let Some(step) = before.and_then(position).or(after.current_step) {
            add(&mut d, format!("dropped_{step}"), 1);
        }
    }
    let newly_done = after.status.is_success() && !before_status.is_some_and(|s| s.is_success());
    if let (true, Some(done)) = (newly_done, after.completed_at) {
        add(&mut d, ttc_bucket(after.created_at.seconds_until(done)), 1);
    }
    d.retain(|_, v| *v != 0);
    d
}

/// One day's counters for one flow.
#[derive(Clone, Debug, Default)]
pub struct DayCounters {
    /// `YYYY-MM-DD`
    pub day: String,
    pub counters: BTreeMap<String, i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepFunnel {
    pub step: StepName,
    pub reached: i64,
    pub passed: i64,
    pub failed: i64,
    /// Registrations that expired while this was their current step.
    pub dropped_off: i64,
    /// Active registrations whose current step this is.
    pub in_progress: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsReport {
    pub total: i64,
    pub by_status: BTreeMap<RegistrationStatus, i64>,
    /// Completed (with or without KYC) over started; none when nothing started.
    pub success_rate: Option<f64>,
    pub steps: Vec<StepFunnel>,
    /// The step most registrations were lost at (failed or dropped off).
    pub bottleneck: Option<StepName>,
    /// Interpolated within the histogram bucket that holds the median.
    pub median_seconds_to_complete: Option<u64>,
}

impl AnalyticsReport {
    /// Sums the days. A day whose every registration is past its lifetime
    /// counts its still-active registrations as expired where they stood,
    /// even if nobody synced them after expiry.
    pub fn from_days(days: &[DayCounters], lifetime_seconds: i64, now: Timestamp) -> Self {
        let mut sum: BTreeMap<String, i64> = BTreeMap::new();
        for day in days {
            let mut counters = day.counters.clone();
            let closes = Timestamp::parse(&format!("{}T00:00:00Z", day.day))
                .map(|start| start.plus_seconds(86_400 + lifetime_seconds));
            if closes.is_some_and(|c| c < now) {
                for status in [RegistrationStatus::Started, RegistrationStatus::Ongoing] {
                    let stale = counters
                        .remove(&format!("status_{}", status.as_str()))
                        .unwrap_or(0);
                    *counters.entry("status_EXPIRED".into()).or_insert(0) += stale;
                }
                for step in StepName::ALL {
                    let stale = counters.remove(&format!("current_{step}")).unwrap_or(0);
                    *counters.entry(format!("dropped_{step}")).or_insert(0) += stale;
                }
            }
            for (name, value) in counters {
                *sum.entry(name).or_insert(0) += value;
            }
        }
        let get = |name: &str| sum.get(name).copied().unwrap_or(0);
        let total = get("started");
        let by_status: BTreeMap<RegistrationStatus, i64> = RegistrationStatus::ALL
            .into_iter()
            .map(|s| (s, get(&format!("status_{}", s.as_str()))))
            .collect();
        let completed = by_status[&RegistrationStatus::Completed]
            + by_status[&RegistrationStatus::CompletedWithoutKyc];
        let steps: Vec<StepFunnel> = StepName::ALL
            .into_iter()
            .map(|step| StepFunnel {
                step,
                reached: get(&format!("reached_{step}")),
                passed: get(&format!("passed_{step}")),
                failed: get(&format!("failed_{step}")),
                dropped_off: get(&format!("dropped_{step}")),
                in_progress: get(&format!("current_{step}")),
            })
            .filter(|f| f.reached > 0 || f.in_progress > 0 || f.dropped_off > 0)
            .collect();
        let bottleneck = steps
            .iter()
            .filter(|f| f.failed + f.dropped_off > 0)
            .max_by_key(|f| f.failed + f.dropped_off)
            .map(|f| f.step);
        Self {
            total,
            by_status,
            success_rate: (total > 0).then(|| completed as f64 / total as f64),
            steps,
            bottleneck,
            median_seconds_to_complete: median(&sum),
        }
    }
}

fn median(sum: &BTreeMap<String, i64>) -> Option<u64> {
    let counts: Vec<(u64, u64, i64)> = TTC_BUCKETS
        .iter()
        .scan(0u64, |low, high| {
            let entry = (
                *low,
                *high,
                sum.get(&format!("ttc_{high}")).copied().unwrap_or(0),
            );
            *low = *high;
            Some(entry)
        })
        .chain(std::iter::once((
            *TTC_BUCKETS.last().unwrap_or(&0),
            *TTC_BUCKETS.last().unwrap_or(&0),
            sum.get("ttc_inf").copied().unwrap_or(0),
        )))
        .collect();
    let n: i64 = counts.iter().map(|(_, _, c)| c).sum();
    if n <= 0 {
        return None;
    }
    let half = n as f64 / 2.0;
    let mut seen = 0f64;
    for (low, high, count) in counts {
        if count <= 0 {
            continue;
        }
        if seen + count as f64 >= half {
            let within = (half - seen) / count as f64;
            return Some(low + ((high - low) as f64 * within).round() as u64);
        }
        seen += count as f64;
    }
    None
}
