//! The HTTP edge: everything that knows about API Gateway requests lives
//! here. Handlers parse, call one service, and render; `error` maps every
//! domain error to a status and a `{code, message}` body in one place.

pub mod app_logins;
pub mod app_registrations;
pub mod console;
pub mod cors;
pub mod error;
pub mod face_logins;
pub mod hosted;
pub mod identity;
pub mod jwks;
pub mod list_query;
pub mod listing;
pub mod oidc;
pub mod operators;
pub mod request;
pub mod response;
pub mod strict_json;
pub mod tenant_config;
pub mod verifik;
pub mod webhooks;

pub use error::error_response;
