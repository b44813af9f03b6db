//! DELETE /v2/oauth-clients/{id}
use gatehouse::api::{cors, oidc};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let (auth, clients) = wiring::oidc::clients(&aws)?;
    cors::serve(|req| oidc::delete_client(&auth, &clients, req)).await
}
