//! Operator writes used by the admin CLI: the table (for local use; SAM
//! creates it in AWS), clients, API keys, projects and flows.

use super::error::storage_error;
use super::listing::{self, STATUS_INDEX};
use super::operators::audit_put;
use super::transact::{codes_of, is_condition_failure, transact};
use super::{from_item, get_item, keys, query_all, string_attr, to_item, Item, LIST_INDEX};
use crate::domain::operator::AuditEntry;
use crate::domain::tenant_config::{ApiKeyInfo, KeyScope};
use crate::domain::{ClientId, Project, ProjectFlow, Timestamp};
use crate::error::{Error, Result};
use crate::ports::{ConfigStore, Precondition};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, Projection, ProjectionType, Put,
    ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;

#[derive(Clone)]
pub struct DynamoConfigStore {
    client: Client,
    table: String,
}

fn all() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

fn key(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .expect("name and type are set")
}

fn attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("name and type are set")
}

impl DynamoConfigStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Gives every listed login and registration written before the status
    /// index its keys there (with `phoneDigits`, and a registration its
    /// `nameLower`): one Scan of the table, then one conditional UpdateItem
    /// per record that lacks them. A record written meanwhile already has them and is left alone.
    /// Returns how many records it updated.
    pub async fn backfill_status_index(&self) -> Result<u64> {
        let mut updated = 0;
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression(
                    "attribute_exists(gsi1pk) AND attribute_not_exists(gsi2pk) \
                     AND (sk = :login OR sk = :registration)",
                )
                .expression_attribute_values(":login", string_attr(keys::LOGIN_SK))
                .expression_attribute_values(":registration", string_attr("REGISTRATION"))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(storage_error)?;
            for item in page.items() {
                let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
                let (Some(list), Some(place), Some(status)) =
                    (text("gsi1pk"), text("gsi1sk"), text("status"))
                else {
                    continue;
                };
                let mut update = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .key("pk", item["pk"].clone())
                    .key("sk", item["sk"].clone())
                    .condition_expression("attribute_not_exists(gsi2pk) AND #status = :status")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":status", string_attr(status.clone()))
                    .expression_attribute_values(
                        ":list",
                        string_attr(format!("{list}#STATUS#{status}")),
                    )
                    .expression_attribute_values(":place", string_attr(place));
                let mut expression = "SET gsi2pk = :list, gsi2sk = :place".to_string();
                let registration = text("sk").as_deref() == Some("REGISTRATION");
                let contact = if registration {
                    Some(item)
                } else {
                    item.get("phoneValidation").and_then(|v| v.as_m().ok())
                };
                let contact_text = |name: &str| {
                    contact
                        .and_then(|c| c.get(name))
                        .and_then(|v| v.as_s().ok())
                        .map(String::as_str)
                };
                if let Some(digits) =
                    listing::phone_digits(contact_text("countryCode"), contact_text("phone"))
                {
                    expression.push_str(", phoneDigits = :phone");
                    update = update.expression_attribute_values(":phone", digits);
                }
                if registration {
                    let name = text("fullName").unwrap_or_else(|| {
                        [text("firstName"), text("lastName")]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" ")
                    });
                    expression.push_str(", nameLower = :name");
                    update = update
                        .expression_attribute_values(":name", string_attr(name.to_lowercase()));
                }
                match update.update_expression(expression).send().await {
                    Ok(_) => updated += 1,
                    Err(SdkError::ServiceError(e))
                        if matches!(
                            e.err(),
                            aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(_)
                        ) => {}
                    Err(e) => return Err(storage_error(e)),
                }
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(updated),
            }
        }
    }

    /// Creates the table as template.yaml defines it, or adds the status
    /// index to a table made before it. Returns false if it already exists.
    pub async fn create_table(&self) -> Result<bool> {
        let existing = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .ok()
            .and_then(|out| out.table);
        if let Some(table) = existing {
            // A table made before the status index gains it.
            let has_status_index = table
                .global_secondary_indexes()
                .iter()
                .any(|i| i.index_name() == Some(STATUS_INDEX));
            if !has_status_index {
                self.client
                    .update_table()
                    .table_name(&self.table)
                    .attribute_definitions(attribute("gsi2pk"))
                    .attribute_definitions(attribute("gsi2sk"))
                    .global_secondary_index_updates(
                        GlobalSecondaryIndexUpdate::builder()
                            .create(
                                CreateGlobalSecondaryIndexAction::builder()
                                    .index_name(STATUS_INDEX)
                                    .key_schema(key("gsi2pk", KeyType::Hash))
                                    .key_schema(key("gsi2sk", KeyType::Range))
                                    .projection(all())
                                    .build()
                                    .expect("index fields are set"),
                            )
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(storage_error)?;
            }
            return Ok(false);
        }
        let index = |name: &str, pk: &str, sk: &str| {
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .key_schema(key(pk, KeyType::Hash))
                .key_schema(key(sk, KeyType::Range))
                .projection(all())
                .build()
                .expect("index fields are set")
        };
        self.client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute("pk"))
            .attribute_definitions(attribute("sk"))
            .attribute_definitions(attribute("gsi1pk"))
            .attribute_definitions(attribute("gsi1sk"))
            .attribute_definitions(attribute("gsi2pk"))
            .attribute_definitions(attribute("gsi2sk"))
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range))
            .global_secondary_indexes(index(LIST_INDEX, "gsi1pk", "gsi1sk"))
            .global_secondary_indexes(index(STATUS_INDEX, "gsi2pk", "gsi2sk"))
            .send()
            .await
            .map_err(storage_error)?;
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name("ttl")
                    .enabled(true)
                    .build()
                    .expect("name and flag are set"),
            )
            .send()
            .await
            .map_err(storage_error)?;
        Ok(true)
    }

    /// Whether the client (tenant) `id` was ever created.
    pub async fn client_exists(&self, id: &str) -> Result<bool> {
        Ok(self.get(keys::client(id), keys::CLIENT_SK).await?.is_some())
    }

    pub async fn put_client(&self, id: &str, name: &str) -> Result<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", string_attr(keys::client(id)))
            .item("sk", string_attr(keys::CLIENT_SK))
            .item("name", string_attr(name))
            .item("createdAt", string_attr(Timestamp::now().to_string()))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    /// Stores only the digest, unaudited: for `gatehouse-admin`'s first key
    /// of a new client and the test fixtures. `prefix` is the first
    /// characters of the key, shown to operators so they can tell keys apart.
    pub async fn put_api_key(
        &self,
        client: &str,
        digest: &str,
        prefix: &str,
        scope: KeyScope,
    ) -> Result<()> {
        let key = ApiKeyInfo {
            prefix: prefix.to_owned(),
            name: None,
            scope,
            status: "active".into(),
            created_at: Timestamp::now(),
            revoked_at: None,
        };
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(api_key_item(client, digest, &key)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    pub async fn put_project(&self, project: &Project) -> Result<()> {
        self.save_project(project, Precondition::New)
            .await
            .map(|_| ())
    }

    pub async fn put_flow(&self, flow: &ProjectFlow) -> Result<()> {
        self.save_flow(flow, Precondition::New).await.map(|_| ())
    }

    /// A record addressed by its own key and listed under its tenant,
    /// written only if `expect` holds.
    pub(super) async fn put_tenant_record<T: serde::Serialize>(
        &self,
        record: &T,
        (pk, sk): (String, &str),
        client: &str,
        kind: &str,
        sort_key: &str,
        expect: Precondition,
    ) -> Result<bool> {
        let mut item = to_item(record)?;
        item.insert("pk".into(), string_attr(pk));
        item.insert("sk".into(), string_attr(sk));
        item.insert(
            "gsi1pk".into(),
            string_attr(keys::tenant_list(client, kind)),
        );
        item.insert("gsi1sk".into(), string_attr(sort_key));
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let request = match expect {
            Precondition::New => request.condition_expression("attribute_not_exists(pk)"),
            Precondition::UpdatedAt(at) => request
                .condition_expression("#client = :client AND #updatedAt = :at")
                .expression_attribute_names("#client", "client")
                .expression_attribute_names("#updatedAt", "updatedAt")
                .expression_attribute_values(":client", string_attr(client))
                .expression_attribute_values(":at", string_attr(at.to_string())),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(ctx))
                if matches!(ctx.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(false)
            }
            Err(other) => Err(storage_error(other)),
        }
    }

    /// Configuration reads must see the last write (optimistic locking).
    pub(super) async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>> {
        get_item(&self.client, &self.table, pk, sk, true).await
    }

    pub(super) async fn tenant_list(&self, client: &ClientId, kind: &str) -> Result<Vec<Item>> {
        query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(LIST_INDEX)
                .key_condition_expression("gsi1pk = :pk")
                .expression_attribute_values(
                    ":pk",
                    string_attr(keys::tenant_list(client.as_str(), kind)),
                )
                .scan_index_forward(false),
        )
        .await
    }
}

