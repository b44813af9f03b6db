//! GET|POST /oidc/{project}/oauth2/logout
use gatehouse::api::oidc;
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let tokens = wiring::oidc::token_checker(&aws)?;
    oidc::serve_navigation(|req| oidc::logout(&tokens, req)).await
}
