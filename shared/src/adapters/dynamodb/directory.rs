//! API keys, projects and flows: read by id with one GetItem each.

use super::{from_item, get_item, keys, Item};
use crate::domain::tenant_config::{KeyGrant, KeyScope};
use crate::domain::{ClientId, Project, ProjectFlow};
use crate::error::Result;
use crate::ports::Directory;
use aws_sdk_dynamodb::Client;

#[derive(Clone)]
pub struct DynamoDirectory {
    client: Client,
    table: String,
}

impl DynamoDirectory {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Directory reads are cached, so eventually consistent is enough.
    async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>> {
        get_item(&self.client, &self.table, pk, sk, false).await
    }
}

impl Directory for DynamoDirectory {
    #[tracing::instrument(skip_all)]
    async fn client_for_key(&self, key_digest: &str) -> Result<Option<KeyGrant>> {
        let Some(item) = self
            .get(keys::api_key(key_digest), keys::API_KEY_SK)
            .await?
        else {
            return Ok(None);
        };
        let active = item
            .get("status")
            .and_then(|v| v.as_s().ok())
            .is_some_and(|s| s == "active");
        let client = item.get("client").and_then(|v| v.as_s().ok()).cloned();
        let scope = KeyScope::stored(
            item.get("scope")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str),
        );
        Ok(client
            .zip(scope)
            .filter(|_| active)
            .map(|(client, scope)| KeyGrant {
                client: ClientId(client),
                scope,
            }))
    }

    #[tracing::instrument(skip(self))]
    async fn project(&self, id: &str) -> Result<Option<Project>> {
        self.get(keys::project(id), keys::PROJECT_SK)
            .await?
            .map(from_item)
            .transpose()
    }

    #[tracing::instrument(skip(self))]
    async fn flow(&self, id: &str) -> Result<Option<ProjectFlow>> {
        self.get(keys::flow(id), keys::FLOW_SK)
            .await?
            .map(from_item)
            .transpose()
    }
}
