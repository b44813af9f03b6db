//! The webhook edges: the delivery function's SQS batches, and the
//! operator view of deliveries that used up their attempts.

use super::request::{bearer, reject_unknown, Answer};
use super::response::json;
use crate::adapters::sqs::SqsQueue;
use crate::domain::webhook::QueuedEvent;
use crate::error::Error;
use crate::ports::{DeliveryLog, Directory, WebhookTransport};
use crate::service::{Authenticator, DeliveryOutcome, WebhookDeliveries};
use lambda_http::aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsMessage};
use lambda_http::http::StatusCode;
use lambda_http::{Request, RequestExt};
use serde_json::json;
use std::time::Duration;

/// One SQS batch (the queue's event source mapping reports item failures):
/// each message delivered at once, concurrently. A failure is hidden on
/// the queue for its backoff and reported, so SQS keeps it; at its last
/// attempt it is shown again at once, and SQS moves it to the dead-letter
/// queue on that receive.
pub async fn deliver_batch<D, T, L>(
    deliveries: &WebhookDeliveries<D, T, L>,
    queue: &SqsQueue,
    messages: Vec<SqsMessage>,
) -> SqsBatchResponse
where
    D: Directory,
    T: WebhookTransport,
    L: DeliveryLog,
{
    let attempts = messages.iter().map(|m| deliver_one(deliveries, queue, m));
    let failed = futures::future::join_all(attempts).await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .flatten()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

/// The message id when the message must stay on the queue.
async fn deliver_one<D, T, L>(
    deliveries: &WebhookDeliveries<D, T, L>,
    queue: &SqsQueue,
    message: &SqsMessage,
) -> Option<String>
where
    D: Directory,
    T: WebhookTransport,
    L: DeliveryLog,
{
    let id = message.message_id.clone().unwrap_or_default();
    let Some(queued) = message
        .body
        .as_deref()
        .and_then(|b| serde_json::from_str::<QueuedEvent>(b).ok())
    else {
        // Only Gatehouse writes to this queue: a body it cannot read will
        // never deliver. Left on the queue it would reach the dead-letter
        // queue, where an operator sees it.
        tracing::error!(message_id = %id, "unreadable webhook message");
        return Some(id);
    };
    let attempt = message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let hide_for = match deliveries.deliver(&queued, attempt).await {
        Ok(DeliveryOutcome::Delivered(_) | DeliveryOutcome::Dropped(_)) => return None,
        Ok(DeliveryOutcome::RetryIn(wait)) => wait,
        Ok(DeliveryOutcome::GaveUp) => Duration::ZERO,
        // Our own storage: the queue's visibility timeout is the backoff.
        Err(e) => {
            tracing::error!(message_id = %id, error = %e, "webhook delivery not attempted");
            return Some(id);
        }
    };
    if let Some(receipt) = message.receipt_handle.as_deref() {
        if let Err(e) = queue.retry_after(receipt, hide_for).await {
            tracing::warn!(message_id = %id, error = %e, "backoff not set: the queue's visibility timeout applies");
        }
    }
    Some(id)
}

/// Lambda's SQS event source mapping, for `make dev` and the tests: one
/// receive, the function's handler on the batch, and a delete of every
/// message it did not report. Returns how many messages it received.
pub async fn pump<D, T, L>(
    deliveries: &WebhookDeliveries<D, T, L>,
    queue: &SqsQueue,
    wait: Duration,
) -> crate::error::Result<usize>
where
    D: Directory,
    T: WebhookTransport,
    L: DeliveryLog,
{
    let messages = queue.receive(wait).await?;
    let received = messages.len();
    let receipts: Vec<(Option<String>, Option<String>)> = messages
        .iter()
        .map(|m| (m.message_id.clone(), m.receipt_handle.clone()))
        .collect();
    let response = deliver_batch(deliveries, queue, messages).await;
    for (id, receipt) in receipts {
        let kept = response
            .batch_item_failures
            .iter()
            .any(|f| Some(&f.item_identifier) == id.as_ref());
        if let (false, Some(receipt)) = (kept, receipt) {
            queue.delete(&receipt).await?;
        }
    }
    Ok(received)
}

/// `GET /v2/webhook-deliveries?limit=N`: the tenant's deliveries that used
/// up their attempts, newest first (admin keys).
pub async fn list_failed<D, T, L>(
    auth: &Authenticator<D>,
    deliveries: &WebhookDeliveries<D, T, L>,
    req: Request,
) -> Answer
where
    D: Directory,
    T: WebhookTransport,
    L: DeliveryLog,
{
    let client = auth.admin(bearer(&req)).await?;
    let query = req.query_string_parameters();
    reject_unknown(&query, &["limit"])?;
    let limit = match query.first("limit") {
        None => 20,
        Some(raw) => match raw.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(Error::invalid(
                    "invalid_limit",
                    "limit must be a whole number from 1 to 100",
                ))
            }
        },
    };
    let failed = deliveries.failed(&client, limit).await?;
    Ok(json(
        StatusCode::OK,
        &json!({ "data": failed, "limit": limit }),
    ))
}
