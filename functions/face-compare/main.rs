//! POST /v2/face-recognition/compare/app-registration
use gatehouse::api::{cors, identity};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let (checks, _) = wiring::identity_checks(&aws)?;
    cors::serve_verifik(|req| identity::compare(&checks, req)).await
}
