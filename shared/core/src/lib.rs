//! Gatehouse's core: login and onboarding sessions with no AWS and no HTTP
//! in them. This crate's `Cargo.toml` has no `aws-sdk-*` and no
//! `lambda_http`, so the boundary is a compile rule, not a habit.
//!
//! The layers, lowest first (a module imports only from those above it in
//! this list):
//! - [`error`]: the one error type, and the stable error codes.
//! - [`domain`]: models with validating constructors and the state changes
//!   of a login and a registration.
//! - [`ports`]: the traits the services need (storage, messaging, clock),
//!   bundled as [`ports::Ports`].
//! - [`service`]: the use cases, generic over one `Ports` bundle.
//! - [`memory`] (tests and benchmarks): the ports in memory, applying the
//!   same domain changes the DynamoDB adapter writes.

pub mod domain;
pub mod error;
#[cfg(any(test, feature = "memory"))]
pub mod memory;
pub mod ports;
pub mod service;
