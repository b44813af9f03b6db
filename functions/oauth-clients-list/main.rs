//! GET /v2/oauth-clients
use gatehouse::api::{cors, oidc};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let (auth, clients) = wiring::oidc::clients(&aws)?;
    cors::serve(|req| oidc::list_clients(&auth, &clients, req)).await
}
