//! POST /console/api/sign-in
use gatehouse::api::{console, cors};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let sign_in = wiring::console::sign_in(&aws)?;
    cors::serve(|req| console::sign_in(&sign_in, req)).await
}
