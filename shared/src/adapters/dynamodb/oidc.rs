//! The OpenID Connect provider's records: OAuth clients (tenant records,
//! as flows are) and grants. A grant is one item keyed by its code's
//! SHA-256: the code, then its refresh token family, each spent or rotated
//! by one conditional write (docs/data-model.md).

use super::config_store::DynamoConfigStore;
use super::error::storage_error;
use super::{from_item, number_attr, string_attr, to_item, Item};
use crate::domain::oidc::{OAuthClient, OidcGrant, RedeemOutcome, RefreshOutcome};
use crate::domain::{ClientId, Timestamp};
use crate::error::Result;
use crate::ports::{NewRefresh, OidcStore, Precondition};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;

const CLIENT_SK: &str = "OAUTHCLIENT";
const GRANT_SK: &str = "OIDCGRANT";

fn client_key(id: &str) -> String {
    format!("OAUTHCLIENT#{id}")
}

fn grant_key(id: &str) -> String {
    format!("OIDCGRANT#{id}")
}

#[derive(Clone)]
pub struct DynamoOidcStore {
    client: Client,
    table: String,
    config: DynamoConfigStore,
}

impl DynamoOidcStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        let table = table.into();
        Self {
            config: DynamoConfigStore::new(client.clone(), &table),
            client,
            table,
        }
    }

    fn update(&self, id: &str) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", string_attr(grant_key(id)))
            .key("sk", string_attr(GRANT_SK))
    }
}

/// The grant a write returned (its new or, on a failed condition, old item).
fn grant_of(item: Option<Item>) -> Result<Option<OidcGrant>> {
    match item {
        Some(mut item) if !item.is_empty() => {
            for key in ["pk", "sk", "ttl", "refreshedAt"] {
                item.remove(key);
            }
            from_item(item).map(Some)
        }
        _ => Ok(None),
    }
}

/// Sends a conditional update: `Ok(new item)`, or `Err(old item)` when the
/// condition failed.
async fn conditional(
    request: UpdateItemFluentBuilder,
) -> Result<std::result::Result<Option<OidcGrant>, Option<OidcGrant>>> {
    match request
        .return_values(ReturnValue::AllNew)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
    {
        Ok(out) => Ok(Ok(grant_of(out.attributes)?)),
        Err(SdkError::ServiceError(ctx)) if ctx.err().is_conditional_check_failed_exception() => {
            let old = match ctx.into_err() {
                aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(e) => e.item,
                _ => None,
            };
            Ok(Err(grant_of(old)?))
        }
        Err(e) => Err(storage_error(e)),
    }
}

impl OidcStore for DynamoOidcStore {
    async fn oauth_client(&self, id: &str) -> Result<Option<OAuthClient>> {
        self.config
            .get(client_key(id), CLIENT_SK)
            .await?
            .map(from_item)
            .transpose()
    }

    #[tracing::instrument(skip_all, fields(client_id = %client.client_id))]
    async fn save_oauth_client(&self, client: &OAuthClient, expect: Precondition) -> Result<bool> {
        let sort_key = format!("{}#{}", client.created_at, client.client_id);
        self.config
            .put_tenant_record(
                client,
                (client_key(&client.client_id), CLIENT_SK),
                &client.client,
                "OAUTHCLIENTS",
                &sort_key,
                expect,
            )
            .await
    }

    async fn oauth_clients(&self, tenant: &ClientId) -> Result<Vec<OAuthClient>> {
        self.config
            .tenant_list(tenant, "OAUTHCLIENTS")
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    async fn save_grant(&self, grant: &OidcGrant) -> Result<()> {
        let mut item = to_item(grant)?;
        item.insert("pk".into(), string_attr(grant_key(&grant.id)));
        item.insert("sk".into(), string_attr(GRANT_SK));
        item.insert("ttl".into(), number_attr(grant.code_expires_at));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    async fn grant(&self, id: &str) -> Result<Option<OidcGrant>> {
        grant_of(self.config.get(grant_key(id), GRANT_SK).await?)
    }

    async fn redeem(
        &self,
        id: &str,
        now: Timestamp,
        refresh: Option<NewRefresh>,
    ) -> Result<RedeemOutcome> {
        let mut request = self
            .update(id)
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(redeemedAt) \
                 AND attribute_not_exists(revokedAt) AND codeExpiresAt > :now",
            )
            .expression_attribute_values(":now", number_attr(now.unix()))
            .expression_attribute_values(":at", string_attr(now.to_string()));
        request = match refresh {
            Some(r) => request
                .update_expression(
                    "SET redeemedAt = :at, refreshDigest = :digest, familyExpiresAt = :end, #ttl = :end",
                )
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":digest", string_attr(r.digest))
                .expression_attribute_values(":end", number_attr(r.family_expires_at)),
            None => request.update_expression("SET redeemedAt = :at"),
        };
        match conditional(request).await? {
            Ok(Some(grant)) => Ok(RedeemOutcome::Redeemed(Box::new(grant))),
            Ok(None) => Ok(RedeemOutcome::Unknown),
            Err(Some(old)) if old.redeemed_at.is_some() => {
                self.revoke(id, now).await?;
                Ok(RedeemOutcome::Reused)
            }
            Err(_) => Ok(RedeemOutcome::Unknown),
        }
    }

    async fn rotate_refresh(
        &self,
        id: &str,
        client_id: &str,
        presented: &str,
        next: &str,
        now: Timestamp,
    ) -> Result<RefreshOutcome> {
        let request = self
            .update(id)
            .condition_expression(
                "refreshDigest = :presented AND clientId = :client \
                 AND attribute_not_exists(revokedAt) AND familyExpiresAt > :now",
            )
            .update_expression("SET refreshDigest = :next, refreshedAt = :at")
            .expression_attribute_values(":presented", string_attr(presented))
            .expression_attribute_values(":client", string_attr(client_id))
            .expression_attribute_values(":now", number_attr(now.unix()))
            .expression_attribute_values(":next", string_attr(next))
            .expression_attribute_values(":at", string_attr(now.to_string()));
        match conditional(request).await? {
            Ok(Some(grant)) => Ok(RefreshOutcome::Rotated(Box::new(grant))),
            Ok(None) => Ok(RefreshOutcome::Unknown),
            // An old token of this client's live family: someone replayed it.
            Err(Some(old))
                if old.client_id == client_id
                    && old.revoked_at.is_none()
                    && old.refresh_digest.as_deref() != Some(presented)
                    && old.family_expires_at.is_some_and(|at| now.unix() < at) =>
            {
                self.revoke(id, now).await?;
                Ok(RefreshOutcome::Reused)
            }
            Err(_) => Ok(RefreshOutcome::Unknown),
        }
    }

    async fn revoke(&self, id: &str, now: Timestamp) -> Result<()> {
        let request = self
            .update(id)
            .condition_expression("attribute_exists(pk)")
            .update_expression("SET revokedAt = if_not_exists(revokedAt, :at)")
            .expression_attribute_values(":at", string_attr(now.to_string()));
        match request.send().await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(ctx))
                if ctx.err().is_conditional_check_failed_exception() =>
            {
                Ok(())
            }
            Err(e) => Err(storage_error(e)),
        }
    }
}
