//! POST /v2/app-logins/{id}/validate, /v2/email-validations/validate and
//! /v2/phone-validations/validate
use gatehouse::api::cors;
use gatehouse::{api::app_logins, telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let verifier = wiring::login_verifier(&aws)?;
    cors::serve(|req| app_logins::validate(&verifier, req)).await
}
