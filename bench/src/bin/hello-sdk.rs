//! The floor plus what every Gatehouse function builds at init: the AWS
//! config and a DynamoDB client. Separates the SDK's share of cold init.
use lambda_http::{run, service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let aws = gatehouse::wiring::Aws::load().await?;
    let _dynamodb = aws.dynamodb.clone();
    run(service_fn(|_req: Request| async {
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"data":"hello"}"#))
            .map_err(Error::from)
    }))
    .await
}
