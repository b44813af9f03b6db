//! POST /v2/project-flows
use gatehouse::api::cors;
use gatehouse::{api::tenant_config, telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let (auth, admin) = wiring::tenant_config(&aws)?;
    cors::serve(|req| tenant_config::create_flow(&auth, &admin, req)).await
}
