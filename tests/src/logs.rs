//! Captures every log line the services write in this test process, in the
//! same JSON format the Lambdas use, so tests can assert what never appears.

use std::io::Write;
use std::sync::{Mutex, OnceLock};
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

static LINES: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();

fn buffer() -> &'static Mutex<Vec<u8>> {
    LINES.get_or_init(|| Mutex::new(Vec::new()))
}

struct Capture;

impl Write for Capture {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        buffer().lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the capture once per test binary, at debug level so that more
/// is checked than production would print.
pub fn capture() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let _ = tracing_subscriber::registry()
            .with(EnvFilter::new("debug,hyper=info,h2=info,rustls=info,aws_smithy_runtime=info,aws_smithy_http_client=info"))
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(true)
                    .flatten_event(true)
                    .with_writer(|| Capture),
            )
            .try_init();
    });
}

pub fn text() -> String {
    String::from_utf8_lossy(&buffer().lock().unwrap()).into_owned()
}
