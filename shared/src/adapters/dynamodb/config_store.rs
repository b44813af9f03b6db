//! Operator writes used by the admin CLI: the table (for local use; SAM
//! creates it in AWS), clients, API keys, projects and flows.

use super::error::storage_error;
use super::{from_item, get_item, keys, query_all, string_attr, to_item, Item, LIST_INDEX};
use crate::domain::tenant_config::{ApiKeyInfo, KeyScope};
use crate::domain::{ClientId, Project, ProjectFlow, Timestamp};
use crate::error::Result;
use crate::ports::{ConfigStore, Precondition};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

#[derive(Clone)]
pub struct DynamoConfigStore {
    client: Client,
    table: String,
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

    /// Creates the table as template.yaml defines it. Returns false if it
    /// already exists.
    pub async fn create_table(&self) -> Result<bool> {
        let exists = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .is_ok();
        if exists {
            return Ok(false);
        }
        let index = GlobalSecondaryIndex::builder()
            .index_name(LIST_INDEX)
            .key_schema(key("gsi1pk", KeyType::Hash))
            .key_schema(key("gsi1sk", KeyType::Range))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .expect("index fields are set");
        self.client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute("pk"))
            .attribute_definitions(attribute("sk"))
            .attribute_definitions(attribute("gsi1pk"))
            .attribute_definitions(attribute("gsi1sk"))
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range))
            .global_secondary_indexes(index)
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

    /// Stores only the digest; `prefix` is the first characters of the key,
    /// shown to operators so they can tell keys apart.
    pub async fn put_api_key(
        &self,
        client: &str,
        digest: &str,
        prefix: &str,
        scope: KeyScope,
    ) -> Result<()> {
        let now = Timestamp::now().to_string();
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", string_attr(keys::api_key(digest)))
            .item("sk", string_attr(keys::API_KEY_SK))
            .item("client", string_attr(client))
            .item("prefix", string_attr(prefix))
            .item("scope", string_attr(scope.as_str()))
            .item("status", string_attr("active"))
            .item("createdAt", string_attr(now.clone()))
            .item("gsi1pk", string_attr(keys::tenant_list(client, "APIKEYS")))
            .item("gsi1sk", string_attr(format!("{now}#{prefix}")))
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

fn api_key_info(item: &Item) -> Option<ApiKeyInfo> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    Some(ApiKeyInfo {
        prefix: text("prefix")?,
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
        prefix: &str,
        scope: KeyScope,
    ) -> Result<ApiKeyInfo> {
        self.put_api_key(client.as_str(), digest, prefix, scope)
            .await?;
        Ok(ApiKeyInfo {
            prefix: prefix.to_string(),
            scope,
            status: "active".into(),
            created_at: Timestamp::now(),
            revoked_at: None,
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
        let result = self
            .client
            .update_item()
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
            .send()
            .await;
        match result {
            Ok(_) => {}
            Err(SdkError::ServiceError(ctx))
                if matches!(
                    ctx.err(),
                    aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(_)
                ) =>
            {
                return Ok(None)
            }
            Err(other) => return Err(storage_error(other)),
        }
        Ok(api_key_info(item).map(|info| ApiKeyInfo {
            status: "revoked".into(),
            revoked_at: Some(now),
            ..info
        }))
    }
}
