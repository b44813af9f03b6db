//! POST /v2/hosted/token
use gatehouse::api::{cors, hosted};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let (auth, exchanges) = wiring::code_exchanges(&aws)?;
    cors::serve(|req| hosted::exchange(&auth, &exchanges, req)).await
}
