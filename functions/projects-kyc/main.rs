//! GET /v2/projects/kyc?id= (public)
use gatehouse::api::{cors, verifik};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let projects = wiring::public_projects(&aws)?;
    cors::serve_verifik(|req| verifik::kyc(&projects, req)).await
}
