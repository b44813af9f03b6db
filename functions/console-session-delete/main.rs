//! DELETE /console/api/session
use gatehouse::api::{console, cors};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let sessions = wiring::console::sessions(&aws)?;
    cors::serve(|req| console::sign_out(&sessions, req)).await
}
