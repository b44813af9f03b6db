//! POST /oidc/{project}/oauth2/revoke
use gatehouse::api::{cors, oidc};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let tokens = wiring::oidc::token_checker(&aws)?;
    cors::serve(|req| oidc::revoke(&tokens, req)).await
}
