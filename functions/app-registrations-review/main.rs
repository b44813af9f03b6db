//! POST /v2/app-registrations/{id}/review (API key or console session)
use gatehouse::api::cors;
use gatehouse::{api::app_registrations, telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let registrations = wiring::registrations(&aws, wiring::RegistrationSecrets::NONE)?;
    // A reviewer may also decide from the console, with a session cookie.
    let sessions = wiring::console::sessions(&aws)?;
    cors::serve(|req| app_registrations::review(&registrations, &sessions, req)).await
}
