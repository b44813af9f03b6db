//! Structured JSON logs. The Lambda runtime opens a span per invocation that
//! carries the request id, and every line logged inside it includes it.

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

pub fn init() {
    let filter = EnvFilter::try_from_env("GATEHOUSE_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| {
            EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn,hyper=warn")
        });
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
        .try_init();
}
