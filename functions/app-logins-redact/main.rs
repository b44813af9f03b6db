//! DELETE /v2/app-logins/{id}/biometrics
use gatehouse::api::{cors, face_logins};
use gatehouse::{telemetry, wiring};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let (auth, faces) = wiring::face_redaction(&aws)?;
    cors::serve(|req| face_logins::redact(&auth, &faces, req)).await
}
