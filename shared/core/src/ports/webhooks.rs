//! What webhook events need from the outside world: a queue to put them
//! on, an HTTP client that reaches only permitted addresses, and a log of
//! the deliveries that used up their attempts.

use crate::domain::webhook::{FailedDelivery, QueuedEvent, WebhookEvent};
use crate::domain::ClientId;
use crate::error::Result;
use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a service hands the events its writes raise. Object-safe, so a
/// service holds an `Arc<dyn EventSink>` and its type does not change.
pub trait EventSink: Send + Sync + 'static {
    /// Never fails the caller: the write that raised the event is done.
    fn publish<'a>(&'a self, client: &'a str, event: WebhookEvent) -> BoxFuture<'a, ()>;
}

/// Drops every event: for functions that raise none.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEvents;

impl EventSink for NoEvents {
    fn publish<'a>(&'a self, _client: &'a str, _event: WebhookEvent) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

/// The delivery queue (SQS).
pub trait EventQueue: Send + Sync + 'static {
    fn enqueue(&self, message: &QueuedEvent) -> impl Future<Output = Result<()>> + Send;
}

/// Why a POST got no HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostFailure {
    /// The host resolved to an address the policy refuses.
    AddressRefused(String),
    /// DNS, connect, TLS or timeout.
    Unreachable(String),
}

impl std::fmt::Display for PostFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PostFailure::AddressRefused(why) => write!(f, "address refused: {why}"),
            PostFailure::Unreachable(why) => write!(f, "unreachable: {why}"),
        }
    }
}

/// POSTs an event to a webhook, connecting only to addresses the address
/// policy permits, following no redirect, within a bounded time.
pub trait WebhookTransport: Send + Sync + 'static {
    /// The receiver's HTTP status.
    fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> impl Future<Output = std::result::Result<u16, PostFailure>> + Send;
}

/// The deliveries that used up their attempts, per tenant.
pub trait DeliveryLog: Send + Sync + 'static {
    fn record_failed(
        &self,
        client: &str,
        failed: &FailedDelivery,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Newest first.
    fn failed(
        &self,
        client: &ClientId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<FailedDelivery>>> + Send;
}
