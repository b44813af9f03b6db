//! GET /.well-known/jwks.json, GET /oidc/{project}/jwks
use gatehouse::{api::jwks, telemetry, wiring};
use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let tokens = wiring::oidc::published_keys(&aws)?;
    run(service_fn(|req| jwks::keys(&tokens, req))).await
}
