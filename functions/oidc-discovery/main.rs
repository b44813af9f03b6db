//! GET /oidc/{project}/.well-known/openid-configuration
use gatehouse::api::{cors, oidc};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let discovery = wiring::oidc::discovery(&aws)?;
    cors::serve(|req| oidc::discovery(&discovery, req)).await
}
