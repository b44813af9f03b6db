//! POST /v2/app-registrations/me (enrollee token)
use gatehouse::api::{cors, verifik};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let registrations = wiring::registrations(&aws, wiring::RegistrationSecrets::NONE)?;
    cors::serve_verifik(|req| verifik::me(&registrations, req)).await
}
