//! Use cases, generic over the ports. Each Lambda builds only the services
//! its endpoint needs, so a function never holds a secret it does not use.

pub mod auth;
pub mod cached_directory;
pub mod code_sessions;
pub mod console;
pub mod face_logins;
pub mod hosted;
mod liveness;
pub mod login_reader;
pub mod oidc;
pub mod operators;
pub mod public_projects;
pub mod registrations;
pub mod tenant_config;
pub mod webhooks;

#[cfg(test)]
pub(crate) mod tests;

pub use auth::{api_key_digest, Authenticator};
pub use cached_directory::CachedDirectory;
pub use code_sessions::{
    CodeChecker, CodeSender, CodeSessions, CreateLogin, LoginRef, SentLogin, ValidateLogin,
    ValidatedLogin,
};
pub use face_logins::{
    FaceCaller, FaceChecked, FaceIdentifier, FaceLogins, StartFaceLogin, StartedFace,
};
pub use hosted::{CodeExchanges, HostedRedirects};
pub use login_reader::LoginReader;
pub use public_projects::PublicProjects;
pub use registrations::{Caller, IdentityChecks, Registrations};
pub use tenant_config::TenantConfig;
pub use webhooks::{DeliveryOutcome, Outbox, WebhookDeliveries};
