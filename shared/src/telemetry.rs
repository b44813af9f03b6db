//! Structured JSON logs. The Lambda runtime opens a span per invocation that
//! carries the request id, and every line logged inside it includes it.
//!
//! A log event with a `metric` field also becomes one CloudWatch metric
//! (embedded metric format: a JSON line CloudWatch Logs turns into a data
//! point), so an alarm can watch it without a log-group metric filter.

use std::time::{SystemTime, UNIX_EPOCH};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

pub fn init() {
    let filter = EnvFilter::try_from_env("GATEHOUSE_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| {
            EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn,hyper=warn")
        });
    let namespace =
        std::env::var("GATEHOUSE_METRICS_NAMESPACE").unwrap_or_else(|_| "Gatehouse".into());
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .with_target(true)
                .flatten_event(true),
        )
        .with(MetricLayer { namespace })
        .try_init();
}

/// One embedded-metric-format line: a count of 1 for `name`, without
/// dimensions, in `namespace`.
pub fn emf_line(namespace: &str, name: &str, timestamp_ms: u128) -> String {
    let mut line = serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms as u64,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [[]],
                "Metrics": [{"Name": name, "Unit": "Count"}],
            }],
        },
    });
    line[name] = serde_json::json!(1);
    line.to_string()
}

struct MetricLayer {
    namespace: String,
}

#[derive(Default)]
struct MetricName(Option<String>);

impl Visit for MetricName {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "metric" {
            self.0 = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> Layer<S> for MetricLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut name = MetricName::default();
        event.record(&mut name);
        if let Some(name) = name.0 {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default();
            println!("{}", emf_line(&self.namespace, &name, now));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_metric_line_is_embedded_metric_format() {
        let line: serde_json::Value = serde_json::from_str(&super::emf_line(
            "Gatehouse/prod",
            "WebhookEventsNotQueued",
            1_700_000_000_000,
        ))
        .unwrap();
        let metrics = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000u64);
        assert_eq!(metrics["Namespace"], "Gatehouse/prod");
        assert_eq!(metrics["Dimensions"], serde_json::json!([[]]));
        assert_eq!(metrics["Metrics"][0]["Name"], "WebhookEventsNotQueued");
        assert_eq!(line["WebhookEventsNotQueued"], 1);
    }
}
