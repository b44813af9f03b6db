//! The floor for cold-start figures: a hello-world `lambda_http` function
//! built with the same release profile as the real ones.
use lambda_http::{run, service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|_req: Request| async {
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"data":"hello"}"#))
            .map_err(Error::from)
    }))
    .await
}
