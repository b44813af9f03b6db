//! The webhook delivery function: SQS batches in, signed POSTs out. Not an
//! HTTP endpoint; its event source is the webhook queue (template.yaml).
use gatehouse::api::webhooks;
use gatehouse::{telemetry, wiring};
use lambda_http::aws_lambda_events::sqs::SqsEvent;
use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let aws = wiring::Aws::load().await?;
    let (deliveries, queue) = wiring::webhook_deliveries(&aws)?;
    let (deliveries, queue) = (&deliveries, &queue);
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(webhooks::deliver_batch(deliveries, queue, event.payload.records).await)
    }))
    .await
}
