//! Operator writes used by the admin CLI: the table (for local use; SAM
//! creates it in AWS), clients, API keys, projects and flows.

use super::error::storage_error;
use super::{keys, s, to_item, LIST_INDEX};
use crate::domain::{Project, ProjectFlow, Timestamp};
use crate::error::Result;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

#[derive(Clone)]
pub struct DynamoAdmin {
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

impl DynamoAdmin {
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
            .item("pk", s(keys::client(id)))
            .item("sk", s(keys::CLIENT_SK))
            .item("name", s(name))
            .item("createdAt", s(Timestamp::now().to_string()))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    /// Stores only the digest; `prefix` is the first characters of the key,
    /// shown to operators so they can tell keys apart.
    pub async fn put_api_key(&self, client: &str, digest: &str, prefix: &str) -> Result<()> {
        let now = Timestamp::now().to_string();
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(keys::api_key(digest)))
            .item("sk", s(keys::API_KEY_SK))
            .item("client", s(client))
            .item("prefix", s(prefix))
            .item("status", s("active"))
            .item("createdAt", s(now.clone()))
            .item("gsi1pk", s(keys::tenant_list(client, "APIKEYS")))
            .item("gsi1sk", s(format!("{now}#{prefix}")))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    pub async fn put_project(&self, project: &Project) -> Result<()> {
        let key = (keys::project(&project.id), keys::PROJECT_SK);
        self.put_tenant_record(
            project,
            key,
            &project.client,
            "PROJECTS",
            &format!("{}#{}", project.created_at, project.id),
        )
        .await
    }

    pub async fn put_flow(&self, flow: &ProjectFlow) -> Result<()> {
        let key = (keys::flow(&flow.id), keys::FLOW_SK);
        self.put_tenant_record(
            flow,
            key,
            &flow.client,
            "FLOWS",
            &format!("{}#{}", flow.created_at, flow.id),
        )
        .await
    }

    /// A record addressed by its own key and listed under its tenant.
    async fn put_tenant_record<T: serde::Serialize>(
        &self,
        record: &T,
        (pk, sk): (String, &str),
        client: &str,
        kind: &str,
        sort_key: &str,
    ) -> Result<()> {
        let mut item = to_item(record)?;
        item.insert("pk".into(), s(pk));
        item.insert("sk".into(), s(sk));
        item.insert("gsi1pk".into(), s(keys::tenant_list(client, kind)));
        item.insert("gsi1sk".into(), s(sort_key));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }
}
