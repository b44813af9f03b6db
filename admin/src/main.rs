//! gatehouse-admin: operator commands that write straight to the table.
//! Every command prints JSON on stdout. Point it at a deployed table with
//! the usual AWS credentials, or at DynamoDB Local with
//! AWS_ENDPOINT_URL_DYNAMODB.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use gatehouse::adapters::dynamodb::DynamoConfigStore;
use gatehouse::domain::flow::Branding;
use gatehouse::domain::ids::new_id;
use gatehouse::domain::operator::{Actor, OperatorRole};
use gatehouse::domain::tenant_config::{KeyScope, NewApiKey};
use gatehouse::domain::{
    ClientId, FlowStatus, FlowType, LoginSettings, OnboardingSettings, Project, ProjectFlow,
    Timestamp,
};
use gatehouse::service::auth::generate_api_key;
use gatehouse::service::operators::{Acting, Operators};
use serde_json::json;

#[derive(Parser)]
#[command(name = "gatehouse-admin", about = "Gatehouse operator CLI")]
struct Cli {
    /// The DynamoDB table.
    #[arg(long, env = "GATEHOUSE_TABLE")]
    table: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the table with its index and TTL, and the webhook queue with
    /// its dead-letter queue when GATEHOUSE_WEBHOOK_QUEUE_URL is set (local
    /// use; SAM creates them in AWS).
    InitTable,
    /// Give logins and registrations written before the status index
    /// (`gsi2`) their keys there, once, after the deploy that adds it.
    BackfillStatusIndex,
    /// Deliver webhook events from the queue until stopped: what Lambda's
    /// SQS event source does for the delivery function on AWS (local use).
    DeliverWebhooks,
    /// Invite an operator of a client to the console: the first admin is
    /// invited here, later ones from the console or the API as well.
    InviteOperator {
        #[arg(long)]
        client: String,
        #[arg(long)]
        email: String,
        /// `admin`, `reviewer` or `viewer`.
        #[arg(long, default_value = "admin")]
        role: String,
    },
    /// A client's active operators, newest first.
    ListOperators {
        #[arg(long)]
        client: String,
    },
    /// A client's audit log, newest first (at most 100 entries).
    AuditLog {
        #[arg(long)]
        client: String,
    },
    /// Create a client (tenant).
    CreateClient {
        #[arg(long)]
        name: String,
    },
    /// Create an API key for a client. The key is printed once; only its digest is stored.
    CreateApiKey {
        #[arg(long)]
        client: String,
        /// `admin` (projects, flows, keys and everything runtime does) or
        /// `runtime` (App Logins and App Registrations only).
        #[arg(long, default_value = "admin", value_parser = ["admin", "runtime"])]
        scope: String,
        /// A label to tell the key apart in the list, such as `billing backend`.
        #[arg(long)]
        name: Option<String>,
    },
    /// Create a project.
    CreateProject {
        #[arg(long)]
        client: String,
        #[arg(long)]
        name: String,
        /// ISO 3166 alpha-2 codes, comma separated; empty allows every country.
        #[arg(long, value_delimiter = ',')]
        allowed_countries: Vec<String>,
        #[arg(long)]
        contact_email: Option<String>,
        #[arg(long)]
        logo: Option<String>,
        #[arg(long)]
        button_color: Option<String>,
    },
    /// Create a project flow: login (default) or onboarding.
    CreateFlow {
        /// `login` or `onboarding`.
        #[arg(long = "type", default_value = "login", value_parser = parse_flow_type)]
        flow_type: FlowType,
        /// Onboarding settings as JSON, e.g.
        /// '{"steps":{"document":"optional"},"maxAttempts":3,"registrationLifetimeMinutes":1440}'.
        #[arg(long)]
        onboarding_settings: Option<String>,
        #[arg(long)]
        client: String,
        #[arg(long)]
        project: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        email: bool,
        #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
        phone: bool,
        #[arg(long, default_value_t = false)]
        requires_2fa: bool,
        /// Face sign-in with the default thresholds (with --requires-2fa,
        /// the face is the second factor).
        #[arg(long, default_value_t = false)]
        face_login: bool,
        #[arg(long, default_value_t = 600)]
        code_lifetime_seconds: u32,
        #[arg(long, default_value_t = 5)]
        max_attempts: u32,
        #[arg(long, default_value_t = 60)]
        resend_cooldown_seconds: u32,
        /// Leave the flow in draft instead of active.
        #[arg(long, default_value_t = false)]
        draft: bool,
        #[arg(long)]
        redirect_url: Option<String>,
    },
    /// Create an OpenID Connect client (relying party) of a project, served
    /// by one of its login flows. A confidential client's secret is printed
    /// once; only its digest is stored.
    CreateOauthClient {
        #[arg(long)]
        client: String,
        #[arg(long)]
        project: String,
        /// The login flow whose hosted sign-in page serves this client.
        #[arg(long)]
        login_flow: String,
        #[arg(long)]
        name: String,
        /// `public` (browser, mobile: PKCE, no secret) or `confidential`.
        #[arg(long = "type", default_value = "confidential")]
        client_type: String,
        /// Repeat for each exact redirect URI.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// Repeat for each allowed scope (default: openid email phone).
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// `RS256` (the default) or `EdDSA`.
        #[arg(long, default_value = "RS256")]
        id_token_alg: String,
    },
    /// Create a client, an API key, a project, and active email+SMS login
    /// and onboarding flows.
    Demo {
        #[arg(long, default_value = "Gatehouse Demo")]
        name: String,
    },
}

