//! POST /v2/app-logins/{id}/validate, /v2/email-validations/validate and
//! /v2/phone-validations/validate
use gatehouse::{api::app_logins, telemetry, wiring};
use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let verifier = wiring::login_verifier().await?;
    run(service_fn(|req| app_logins::validate(&verifier, req))).await
}
