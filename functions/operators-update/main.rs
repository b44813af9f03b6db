//! PUT /v2/operators/{id}
use gatehouse::api::{cors, operators};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let (gate, ops) = wiring::operators(&aws)?;
    cors::serve(|req| operators::change_role(&gate, &ops, req)).await
}
