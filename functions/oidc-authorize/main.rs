//! GET|POST /oidc/{project}/oauth2/authorize
use gatehouse::api::oidc;
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let authorizer = wiring::oidc::authorizer(&aws)?;
    // A browser navigation, often a form POST from the client's site:
    // no CORS guard (the answer is a redirect or a page, never data).
    oidc::serve_navigation(|req| oidc::authorize(&authorizer, req)).await
}
