//! GET /v2/webhook-deliveries
use gatehouse::api::{cors, webhooks};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let (auth, deliveries) = wiring::webhook_admin(&aws)?;
    cors::serve(|req| webhooks::list_failed(&auth, &deliveries, req)).await
}
