//! POST /console/api/sign-in/verify
use gatehouse::api::{console, cors};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let sign_in = wiring::console::sign_in(&aws)?;
    cors::serve(|req| console::verify(&sign_in, req)).await
}
