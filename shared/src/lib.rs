//! Gatehouse on AWS Lambda: the adapters and the HTTP edge over
//! [`gatehouse_core`], which holds the domain, the ports and the services
//! and cannot name an AWS or HTTP type.
//!
//! The layers, from the outside in:
//! - [`api`]: the HTTP edge: request parsing, error mapping, handlers.
//! - [`wiring`]: builds config, clients and services once per container.
//! - [`adapters`]: DynamoDB, SES v2, SNS and Secrets Manager
//!   implementations of the ports.
//! - [`settings`]: the function's configuration from its environment.
//! - then the core, re-exported here: [`service`], [`ports`], [`domain`],
//!   [`error`].

pub mod adapters;
pub mod api;
pub mod settings;
pub mod telemetry;
pub mod wiring;

#[cfg(feature = "memory")]
pub use gatehouse_core::memory;
pub use gatehouse_core::{domain, error, ports, service};
