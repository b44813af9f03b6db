//! DynamoDB: one table, keys described in docs/data-model.md.

mod call_counter;
mod config_store;
mod directory;
mod error;
mod face;
mod grants;
mod limits;
mod listing;
mod logins;
mod oidc;
mod operators;
mod registrations;
mod transact;
mod webhooks;

pub use call_counter::CallCounter;
pub use config_store::DynamoConfigStore;
pub use directory::DynamoDirectory;
pub use logins::DynamoLoginStore;
pub use oidc::DynamoOidcStore;
pub use operators::DynamoOperatorStore;
pub use registrations::DynamoRegistrationStore;
pub use webhooks::{DynamoDeliveryLog, FAILED_DELIVERY_DAYS};

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// The index that lists a tenant's records by creation time.
pub const LIST_INDEX: &str = "gsi1";

pub(crate) mod keys {
    use crate::domain::Channel;

    pub fn login(id: &str) -> String {
        format!("LOGIN#{id}")
    }
    pub const LOGIN_SK: &str = "LOGIN";

    pub fn flow(id: &str) -> String {
        format!("FLOW#{id}")
    }
    pub const FLOW_SK: &str = "FLOW";

    /// The pointer from (flow, channel, identifier) to its pending login.
    pub fn active(channel: Channel, identifier: &str) -> String {
        format!("ACTIVE#{}#{identifier}", channel.as_str())
    }

    pub fn project(id: &str) -> String {
        format!("PROJECT#{id}")
    }
    pub const PROJECT_SK: &str = "PROJECT";

    pub fn client(id: &str) -> String {
        format!("CLIENT#{id}")
    }
    pub const CLIENT_SK: &str = "CLIENT";

    pub fn api_key(digest: &str) -> String {
        format!("APIKEY#{digest}")
    }
    pub const API_KEY_SK: &str = "APIKEY";

    /// `gsi1pk` of a tenant's records of one kind.
    pub fn tenant_list(client: &str, kind: &str) -> String {
        format!("CLIENT#{client}#{kind}")
    }
}

pub(crate) fn string_attr(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn number_attr(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Serializes a domain value into an item, dropping top-level nulls so that
/// `attribute_exists` means "has a value".
pub(crate) fn to_item<T: serde::Serialize>(value: &T) -> crate::error::Result<Item> {
    let mut item: Item = serde_dynamo::to_item(value).map_err(crate::error::Error::internal)?;
    item.retain(|_, v| !matches!(v, AttributeValue::Null(_)));
    Ok(item)
}

pub(crate) fn from_item<T: serde::de::DeserializeOwned>(item: Item) -> crate::error::Result<T> {
    serde_dynamo::from_item(item).map_err(crate::error::Error::internal)
}

/// One item by key. Eventually consistent unless `consistent`, which costs
/// twice the read units.
pub(crate) async fn get_item(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: String,
    sk: &str,
    consistent: bool,
) -> crate::error::Result<Option<Item>> {
    let out = client
        .get_item()
        .table_name(table)
        .key("pk", string_attr(pk))
        .key("sk", string_attr(sk))
        .consistent_read(consistent)
        .send()
        .await
        .map_err(error::storage_error)?;
    Ok(out.item)
}

/// Every item a Query matches, one call per DynamoDB page (1 MB).
pub(crate) async fn query_all(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
) -> crate::error::Result<Vec<Item>> {
    let mut items = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let out = query
            .clone()
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(error::storage_error)?;
        items.extend(out.items.unwrap_or_default());
        match out.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(items),
        }
    }
}

/// The first `at_most` items `query` matches, in its order: one call per
/// DynamoDB page, each asking for no more than are still wanted (`Limit`
/// counts items read before the filter, so a filtered list may take more).
pub(crate) async fn query_up_to(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    at_most: usize,
) -> crate::error::Result<Vec<Item>> {
    let mut items = Vec::new();
    let mut start = query.get_exclusive_start_key().clone();
    while items.len() < at_most {
        let wanted = i32::try_from(at_most - items.len()).unwrap_or(i32::MAX);
        let out = query
            .clone()
            .limit(wanted)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(error::storage_error)?;
        items.extend(out.items.unwrap_or_default());
        match out.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => break,
        }
    }
    items.truncate(at_most);
    Ok(items)
}

/// The place in a `gsi1` list of an item read from it.
pub(crate) fn list_place(item: &Item) -> Option<crate::ports::ListCursor> {
    let key = item.get("gsi1sk")?.as_s().ok()?;
    crate::ports::ListCursor::from_sort_key(key)
}

/// Every item of `keys`, in `keys`' order, with one BatchGetItem per
/// hundred keys (and a retry of whatever DynamoDB left unprocessed).
pub(crate) async fn batch_get(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    keys: Vec<Item>,
) -> crate::error::Result<Vec<Item>> {
    let mut found: Vec<Item> = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(100) {
        let mut pending = Some(
            aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                .set_keys(Some(chunk.to_vec()))
                .consistent_read(true)
                .build()
                .map_err(crate::error::Error::internal)?,
        );
        while let Some(request) = pending.take() {
            let out = client
                .batch_get_item()
                .request_items(table, request)
                .send()
                .await
                .map_err(error::storage_error)?;
            if let Some(mut responses) = out.responses {
                found.extend(responses.remove(table).unwrap_or_default());
            }
            pending = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(table))
                .filter(|k| !k.keys().is_empty());
        }
    }
    let position = |item: &Item| {
        keys.iter()
            .position(|k| k.get("pk") == item.get("pk") && k.get("sk") == item.get("sk"))
    };
    found.sort_by_key(|item| position(item).unwrap_or(usize::MAX));
    Ok(found)
}
