//! GET /v2/operators
use gatehouse::api::{cors, operators};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let (gate, ops) = wiring::operators(&aws)?;
    cors::serve(|req| operators::list(&gate, &ops, req)).await
}
