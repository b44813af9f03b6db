//! Operators and the audit log. An operator is keyed by its email, with one
//! item per tenant (`OPERATOR#<email>` / `CLIENT#<tenant>`), so a sign-in
//! finds every tenant of an email with one query; both kinds are listed per
//! tenant on gsi1 (docs/data-model.md).

use super::error::storage_error;
use super::transact::{codes_of, is_condition_failure, transact};
use super::LIST_INDEX;
use super::{
    from_item, get_item, keys, number_attr, query_all, query_up_to, string_attr, to_item, Item,
};
use crate::domain::console::ConsoleSession;
use crate::domain::operator::{AuditEntry, Operator};
use crate::domain::{ClientId, Email};
use crate::error::{Error, Result};
use crate::ports::{ConsoleSessionStore, OperatorStore, Precondition};
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;

const OPERATORS: &str = "OPERATORS";
const AUDIT: &str = "AUDIT";
const AUDIT_SK: &str = "AUDIT";

fn operator_key(email: &Email) -> String {
    format!("OPERATOR#{}", email.as_str())
}

fn audit_key(id: &str) -> String {
    format!("AUDIT#{id}")
}

#[derive(Clone)]
pub struct DynamoOperatorStore {
    client: Client,
    table: String,
}

impl DynamoOperatorStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn tenant_query(
        &self,
        client: &ClientId,
        kind: &str,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .index_name(LIST_INDEX)
            .key_condition_expression("gsi1pk = :pk")
            .expression_attribute_values(
                ":pk",
                string_attr(keys::tenant_list(client.as_str(), kind)),
            )
            .scan_index_forward(false)
    }
}

/// `record` as an item under its own key, listed under its tenant.
fn listed_item<T: serde::Serialize>(
    record: &T,
    (pk, sk): (String, String),
    client: &ClientId,
    kind: &str,
    sort_key: String,
) -> Result<Item> {
    let mut item = to_item(record)?;
    item.insert("pk".into(), string_attr(pk));
    item.insert("sk".into(), string_attr(sk));
    item.insert(
        "gsi1pk".into(),
        string_attr(keys::tenant_list(client.as_str(), kind)),
    );
    item.insert("gsi1sk".into(), string_attr(sort_key));
    Ok(item)
}

/// The audit entry as one write of a transaction, so the action it
/// records and the entry land together or not at all.
pub(super) fn audit_put(table: &str, audit: &AuditEntry) -> Result<TransactWriteItem> {
    let item = listed_item(
        audit,
        (audit_key(&audit.id), AUDIT_SK.to_owned()),
        &audit.client,
        AUDIT,
        format!("{}#{}", audit.at, audit.id),
    )?;
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(Error::internal)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn records<T: serde::de::DeserializeOwned>(items: Vec<Item>) -> Result<Vec<T>> {
    items.into_iter().map(from_item).collect()
}

impl OperatorStore for DynamoOperatorStore {
    async fn operator(&self, client: &ClientId, email: &Email) -> Result<Option<Operator>> {
        get_item(
            &self.client,
            &self.table,
            operator_key(email),
            &keys::client(client.as_str()),
            true,
        )
        .await?
        .map(from_item)
        .transpose()
    }

    async fn operators_by_email(&self, email: &Email) -> Result<Vec<Operator>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", string_attr(operator_key(email)))
            .consistent_read(true);
        records(query_all(query).await?)
    }

    async fn operators(&self, client: &ClientId) -> Result<Vec<Operator>> {
        records(query_all(self.tenant_query(client, OPERATORS)).await?)
    }

    #[tracing::instrument(skip_all, fields(action = ?audit.action))]
    async fn save_operator(
        &self,
        operator: &Operator,
        expect: Precondition,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let operator_item = listed_item(
            operator,
            (
                operator_key(&operator.email),
                keys::client(operator.client.as_str()),
            ),
            &operator.client,
            OPERATORS,
            format!("{}#{}", operator.created_at, operator.email.as_str()),
        )?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(operator_item));
        let put = match expect {
            Precondition::New => put.condition_expression("attribute_not_exists(pk)"),
            Precondition::UpdatedAt(at) => put
                .condition_expression("#updatedAt = :at")
                .expression_attribute_names("#updatedAt", "updatedAt")
                .expression_attribute_values(":at", string_attr(at.to_string())),
        };
        let items = vec![
            TransactWriteItem::builder()
                .put(put.build().map_err(Error::internal)?)
                .build(),
            audit_put(&self.table, audit)?,
        ];
        match transact(&self.client, items).await? {
            Ok(()) => Ok(true),
            // A concurrent write of the same operator is the same story as
            // a failed condition: it changed meanwhile.
            Err(reasons)
                if reasons.first().is_some_and(|r| {
                    is_condition_failure(r) || r.code() == Some("TransactionConflict")
                }) =>
            {
                Ok(false)
            }
            Err(reasons) => Err(Error::internal(format!(
                "operator write cancelled: {:?}",
                codes_of(&reasons)
            ))),
        }
    }

    async fn audit_log(&self, client: &ClientId, limit: usize) -> Result<Vec<AuditEntry>> {
        records(query_up_to(self.tenant_query(client, AUDIT), limit).await?)
    }
}

const SESSION_SK: &str = "SESSION";

fn session_key(id: &str) -> String {
    format!("CONSOLE#{id}")
}

impl ConsoleSessionStore for DynamoOperatorStore {
    async fn save_session(&self, session: &ConsoleSession) -> Result<()> {
        let mut item = to_item(session)?;
        item.insert("pk".into(), string_attr(session_key(&session.id)));
        item.insert("sk".into(), string_attr(SESSION_SK));
        item.insert("ttl".into(), number_attr(session.expires_at.unix()));
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

    async fn session(&self, id: &str) -> Result<Option<ConsoleSession>> {
        get_item(&self.client, &self.table, session_key(id), SESSION_SK, true)
            .await?
            .map(from_item)
            .transpose()
    }

    async fn delete_session(&self, id: &str) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", string_attr(session_key(id)))
            .key("sk", string_attr(SESSION_SK))
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }
}
