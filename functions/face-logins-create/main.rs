//! POST /v2/biometric-validations
use gatehouse::api::{cors, face_logins};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let (faces, config) = wiring::face_logins(&aws)?;
    cors::serve_verifik(|req| face_logins::start(&faces, &config, req)).await
}
