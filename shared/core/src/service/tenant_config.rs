//! The client's own configuration through the API: projects, project
//! flows and API keys. Every read and write is scoped to the caller's
//! tenant; another tenant's record answers like a missing one.

use super::auth::generate_api_key;
use crate::domain::ids::Record;
use crate::domain::operator::{Actor, AuditAction, AuditEntry};
use crate::domain::tenant_config::{ApiKeyInfo, FlowFields, NewApiKey, ProjectFields};
use crate::domain::webhook::AddressPolicy;
use crate::domain::{ClientId, Project, ProjectFlow};
use crate::error::{Error, Result};
use crate::ports::{Clock, ConfigStore, Page, Precondition};
use std::sync::Arc;

fn concurrent() -> Error {
    Error::conflict(
        "concurrent_update",
        "the record changed while being updated; read it again and retry",
    )
}

pub struct TenantConfig<C> {
    store: C,
    clock: Arc<dyn Clock>,
    webhooks: AddressPolicy,
}

impl<C: ConfigStore> TenantConfig<C> {
    pub fn new(store: C, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            webhooks: AddressPolicy::default(),
        }
    }

    /// Which webhook hosts a flow may name: public ones, and loopback only
    /// under `make dev` and the tests.
    pub fn with_webhook_policy(mut self, webhooks: AddressPolicy) -> Self {
        self.webhooks = webhooks;
        self
    }

    pub fn now(&self) -> crate::domain::Timestamp {
        self.clock.now()
    }

    /// The client's live project, or 404.
    pub async fn project(&self, client: &ClientId, id: &str) -> Result<Project> {
        Record::Project.id(id)?;
        match self.store.project(id).await? {
            Some(p) if p.client == client.as_str() && p.archived_at.is_none() => Ok(p),
            _ => Err(Record::Project.not_found()),
        }
    }

    pub async fn flow(&self, client: &ClientId, id: &str) -> Result<ProjectFlow> {
        Record::Flow.id(id)?;
        match self.store.flow(id).await? {
            Some(f) if f.client == client.as_str() && f.archived_at.is_none() => Ok(f),
            _ => Err(Record::Flow.not_found()),
        }
    }

    #[tracing::instrument(skip_all, fields(client = %client))]
    pub async fn create_project(
        &self,
        client: &ClientId,
        fields: ProjectFields,
    ) -> Result<Project> {
        let project = fields.create(client.as_str(), self.clock.now())?;
        self.store.save_project(&project, Precondition::New).await?;
        Ok(project)
    }

    pub async fn list_projects(
        &self,
        client: &ClientId,
        page_no: u32,
        limit: u32,
    ) -> Result<Page<Project>> {
        let live = self
            .store
            .projects(client)
            .await?
            .into_iter()
            .filter(|p| p.archived_at.is_none())
            .collect();
        Ok(Page::cut(live, page_no, limit))
    }

    #[tracing::instrument(skip_all, fields(client = %client, project = %id))]
    pub async fn update_project(
        &self,
        client: &ClientId,
        id: &str,
        fields: ProjectFields,
    ) -> Result<Project> {
        let mut project = self.project(client, id).await?;
        let read_at = project.updated_at;
        fields.apply(&mut project, self.clock.now())?;
        if !self
            .store
            .save_project(&project, Precondition::UpdatedAt(read_at))
            .await?
        {
            return Err(concurrent());
        }
        Ok(project)
    }

    /// Archives the project and stops every flow under it.
    #[tracing::instrument(skip_all, fields(client = %client, project = %id))]
    pub async fn archive_project(&self, client: &ClientId, id: &str) -> Result<Project> {
        let mut project = self.project(client, id).await?;
        let read_at = project.updated_at;
        let now = self.clock.now();
        for flow in self.store.flows(client).await? {
            if flow.project == project.id && flow.archived_at.is_none() {
                self.archive(flow).await?;
            }
        }
        project.archived_at = Some(now);
        project.updated_at = now;
        if !self
            .store
            .save_project(&project, Precondition::UpdatedAt(read_at))
            .await?
        {
            return Err(concurrent());
        }
        Ok(project)
    }

    #[tracing::instrument(skip_all, fields(client = %client))]
    pub async fn create_flow(&self, client: &ClientId, fields: FlowFields) -> Result<ProjectFlow> {
        let Some(project_id) = fields.project.clone() else {
            return Err(Error::MissingParameters(vec!["project".into()]));
        };
        let project = self.project(client, &project_id).await?;
        let flow = fields.create(&project, self.clock.now(), self.webhooks)?;
        self.store.save_flow(&flow, Precondition::New).await?;
        Ok(flow)
    }

    pub async fn list_flows(
        &self,
        client: &ClientId,
        project: Option<&str>,
        page_no: u32,
        limit: u32,
    ) -> Result<Page<ProjectFlow>> {
        let live = self
            .store
            .flows(client)
            .await?
            .into_iter()
            .filter(|f| f.archived_at.is_none())
            .filter(|f| project.is_none_or(|p| f.project == p))
            .collect();
        Ok(Page::cut(live, page_no, limit))
    }

    #[tracing::instrument(skip_all, fields(client = %client, flow = %id))]
    pub async fn update_flow(
        &self,
        client: &ClientId,
        id: &str,
        fields: FlowFields,
    ) -> Result<ProjectFlow> {
        let mut flow = self.flow(client, id).await?;
        let read_at = flow.updated_at;
        fields.apply(&mut flow, self.clock.now(), self.webhooks)?;
        if !self
            .store
            .save_flow(&flow, Precondition::UpdatedAt(read_at))
            .await?
        {
            return Err(concurrent());
        }
        Ok(flow)
    }

    #[tracing::instrument(skip_all, fields(client = %client, flow = %id))]
    pub async fn archive_flow(&self, client: &ClientId, id: &str) -> Result<ProjectFlow> {
        let flow = self.flow(client, id).await?;
        self.archive(flow).await
    }

    async fn archive(&self, mut flow: ProjectFlow) -> Result<ProjectFlow> {
        let read_at = flow.updated_at;
        let now = self.clock.now();
        flow.archived_at = Some(now);
        flow.status = crate::domain::FlowStatus::Paused;
        flow.updated_at = now;
        if !self
            .store
            .save_flow(&flow, Precondition::UpdatedAt(read_at))
            .await?
        {
            return Err(concurrent());
        }
        Ok(flow)
    }

    /// A new key for the caller's tenant: returned once, stored as a
    /// digest, and audited under `actor`.
    #[tracing::instrument(skip_all, fields(client = %client))]
    pub async fn create_api_key(
        &self,
        client: &ClientId,
        actor: Actor,
        request: NewApiKey,
    ) -> Result<(String, ApiKeyInfo)> {
        let name = request.label()?;
        let (key, digest) = generate_api_key();
        let now = self.clock.now();
        let info = ApiKeyInfo {
            prefix: super::auth::key_prefix(&key),
            name,
            scope: request.scope,
            status: "active".into(),
            created_at: now,
            revoked_at: None,
        };
        let audit = AuditEntry::new(
            client,
            actor,
            AuditAction::ApiKeyCreated,
            info.prefix.clone(),
            Some(format!("scope {}", info.scope.as_str())),
            now,
        );
        self.store
            .save_api_key(client, &digest, &info, &audit)
            .await?;
        Ok((key, info))
    }

    pub async fn list_api_keys(&self, client: &ClientId) -> Result<Vec<ApiKeyInfo>> {
        self.store.api_keys(client).await
    }

    #[tracing::instrument(skip_all, fields(client = %client))]
    pub async fn revoke_api_key(
        &self,
        client: &ClientId,
        actor: Actor,
        prefix: &str,
    ) -> Result<ApiKeyInfo> {
        let valid = prefix.len() == 12
            && prefix.starts_with(super::auth::API_KEY_PREFIX)
            && prefix[4..].bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(Error::not_found(
                "apiKey_not_found",
                "no active API key with this prefix",
            ));
        }
        let now = self.clock.now();
        let audit = AuditEntry::new(client, actor, AuditAction::ApiKeyRevoked, prefix, None, now);
        self.store
            .revoke_api_key(client, prefix, now, &audit)
            .await?
            .ok_or_else(|| {
                Error::not_found("apiKey_not_found", "no active API key with this prefix")
            })
    }
}