struct Admin {
    db: DynamoConfigStore,
}

impl Admin {
    /// `id` as a client that exists: an operator of no tenant is refused.
    async fn existing_client(&self, id: &str) -> Result<ClientId> {
        if !self.db.client_exists(id).await? {
            anyhow::bail!("no client {id}: create it with create-client");
        }
        Ok(ClientId(id.to_owned()))
    }

    async fn client(&self, name: &str) -> Result<String> {
        let id = new_id();
        self.db
            .put_client(&id, name)
            .await
            .context("creating the client")?;
        Ok(id)
    }

    async fn api_key(&self, client: &str, scope: KeyScope) -> Result<String> {
        let (key, digest) = generate_api_key();
        let prefix: String = key.chars().take(12).collect();
        self.db
            .put_api_key(client, &digest, &prefix, scope)
            .await
            .context("creating the API key")?;
        Ok(key)
    }

    async fn project(&self, project: Project) -> Result<Project> {
        self.db
            .put_project(&project)
            .await
            .context("creating the project")?;
        Ok(project)
    }

    async fn flow(&self, flow: ProjectFlow) -> Result<ProjectFlow> {
        flow.login_settings
            .validate()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        flow.onboarding_settings
            .validate()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        self.db
            .put_flow(&flow)
            .await
            .context("creating the project flow")?;
        Ok(flow)
    }
}

fn new_project(
    client: String,
    name: String,
    allowed_countries: Vec<String>,
    contact_email: Option<String>,
    branding: Branding,
) -> Project {
    let now = Timestamp::now();
    Project {
        id: new_id(),
        client,
        name,
        allowed_countries: allowed_countries
            .into_iter()
            .map(|c| c.trim().to_uppercase())
            .filter(|c| !c.is_empty())
            .collect(),
        contact_email,
        privacy_url: None,
        terms_url: None,
        branding,
        allowed_origins: vec![],
        created_at: now,
        updated_at: now,
        archived_at: None,
    }
}

fn parse_flow_type(input: &str) -> Result<FlowType, String> {
    match input {
        "login" => Ok(FlowType::Login),
        "onboarding" => Ok(FlowType::Onboarding),
        other => Err(format!("{other:?} is not login or onboarding")),
    }
}

struct NewFlow {
    client: String,
    project: String,
    name: String,
    flow_type: FlowType,
    settings: LoginSettings,
    onboarding: OnboardingSettings,
    status: FlowStatus,
    redirect_url: Option<String>,
}

fn new_flow(flow: NewFlow) -> ProjectFlow {
    let NewFlow {
        client,
        project,
        name,
        flow_type,
        settings,
        onboarding,
        status,
        redirect_url,
    } = flow;
    let now = Timestamp::now();
    ProjectFlow {
        id: new_id(),
        client,
        project,
        name,
        flow_type,
        status,
        redirect_url,
        redirect_mode: Default::default(),
        allowed_countries: vec![],
        login_settings: settings,
        onboarding_settings: onboarding,
        security: Default::default(),
        webhook_url: None,
        webhook_secret: None,
        created_at: now,
        updated_at: now,
        archived_at: None,
    }
}

