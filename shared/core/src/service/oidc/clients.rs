//! OAuth clients through the admin API: each is one project's, served by
//! one of its login flows, and scoped to the caller's tenant.

use crate::domain::ids::is_plausible_id;
use crate::domain::oidc::client::DEFAULT_SECRET_GRACE_SECONDS;
use crate::domain::oidc::{ClientFields, OAuthClient};
use crate::domain::{ClientId, FlowType, ProjectFlow};
use crate::error::{Error, Result};
use crate::ports::{ConfigStore, OidcStore, Page, Precondition};
use crate::service::TenantConfig;

pub struct OAuthClients<S, C> {
    store: S,
    config: TenantConfig<C>,
}

fn not_found() -> Error {
    Error::not_found("oauthClient_not_found", "no such OAuth client")
}

fn concurrent() -> Error {
    Error::conflict(
        "concurrent_update",
        "the record changed while being updated; read it again and retry",
    )
}

impl<S: OidcStore, C: ConfigStore> OAuthClients<S, C> {
    pub fn new(store: S, config: TenantConfig<C>) -> Self {
        Self { store, config }
    }

    fn now(&self) -> crate::domain::Timestamp {
        self.config.now()
    }

    pub async fn get(&self, tenant: &ClientId, id: &str) -> Result<OAuthClient> {
        if !is_plausible_id(id) {
            return Err(not_found());
        }
        match self.store.oauth_client(id).await? {
            Some(c) if c.client == tenant.as_str() && c.archived_at.is_none() => Ok(c),
            _ => Err(not_found()),
        }
    }

    /// A login flow of `project`, of this tenant.
    async fn login_flow(
        &self,
        tenant: &ClientId,
        project: &str,
        flow: &str,
    ) -> Result<ProjectFlow> {
        let flow = self.config.flow(tenant, flow).await?;
        if flow.project != project || flow.flow_type != FlowType::Login {
            return Err(Error::invalid(
                "invalid_field",
                "login_flow: a login flow of the client's project",
            ));
        }
        Ok(flow)
    }

    /// The new client, and its secret when confidential (shown once).
    #[tracing::instrument(skip_all, fields(client = %tenant))]
    pub async fn create(
        &self,
        tenant: &ClientId,
        fields: ClientFields,
    ) -> Result<(OAuthClient, Option<String>)> {
        let mut missing = Vec::new();
        if fields.project.is_none() {
            missing.push("project".to_string());
        }
        if fields.login_flow.is_none() {
            missing.push("login_flow".to_string());
        }
        if !missing.is_empty() {
            return Err(Error::MissingParameters(missing));
        }
        let project = self
            .config
            .project(tenant, fields.project.as_deref().unwrap_or_default())
            .await?;
        let flow = self
            .login_flow(
                tenant,
                &project.id,
                fields.login_flow.as_deref().unwrap_or_default(),
            )
            .await?;
        let (client, secret) = fields.create(tenant.as_str(), &project.id, &flow.id, self.now())?;
        self.store
            .save_oauth_client(&client, Precondition::New)
            .await?;
        Ok((client, secret))
    }

    pub async fn list(
        &self,
        tenant: &ClientId,
        project: Option<&str>,
        page_no: u32,
        limit: u32,
    ) -> Result<Page<OAuthClient>> {
        let live = self
            .store
            .oauth_clients(tenant)
            .await?
            .into_iter()
            .filter(|c| c.archived_at.is_none())
            .filter(|c| project.is_none_or(|p| c.project == p))
            .collect();
        Ok(Page::cut(live, page_no, limit))
    }

    #[tracing::instrument(skip_all, fields(client = %tenant, client_id = %id))]
    pub async fn update(
        &self,
        tenant: &ClientId,
        id: &str,
        fields: ClientFields,
    ) -> Result<OAuthClient> {
        let mut client = self.get(tenant, id).await?;
        let read_at = client.updated_at;
        if let Some(flow) = fields.login_flow.as_deref() {
            self.login_flow(tenant, &client.project, flow).await?;
        }
        fields.apply(&mut client, self.now())?;
        self.save(&client, read_at).await?;
        Ok(client)
    }

    /// A new secret; the old one keeps working for `grace_seconds`.
    #[tracing::instrument(skip_all, fields(client = %tenant, client_id = %id))]
    pub async fn rotate_secret(
        &self,
        tenant: &ClientId,
        id: &str,
        grace_seconds: Option<i64>,
    ) -> Result<(OAuthClient, String)> {
        let mut client = self.get(tenant, id).await?;
        let read_at = client.updated_at;
        let secret = client.rotate_secret(
            self.now(),
            grace_seconds.unwrap_or(DEFAULT_SECRET_GRACE_SECONDS),
        )?;
        self.save(&client, read_at).await?;
        Ok((client, secret))
    }

    /// Archives the client: it can no longer sign anyone in or refresh.
    #[tracing::instrument(skip_all, fields(client = %tenant, client_id = %id))]
    pub async fn archive(&self, tenant: &ClientId, id: &str) -> Result<OAuthClient> {
        let mut client = self.get(tenant, id).await?;
        let read_at = client.updated_at;
        let now = self.now();
        client.archived_at = Some(now);
        client.secrets.clear();
        client.updated_at = now;
        self.save(&client, read_at).await?;
        Ok(client)
    }

    async fn save(&self, client: &OAuthClient, read_at: crate::domain::Timestamp) -> Result<()> {
        if self
            .store
            .save_oauth_client(client, Precondition::UpdatedAt(read_at))
            .await?
        {
            Ok(())
        } else {
            Err(concurrent())
        }
    }
}
