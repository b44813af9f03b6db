//! POST /oidc/{project}/oauth2/token
use gatehouse::api::{cors, oidc};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let tokens = wiring::oidc::token_signer(&aws)?;
    cors::serve(|req| oidc::token(&tokens, req)).await
}
