//! POST /v2/biometric-validations/app-registration/session
use gatehouse::api::{cors, identity};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let (checks, config) = wiring::identity_checks(&aws)?;
    cors::serve_verifik(|req| identity::liveness_session(&checks, &config, req)).await
}
