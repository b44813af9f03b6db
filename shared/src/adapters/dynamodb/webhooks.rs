//! Deliveries that used up their attempts, one item each under the
//! tenant's key, newest last in sort order, gone after 30 days (TTL).

use super::error::storage_error;
use super::{from_item, keys, number_attr, string_attr, to_item};
use crate::domain::webhook::FailedDelivery;
use crate::domain::ClientId;
use crate::error::Result;
use crate::ports::DeliveryLog;
use aws_sdk_dynamodb::Client;

/// How long a failed delivery stays listed.
pub const FAILED_DELIVERY_DAYS: i64 = 30;

fn failures_key(client: &str) -> String {
    keys::tenant_list(client, "WEBHOOK_FAILURES")
}

#[derive(Clone)]
pub struct DynamoDeliveryLog {
    client: Client,
    table: String,
}

impl DynamoDeliveryLog {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

impl DeliveryLog for DynamoDeliveryLog {
    async fn record_failed(&self, client: &str, failed: &FailedDelivery) -> Result<()> {
        let mut item = to_item(failed)?;
        item.insert("pk".into(), string_attr(failures_key(client)));
        item.insert(
            "sk".into(),
            string_attr(format!("{}#{}", failed.failed_at, failed.event_id)),
        );
        item.insert(
            "ttl".into(),
            number_attr(failed.failed_at.unix() + FAILED_DELIVERY_DAYS * 86_400),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    async fn failed(&self, client: &ClientId, limit: u32) -> Result<Vec<FailedDelivery>> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", string_attr(failures_key(client.as_str())))
            .scan_index_forward(false)
            .limit(limit.clamp(1, 100) as i32)
            .send()
            .await
            .map_err(storage_error)?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|mut item| {
                for key in ["pk", "sk", "ttl"] {
                    item.remove(key);
                }
                from_item(item)
            })
            .collect()
    }
}
