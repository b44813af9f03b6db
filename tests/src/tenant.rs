//! A tenant of its own per test: client, API key, project and login flow,
//! written with the same admin adapter the CLI uses.

use gatehouse::adapters::dynamodb::DynamoConfigStore;
use gatehouse::domain::flow::Branding;
use gatehouse::domain::ids::new_id;
use gatehouse::domain::tenant_config::KeyScope;
use gatehouse::domain::{
    FlowStatus, FlowType, LoginSettings, OnboardingSettings, Project, ProjectFlow, Timestamp,
};
use gatehouse::service::auth::generate_api_key;
use gatehouse::wiring::Aws;

#[derive(Clone, Debug)]
pub struct Tenant {
    pub client: String,
    pub api_key: String,
    pub project: String,
    pub flow: String,
    /// The flow's webhook signing secret, when it has a webhook.
    pub webhook_secret: Option<String>,
}

pub struct TenantBuilder {
    settings: LoginSettings,
    allowed_countries: Vec<String>,
    status: FlowStatus,
    flow_type: FlowType,
    onboarding: OnboardingSettings,
    security: gatehouse::domain::flow::FlowSecurity,
    webhook_url: Option<String>,
}

impl Tenant {
    /// Email and SMS, the default limits.
    pub fn builder() -> TenantBuilder {
        TenantBuilder {
            settings: LoginSettings {
                email: true,
                phone: true,
                ..LoginSettings::default()
            },
            allowed_countries: vec![],
            status: FlowStatus::Active,
            flow_type: FlowType::Login,
            onboarding: OnboardingSettings::default(),
            security: Default::default(),
            webhook_url: None,
        }
    }

    /// An onboarding flow with these settings, codes by email and SMS.
    pub fn onboarding(settings: OnboardingSettings) -> TenantBuilder {
        TenantBuilder {
            flow_type: FlowType::Onboarding,
            onboarding: settings,
            ..Self::builder()
        }
    }

    pub async fn create() -> Tenant {
        Self::builder().create().await
    }

    /// Adds an active login flow with `settings` to this tenant's project;
    /// returns its id.
    pub async fn add_login_flow(&self, settings: LoginSettings) -> String {
        let table = crate::stack_var("GATEHOUSE_TABLE");
        let admin = DynamoConfigStore::new(Aws::load().await.expect("AWS config").dynamodb, table);
        let now = Timestamp::now();
        let flow = ProjectFlow {
            id: new_id(),
            client: self.client.clone(),
            project: self.project.clone(),
            name: "Face login".into(),
            flow_type: FlowType::Login,
            status: FlowStatus::Active,
            redirect_url: None,
            redirect_mode: Default::default(),
            allowed_countries: vec![],
            login_settings: settings,
            onboarding_settings: OnboardingSettings::default(),
            security: Default::default(),
            webhook_url: None,
            webhook_secret: None,
            created_at: now,
            updated_at: now,
            archived_at: None,
        };
        admin.put_flow(&flow).await.expect("flow");
        flow.id
    }
}

impl TenantBuilder {
    pub fn settings(mut self, settings: LoginSettings) -> Self {
        self.settings = settings;
        self
    }

    pub fn allowed_countries(mut self, countries: &[&str]) -> Self {
        self.allowed_countries = countries.iter().map(|c| c.to_string()).collect();
        self
    }

    pub fn security(mut self, security: gatehouse::domain::flow::FlowSecurity) -> Self {
        self.security = security;
        self
    }

    /// A webhook at `url`, with a new signing secret (read it back with
    /// `Tenant::flow_record`).
    pub fn webhook(mut self, url: &str) -> Self {
        self.webhook_url = Some(url.to_string());
        self
    }

    pub fn status(mut self, status: FlowStatus) -> Self {
        self.status = status;
        self
    }

    pub async fn create(self) -> Tenant {
        let table = crate::stack_var("GATEHOUSE_TABLE");
        let admin = DynamoConfigStore::new(Aws::load().await.expect("AWS config").dynamodb, table);
        let client = new_id();
        admin
            .put_client(&client, "Test client")
            .await
            .expect("client");
        let (api_key, digest) = generate_api_key();
        admin
            .put_api_key(&client, &digest, &api_key[..12], KeyScope::Admin)
            .await
            .expect("api key");
        let now = Timestamp::now();
        let project = Project {
            id: new_id(),
            client: client.clone(),
            name: "Acme Test App".into(),
            allowed_countries: self.allowed_countries,
            contact_email: None,
            privacy_url: None,
            terms_url: None,
            branding: Branding::default(),
            allowed_origins: vec![],
            created_at: now,
            updated_at: now,
            archived_at: None,
        };
        admin.put_project(&project).await.expect("project");
        let flow = ProjectFlow {
            id: new_id(),
            client: client.clone(),
            project: project.id.clone(),
            name: "Test login".into(),
            flow_type: self.flow_type,
            status: self.status,
            redirect_url: None,
            redirect_mode: Default::default(),
            allowed_countries: vec![],
            login_settings: self.settings,
            onboarding_settings: self.onboarding,
            security: self.security,
            webhook_secret: self
                .webhook_url
                .as_ref()
                .map(|_| gatehouse::domain::webhook::new_secret()),
            webhook_url: self.webhook_url,
            created_at: now,
            updated_at: now,
            archived_at: None,
        };
        admin.put_flow(&flow).await.expect("flow");
        Tenant {
            client,
            api_key,
            project: project.id,
            webhook_secret: flow.webhook_secret.clone(),
            flow: flow.id,
        }
    }
}
