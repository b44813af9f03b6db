//! OPTIONS on every path: CORS preflights (docs/security.md "Browsers and CORS")
use gatehouse::{api::cors, telemetry};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    cors::serve_preflight().await
}
