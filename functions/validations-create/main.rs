//! POST /v2/email-validations, POST /v2/phone-validations
use gatehouse::api::{cors, verifik};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let registrations = wiring::registrations(&aws, wiring::RegistrationSecrets::CODES)?;
    cors::serve_verifik(|req| verifik::create(&registrations, req)).await
}
