//! POST /oidc/{project}/session
use gatehouse::api::{cors, oidc};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let authorizer = wiring::oidc::authorizer(&aws)?;
    cors::serve(|req| oidc::open_session(&authorizer, req)).await
}
