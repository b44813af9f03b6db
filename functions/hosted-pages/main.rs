//! GET /sign-in/{project}, GET /sign-up/{project}, GET /hosted/{asset}
use gatehouse::api::{cors, hosted};
use gatehouse::settings::HostedPagesConfig;
use gatehouse::telemetry;
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    // Embedded pages: no AWS client, no secret.
    let config = HostedPagesConfig::from_env()?;
    cors::serve(|req| hosted::serve(&config, req)).await
}