/// The webhook queue and its dead-letter queue, when the environment names one.
async fn init_webhook_queue(aws: &gatehouse::wiring::Aws) -> Result<Option<serde_json::Value>> {
    let config =
        gatehouse::settings::WebhookConfig::from_env().map_err(|e| anyhow::anyhow!("{e}"))?;
    let Some(url) = config.queue_url else {
        return Ok(None);
    };
    let queue =
        gatehouse::adapters::sqs::SqsQueue::new(gatehouse::wiring::sqs_client(aws), url.clone());
    let dead_letters = queue
        .create_with_dead_letter(config.schedule.max_attempts)
        .await
        .context("creating the webhook queues")?;
    Ok(Some(
        json!({ "queue": url, "deadLetterQueue": dead_letters }),
    ))
}

fn operators(
    aws: &gatehouse::wiring::Aws,
    table: &str,
) -> Operators<gatehouse::adapters::dynamodb::DynamoOperatorStore> {
    Operators::new(
        gatehouse::adapters::dynamodb::DynamoOperatorStore::new(aws.dynamodb.clone(), table),
        std::sync::Arc::new(gatehouse::ports::SystemClock),
    )
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let aws = gatehouse::wiring::Aws::load()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let admin = Admin {
        db: DynamoConfigStore::new(aws.dynamodb.clone(), &cli.table),
    };
    let output = match cli.command {
        Command::InitTable => {
            let created = admin
                .db
                .create_table()
                .await
                .context("creating the table")?;
            let queues = init_webhook_queue(&aws).await?;
            json!({ "table": cli.table, "created": created, "webhookQueues": queues })
        }
        Command::BackfillStatusIndex => {
            let updated = admin
                .db
                .backfill_status_index()
                .await
                .context("backfilling the status index")?;
            json!({ "table": cli.table, "updated": updated })
        }
        Command::DeliverWebhooks => {
            let (deliveries, queue) =
                gatehouse::wiring::webhook_deliveries(&aws).map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("delivering webhook events from {}", queue.url());
            loop {
                // A 1-second long poll: the SDK's attempt timeout
                // (GATEHOUSE_AWS_ATTEMPT_TIMEOUT_MS, 2 s) bounds a receive.
                let wait = std::time::Duration::from_secs(1);
                if let Err(e) = gatehouse::api::webhooks::pump(&deliveries, &queue, wait).await {
                    eprintln!("webhook queue: {e}");
                    tokio::time::sleep(wait).await;
                }
            }
        }
        Command::CreateOauthClient {
            client,
            project,
            login_flow,
            name,
            client_type,
            redirect_uris,
            post_logout_redirect_uris,
            scopes,
            id_token_alg,
        } => {
            let fields: gatehouse::domain::oidc::ClientFields = serde_json::from_value(json!({
                "project": project,
                "login_flow": login_flow,
                "client_name": name,
                "client_type": client_type,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": post_logout_redirect_uris,
                "scopes": if scopes.is_empty() { None } else { Some(scopes) },
                "id_token_signed_response_alg": id_token_alg,
            }))
            .context("--type is public or confidential; --id-token-alg is RS256 or EdDSA")?;
            let clients = gatehouse::service::oidc::OAuthClients::new(
                gatehouse::adapters::dynamodb::DynamoOidcStore::new(
                    aws.dynamodb.clone(),
                    &cli.table,
                ),
                gatehouse::service::TenantConfig::new(
                    DynamoConfigStore::new(aws.dynamodb.clone(), &cli.table),
                    std::sync::Arc::new(gatehouse::ports::SystemClock),
                ),
            );
            let tenant = gatehouse::domain::ClientId(client);
            let (created, secret) = clients
                .create(&tenant, fields)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut value = serde_json::to_value(created.view(Timestamp::now()))?;
            if let Some(secret) = secret {
                value["client_secret"] = json!(secret);
            }
            value
        }
        Command::InviteOperator {
            client,
            email,
            role,
        } => {
            let role = OperatorRole::parse(&role).map_err(|e| anyhow::anyhow!("--role: {e}"))?;
            let client = admin.existing_client(&client).await?;
            let invited = operators(&aws, &cli.table)
                .invite(&client, &Acting::admin_cli(), &email, role)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            serde_json::to_value(invited)?
        }
        Command::ListOperators { client } => {
            let client = admin.existing_client(&client).await?;
            let listed = operators(&aws, &cli.table)
                .list(&client, &Acting::admin_cli())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            json!({ "operators": listed })
        }
        Command::AuditLog { client } => {
            let client = admin.existing_client(&client).await?;
            let entries = operators(&aws, &cli.table)
                .audit_log(&client, &Acting::admin_cli())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            json!({ "audit": entries })
        }
        Command::CreateClient { name } => json!({ "client": admin.client(&name).await? }),
        Command::CreateApiKey {
            client,
            scope,
            name,
        } => {
            let tenant = admin.existing_client(&client).await?;
            let scope = KeyScope::parse(&scope).unwrap_or(KeyScope::Admin);
            let config = gatehouse::service::TenantConfig::new(
                DynamoConfigStore::new(aws.dynamodb.clone(), &cli.table),
                std::sync::Arc::new(gatehouse::ports::SystemClock),
            );
            let (key, info) = config
                .create_api_key(&tenant, Actor::AdminCli, NewApiKey { scope, name })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut value = serde_json::to_value(info)?;
            value["client"] = json!(client);
            value["apiKey"] = json!(key);
            value
        }
        Command::CreateProject {
            client,
            name,
            allowed_countries,
            contact_email,
            logo,
            button_color,
        } => {
            let branding = Branding {
                logo,
                button_color,
                button_text_color: None,
            };
            let project = admin
                .project(new_project(
                    client,
                    name,
                    allowed_countries,
                    contact_email,
                    branding,
                ))
                .await?;
            serde_json::to_value(project)?
        }
        Command::CreateFlow {
            flow_type,
            onboarding_settings,
            client,
            project,
            name,
            email,
            phone,
            requires_2fa,
            face_login,
            code_lifetime_seconds,
            max_attempts,
            resend_cooldown_seconds,
            draft,
            redirect_url,
        } => {
            let settings = LoginSettings {
                email,
                phone,
                requires_2fa,
                code_lifetime_seconds,
                max_attempts,
                resend_cooldown_seconds,
                face_liveness: face_login.then(Default::default),
            };
            let status = if draft {
                FlowStatus::Draft
            } else {
                FlowStatus::Active
            };
            let onboarding = match onboarding_settings {
                Some(json) => serde_json::from_str(&json).context("--onboarding-settings")?,
                None => OnboardingSettings::default(),
            };
            serde_json::to_value(
                admin
                    .flow(new_flow(NewFlow {
                        client,
                        project,
                        name,
                        flow_type,
                        settings,
                        onboarding,
                        status,
                        redirect_url,
                    }))
                    .await?,
            )?
        }
        Command::Demo { name } => {
            admin
                .db
                .create_table()
                .await
                .context("creating the table")?;
            init_webhook_queue(&aws).await?;
            let client = admin.client(&name).await?;
            let api_key = admin.api_key(&client, KeyScope::Admin).await?;
            let runtime_key = admin.api_key(&client, KeyScope::Runtime).await?;
            let project = admin
                .project(new_project(
                    client.clone(),
                    name.clone(),
                    vec![],
                    Some("support@example.com".into()),
                    Branding::default(),
                ))
                .await?;
            let settings = LoginSettings {
                email: true,
                phone: true,
                ..LoginSettings::default()
            };
            let demo_flow = |flow_type, label: &str| NewFlow {
                client: client.clone(),
                project: project.id.clone(),
                name: format!("{name} {label}"),
                flow_type,
                settings: settings.clone(),
                onboarding: OnboardingSettings::default(),
                status: FlowStatus::Active,
                redirect_url: None,
            };
            let flow = admin
                .flow(new_flow(demo_flow(FlowType::Login, "login")))
                .await?;
            let onboarding = admin
                .flow(new_flow(demo_flow(FlowType::Onboarding, "onboarding")))
                .await?;
            // The same onboarding with Gatehouse reading the document and
            // checking the live face (locally: the face and document engine).
            let mut verified = demo_flow(FlowType::Onboarding, "verified onboarding");
            verified.onboarding.identity_verification.verifier =
                gatehouse::domain::identity::Verifier::Gatehouse;
            let verified = admin.flow(new_flow(verified)).await?;
            // Face sign-in for the faces those onboardings enrol.
            let mut face = demo_flow(FlowType::Login, "face login");
            face.settings.face_liveness = Some(Default::default());
            let face = admin.flow(new_flow(face)).await?;
            json!({
                "table": cli.table,
                "client": client,
                "apiKey": api_key,
                "runtimeApiKey": runtime_key,
                "project": project.id,
                "projectFlow": flow.id,
                "onboardingFlow": onboarding.id,
                "verifiedOnboardingFlow": verified.id,
                "faceLoginFlow": face.id,
            })
        }
    };
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}
