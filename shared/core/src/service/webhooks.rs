//! Webhook events: putting them on the queue after the write that raised
//! them, and delivering them from it, signed, with retries.

use crate::domain::webhook::{
    signature, FailedDelivery, QueuedEvent, RetrySchedule, WebhookEvent, SIGNATURE_HEADER,
};
use crate::domain::{ClientId, ProjectFlow};
use crate::error::Result;
use crate::ports::{
    BoxFuture, Clock, DeliveryLog, Directory, EventQueue, EventSink, WebhookTransport,
};
use std::sync::Arc;
use std::time::Duration;

/// The flow's webhook URL and secret, if the flow is the client's, live,
/// and has a webhook.
fn webhook_of<'f>(flow: &'f ProjectFlow, client: &str) -> Option<(&'f str, &'f str)> {
    if flow.client != client || flow.archived_at.is_some() {
        return None;
    }
    Some((
        flow.webhook_url.as_deref()?,
        flow.webhook_secret.as_deref()?,
    ))
}

/// Queues an event when its flow has a webhook: one flow read (the
/// container's cache, mostly) and one SendMessage; nothing at all for a
/// flow without one.
pub struct Outbox<D, Q> {
    directory: D,
    queue: Q,
}

impl<D: Directory, Q: EventQueue> Outbox<D, Q> {
    pub fn new(directory: D, queue: Q) -> Self {
        Self { directory, queue }
    }

    async fn queue_event(&self, client: &str, event: WebhookEvent) -> Result<bool> {
        let Some(flow) = self.directory.flow(&event.project_flow).await? else {
            return Ok(false);
        };
        if webhook_of(&flow, client).is_none() {
            return Ok(false);
        }
        let queued = QueuedEvent {
            client: client.to_string(),
            event,
        };
        self.queue.enqueue(&queued).await?;
        Ok(true)
    }
}

impl<D: Directory, Q: EventQueue> EventSink for Outbox<D, Q> {
    fn publish<'a>(&'a self, client: &'a str, event: WebhookEvent) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let (id, kind) = (event.id.clone(), event.event_type.as_str());
            match self.queue_event(client, event).await {
                Ok(true) => {
                    tracing::info!(event_id = %id, event_type = kind, "webhook event queued")
                }
                Ok(false) => {}
                // The write that raised it is done and answered; the event
                // alone is lost. `metric` makes this line a CloudWatch
                // metric too (telemetry.rs), which an alarm watches.
                Err(e) => tracing::error!(
                    metric = "WebhookEventsNotQueued",
                    event_id = %id,
                    event_type = kind,
                    error = %e,
                    "webhook event not queued"
                ),
            }
        })
    }
}

/// What became of one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The receiver answered 2xx.
    Delivered(u16),
    /// Nothing to deliver to: the flow, or its webhook, is gone.
    Dropped(&'static str),
    /// Try again after this long.
    RetryIn(Duration),
    /// That was the last attempt: recorded for the operator view; the
    /// queue moves the message to its dead-letter queue.
    GaveUp,
}

/// Delivers queued events to their flows' webhooks.
pub struct WebhookDeliveries<D, T, L> {
    directory: D,
    transport: T,
    log: L,
    clock: Arc<dyn Clock>,
    schedule: RetrySchedule,
}

impl<D: Directory, T: WebhookTransport, L: DeliveryLog> WebhookDeliveries<D, T, L> {
    pub fn new(
        directory: D,
        transport: T,
        log: L,
        clock: Arc<dyn Clock>,
        schedule: RetrySchedule,
    ) -> Self {
        Self {
            directory,
            transport,
            log,
            clock,
            schedule,
        }
    }

    /// Attempt `attempt` (1-based: the queue's receive count) of `queued`.
    /// An `Err` is our own storage failing: the queue tries again later.
    #[tracing::instrument(skip_all, fields(event_id = %queued.event.id, attempt))]
    pub async fn deliver(&self, queued: &QueuedEvent, attempt: u32) -> Result<DeliveryOutcome> {
        let event = &queued.event;
        let flow = self.directory.flow(&event.project_flow).await?;
        let Some((url, secret)) = flow.as_ref().and_then(|f| webhook_of(f, &queued.client)) else {
            tracing::info!("flow or webhook removed: event dropped");
            return Ok(DeliveryOutcome::Dropped("webhook_removed"));
        };
        let body = serde_json::to_vec(event).expect("events serialize");
        let timestamp = self.clock.now().unix();
        let headers = [
            ("content-type", "application/json".to_string()),
            (SIGNATURE_HEADER, signature(secret, timestamp, &body)),
            ("gatehouse-event-id", event.id.clone()),
            (
                "gatehouse-event-type",
                event.event_type.as_str().to_string(),
            ),
            ("user-agent", "Gatehouse-Webhooks/1".to_string()),
        ];
        let (status, error) = match self.transport.post(url, &headers, body).await {
            Ok(status) if (200..300).contains(&status) => {
                tracing::info!(status, "webhook delivered");
                return Ok(DeliveryOutcome::Delivered(status));
            }
            Ok(status) => (Some(status), format!("the receiver answered HTTP {status}")),
            Err(failure) => (None, failure.to_string()),
        };
        if !self.schedule.is_last(attempt) {
            let wait = self.schedule.delay_with_jitter(attempt, rand::random());
            tracing::warn!(status, error = %error, retry_in_s = wait.as_secs(), "webhook delivery failed");
            return Ok(DeliveryOutcome::RetryIn(wait));
        }
        tracing::error!(status, error = %error, "webhook delivery failed for the last time");
        let failed = FailedDelivery {
            event_id: event.id.clone(),
            event_type: event.event_type,
            project: event.project.clone(),
            project_flow: event.project_flow.clone(),
            record: event.data.id.clone(),
            host: host_of(url),
            attempts: attempt,
            last_status: status,
            last_error: error,
            event_created_at: event.created_at,
            failed_at: self.clock.now(),
        };
        self.log.record_failed(&queued.client, &failed).await?;
        Ok(DeliveryOutcome::GaveUp)
    }

    /// The operator view: the client's deliveries that used up their
    /// attempts, newest first.
    pub async fn failed(&self, client: &ClientId, limit: u32) -> Result<Vec<FailedDelivery>> {
        self.log.failed(client, limit).await
    }
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default()
}

/// Hands `event`, if any, to `events`. A plain function returning the
/// sink's boxed future: awaiting it adds a pointer, not a state machine, to
/// the caller's future (which, in a debug build, lives on the stack).
pub(crate) fn raise<'a>(
    events: &'a dyn EventSink,
    client: &'a str,
    event: Option<WebhookEvent>,
) -> BoxFuture<'a, ()> {
    match event {
        Some(event) => events.publish(client, event),
        None => Box::pin(std::future::ready(())),
    }
}
