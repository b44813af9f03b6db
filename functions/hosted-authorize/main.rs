//! POST /v2/hosted/authorizations
use gatehouse::api::{cors, hosted};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let redirects = wiring::hosted_redirects(&aws)?;
    cors::serve(|req| hosted::authorize(&redirects, req)).await
}
