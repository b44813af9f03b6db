//! POST /v2/app-logins/{id}/resend
use gatehouse::{api::app_logins, telemetry, wiring};
use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let (_, sender) = wiring::login_sender().await?;
    run(service_fn(|req| app_logins::resend(&sender, req))).await
}
