//! Hosted pages' authorisation grants: one item per code, keyed by the
//! code's SHA-256, gone at its first exchange (a conditional delete) or at
//! DynamoDB's TTL sweep. The item holds the token only sealed under the
//! code (domain/authorization.rs).

use super::error::storage_error;
use super::{from_item, number_attr, string_attr, to_item};
use crate::domain::authorization::AuthorizationGrant;
use crate::error::Result;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::ReturnValue;
use aws_sdk_dynamodb::Client;

pub const GRANT_SK: &str = "GRANT";

pub fn grant_key(id: &str) -> String {
    format!("GRANT#{id}")
}

pub(super) async fn save(client: &Client, table: &str, grant: &AuthorizationGrant) -> Result<()> {
    let mut item = to_item(grant)?;
    item.insert("pk".into(), string_attr(grant_key(&grant.id)));
    item.insert("sk".into(), string_attr(GRANT_SK));
    item.insert("ttl".into(), number_attr(grant.expires_at.unix()));
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .map_err(storage_error)?;
    Ok(())
}

pub(super) async fn take(
    client: &Client,
    table: &str,
    id: &str,
) -> Result<Option<AuthorizationGrant>> {
    // Conditional, so that of two deletes at once only one is told it
    // removed the grant (an unconditional delete succeeds for both).
    let out = match client
        .delete_item()
        .table_name(table)
        .key("pk", string_attr(grant_key(id)))
        .key("sk", string_attr(GRANT_SK))
        .condition_expression("attribute_exists(pk)")
        .return_values(ReturnValue::AllOld)
        .send()
        .await
    {
        Ok(out) => out,
        Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
            return Ok(None)
        }
        Err(e) => return Err(storage_error(e)),
    };
    match out.attributes {
        Some(mut item) if !item.is_empty() => {
            for key in ["pk", "sk", "ttl"] {
                item.remove(key);
            }
            from_item(item).map(Some)
        }
        _ => Ok(None),
    }
}