/// The key's item, under its digest so that authentication is one read,
/// and listed under its tenant.
fn api_key_item(client: &str, digest: &str, key: &ApiKeyInfo) -> Item {
    let created = key.created_at.to_string();
    let mut item = Item::from([
        ("pk".to_owned(), string_attr(keys::api_key(digest))),
        ("sk".to_owned(), string_attr(keys::API_KEY_SK)),
        ("client".to_owned(), string_attr(client)),
        ("prefix".to_owned(), string_attr(&key.prefix)),
        ("scope".to_owned(), string_attr(key.scope.as_str())),
        ("status".to_owned(), string_attr(&key.status)),
        ("createdAt".to_owned(), string_attr(&created)),
        (
            "gsi1pk".to_owned(),
            string_attr(keys::tenant_list(client, "APIKEYS")),
        ),
        (
            "gsi1sk".to_owned(),
            string_attr(format!("{created}#{}", key.prefix)),
        ),
    ]);
    if let Some(name) = &key.name {
        item.insert("name".to_owned(), string_attr(name));
    }
    item
}

fn api_key_info(item: &Item) -> Option<ApiKeyInfo> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    Some(ApiKeyInfo {
        prefix: text("prefix")?,
        name: text("name"),
        scope: KeyScope::stored(text("scope").as_deref())?,
        status: text("status")?,
        created_at: Timestamp::parse(&text("createdAt")?)?,
        revoked_at: text("revokedAt").and_then(|t| Timestamp::parse(&t)),
    })
}

