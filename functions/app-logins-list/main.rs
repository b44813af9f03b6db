//! GET /v2/app-logins
use gatehouse::api::cors;
use gatehouse::{api::app_logins, telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let (auth, reader) = wiring::login_reader(&aws)?;
    cors::serve(|req| app_logins::list(&auth, &reader, req)).await
}
