//! Gatehouse as an OpenID Connect provider (docs/oidc.md).

mod authorize;
mod clients;
mod discovery;
mod tokens;

pub use authorize::{Authorized, Authorizer};
pub use clients::OAuthClients;
pub use discovery::{metadata, Discovery};
pub use tokens::{ClientCredentials, Issued, LoggedOut, OidcFailure, OidcResult, OidcTokens};