impl ConfigStore for DynamoConfigStore {
    #[tracing::instrument(skip_all, fields(project = %project.id))]
    async fn save_project(&self, project: &Project, expect: Precondition) -> Result<bool> {
        let key = (keys::project(&project.id), keys::PROJECT_SK);
        let sort_key = format!("{}#{}", project.created_at, project.id);
        self.put_tenant_record(project, key, &project.client, "PROJECTS", &sort_key, expect)
            .await
    }

    #[tracing::instrument(skip_all, fields(flow = %flow.id))]
    async fn save_flow(&self, flow: &ProjectFlow, expect: Precondition) -> Result<bool> {
        let key = (keys::flow(&flow.id), keys::FLOW_SK);
        let sort_key = format!("{}#{}", flow.created_at, flow.id);
        self.put_tenant_record(flow, key, &flow.client, "FLOWS", &sort_key, expect)
            .await
    }

    async fn project(&self, id: &str) -> Result<Option<Project>> {
        self.get(keys::project(id), keys::PROJECT_SK)
            .await?
            .map(from_item)
            .transpose()
    }

    async fn flow(&self, id: &str) -> Result<Option<ProjectFlow>> {
        self.get(keys::flow(id), keys::FLOW_SK)
            .await?
            .map(from_item)
            .transpose()
    }

    async fn projects(&self, client: &ClientId) -> Result<Vec<Project>> {
        self.tenant_list(client, "PROJECTS")
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    async fn flows(&self, client: &ClientId) -> Result<Vec<ProjectFlow>> {
        self.tenant_list(client, "FLOWS")
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    async fn save_api_key(
        &self,
        client: &ClientId,
        digest: &str,
        key: &ApiKeyInfo,
        audit: &AuditEntry,
    ) -> Result<()> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(api_key_item(client.as_str(), digest, key)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(Error::internal)?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            audit_put(&self.table, audit)?,
        ];
        transact(&self.client, items).await?.map_err(|reasons| {
            Error::internal(format!("API key write cancelled: {:?}", codes_of(&reasons)))
        })
    }

    async fn api_keys(&self, client: &ClientId) -> Result<Vec<ApiKeyInfo>> {
        Ok(self
            .tenant_list(client, "APIKEYS")
            .await?
            .iter()
            .filter_map(api_key_info)
            .collect())
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_api_key(
        &self,
        client: &ClientId,
        prefix: &str,
        now: Timestamp,
        audit: &AuditEntry,
    ) -> Result<Option<ApiKeyInfo>> {
        let items = self.tenant_list(client, "APIKEYS").await?;
        let Some(item) = items.iter().find(|i| {
            i.get("prefix")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some(prefix)
                && i.get("status")
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                    == Some("active")
        }) else {
            return Ok(None);
        };
        let Some(pk) = item.get("pk").cloned() else {
            return Ok(None);
        };
        let revoke = Update::builder()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", string_attr(keys::API_KEY_SK))
            .update_expression("SET #status = :revoked, revokedAt = :now")
            .condition_expression("#client = :client AND #status = :active")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#client", "client")
            .expression_attribute_values(":revoked", string_attr("revoked"))
            .expression_attribute_values(":active", string_attr("active"))
            .expression_attribute_values(":client", string_attr(client.as_str()))
            .expression_attribute_values(":now", string_attr(now.to_string()))
            .build()
            .map_err(Error::internal)?;
        let items = vec![
            TransactWriteItem::builder().update(revoke).build(),
            audit_put(&self.table, audit)?,
        ];
        match transact(&self.client, items).await? {
            Ok(()) => {}
            // Revoked meanwhile, by another call: no longer an active key.
            Err(reasons)
                if reasons.first().is_some_and(|r| {
                    is_condition_failure(r) || r.code() == Some("TransactionConflict")
                }) =>
            {
                return Ok(None)
            }
            Err(reasons) => {
                return Err(Error::internal(format!(
                    "API key revocation cancelled: {:?}",
                    codes_of(&reasons)
                )))
            }
        }
        Ok(api_key_info(item).map(|info| ApiKeyInfo {
            status: "revoked".into(),
            revoked_at: Some(now),
            ..info
        }))
    }
}
