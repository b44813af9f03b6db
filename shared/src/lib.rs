//! Gatehouse: login and onboarding sessions for AWS Lambda.
//!
//! The folder layout is the architecture:
//! - [`domain`]: models with validating constructors; no HTTP or AWS types.
//! - [`ports`]: the traits the services need (storage, messaging, clock).
//! - [`service`]: the use cases, generic over the ports.
//! - [`adapters`]: DynamoDB, SES v2 and SNS implementations of the ports.
//! - [`api`]: the HTTP edge: request parsing, error mapping, handlers.
//! - [`wiring`]: builds config, clients and services once per container.

pub mod adapters;
pub mod api;
pub mod config;
pub mod domain;
pub mod error;
pub mod ports;
pub mod service;
pub mod telemetry;
pub mod wiring;
