//! The webhook delivery queue (SQS): events go on it after the write that
//! raised them, and a failed delivery is hidden on it until its retry.

use crate::domain::webhook::QueuedEvent;
use crate::error::{Error, Result};
use crate::ports::EventQueue;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use aws_sdk_sqs::Client;
use lambda_http::aws_lambda_events::sqs::SqsMessage;
use std::time::Duration;

#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    /// Hides a received message for `delay`: the retry's backoff. SQS caps
    /// a visibility timeout at 12 hours, as `RetrySchedule` does.
    pub async fn retry_after(&self, receipt_handle: &str, delay: Duration) -> Result<()> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(delay.as_secs().min(43_200) as i32)
            .send()
            .await
            .map_err(|e| unavailable("ChangeMessageVisibility", e))?;
        Ok(())
    }
}

/// What the local event source mapping (`api::webhooks::pump`) needs: on
/// AWS, Lambda's SQS event source does this, and these are never called.
impl SqsQueue {
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The queue and its dead-letter queue, `{name}-dlq`, which takes a
    /// message after `max_attempts` receives: as template.yaml declares
    /// them. Returns the dead-letter queue's URL.
    pub async fn create_with_dead_letter(&self, max_attempts: u32) -> Result<String> {
        let name = self.url.rsplit('/').next().unwrap_or_default().to_string();
        let dlq_url = self
            .client
            .create_queue()
            .queue_name(format!("{name}-dlq"))
            .send()
            .await
            .map_err(|e| unavailable("CreateQueue", e))?
            .queue_url
            .unwrap_or_default();
        let dlq_arn = self
            .client
            .get_queue_attributes()
            .queue_url(&dlq_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| unavailable("GetQueueAttributes", e))?
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
            .unwrap_or_default();
        let redrive = serde_json::json!({
            "deadLetterTargetArn": dlq_arn,
            "maxReceiveCount": max_attempts,
        });
        self.client
            .create_queue()
            .queue_name(name)
            .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
            .attributes(QueueAttributeName::VisibilityTimeout, "60")
            .send()
            .await
            .map_err(|e| unavailable("CreateQueue", e))?;
        Ok(dlq_url)
    }

    /// Up to 10 messages, waiting up to `wait` for the first, with their
    /// receive counts, in the shape Lambda hands the function.
    pub async fn receive(&self, wait: Duration) -> Result<Vec<SqsMessage>> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait.as_secs() as i32)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| unavailable("ReceiveMessage", e))?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| {
                let mut message = SqsMessage::default();
                message.message_id = m.message_id;
                message.receipt_handle = m.receipt_handle;
                message.body = m.body;
                message.attributes = m
                    .attributes
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k.as_str().to_string(), v))
                    .collect();
                message
            })
            .collect())
    }

    pub async fn delete(&self, receipt_handle: &str) -> Result<()> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|e| unavailable("DeleteMessage", e))?;
        Ok(())
    }
}

fn unavailable<E: std::error::Error + Send + Sync + 'static>(
    call: &str,
    e: aws_sdk_sqs::error::SdkError<E>,
) -> Error {
    let detail = aws_sdk_sqs::error::DisplayErrorContext(e).to_string();
    tracing::error!(error = %detail, "SQS {call} failed");
    Error::Unavailable(detail.into())
}

impl EventQueue for SqsQueue {
    #[tracing::instrument(skip_all)]
    async fn enqueue(&self, message: &QueuedEvent) -> Result<()> {
        let body = serde_json::to_string(message).map_err(Error::internal)?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| unavailable("SendMessage", e))?;
        Ok(())
    }
}
