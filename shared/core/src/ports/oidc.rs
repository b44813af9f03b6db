//! What the OpenID Connect provider keeps: OAuth clients and grants.

use crate::domain::oidc::{OAuthClient, OidcGrant, RedeemOutcome, RefreshOutcome};
use crate::domain::{ClientId, Timestamp};
use crate::error::Result;
use crate::ports::Precondition;
use std::future::Future;

/// A redeemed code's refresh token, when the grant has `offline_access`.
#[derive(Clone, Debug)]
pub struct NewRefresh {
    pub digest: String,
    pub family_expires_at: i64,
}

pub trait OidcStore: Send + Sync + 'static {
    fn oauth_client(&self, id: &str) -> impl Future<Output = Result<Option<OAuthClient>>> + Send;
    /// False when `expect` did not hold (a concurrent change).
    fn save_oauth_client(
        &self,
        client: &OAuthClient,
        expect: Precondition,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// The tenant's clients, newest first.
    fn oauth_clients(
        &self,
        tenant: &ClientId,
    ) -> impl Future<Output = Result<Vec<OAuthClient>>> + Send;
    fn save_grant(&self, grant: &OidcGrant) -> impl Future<Output = Result<()>> + Send;
    fn grant(&self, id: &str) -> impl Future<Output = Result<Option<OidcGrant>>> + Send;
    /// Spends the code of grant `id` if it is live and unspent (one
    /// conditional write), storing the first refresh token's digest. A
    /// second redemption revokes the grant and everything it issued.
    fn redeem(
        &self,
        id: &str,
        now: Timestamp,
        refresh: Option<NewRefresh>,
    ) -> impl Future<Output = Result<RedeemOutcome>> + Send;
    /// Replaces the current refresh token `presented` (a digest) of
    /// `client_id`'s grant `id` with `next`. An old token of the family
    /// revokes it.
    fn rotate_refresh(
        &self,
        id: &str,
        client_id: &str,
        presented: &str,
        next: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<RefreshOutcome>> + Send;
    fn revoke(&self, id: &str, now: Timestamp) -> impl Future<Output = Result<()>> + Send;
}
