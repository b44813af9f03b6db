//! POST /v2/app-logins/{id}/resend
use gatehouse::api::cors;
use gatehouse::{api::app_logins, telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let (_, sender) = wiring::login_sender(&aws)?;
    cors::serve(|req| app_logins::resend(&sender, req)).await
}
