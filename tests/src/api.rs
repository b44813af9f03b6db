//! Calls the real handlers with API Gateway HTTP API (v2) events, parsed by
//! lambda_http exactly as in Lambda.

use gatehouse::adapters::dynamodb::{CallCounter, DynamoLoginStore};
use gatehouse::api::app_logins;
use gatehouse::api::request::{answered, respond};
use gatehouse::domain::limits::AbuseLimits;
use gatehouse::domain::Timestamp;
use gatehouse::ports::Clock;
use gatehouse::service::{Authenticator, CodeChecker, LoginReader};
use gatehouse::wiring::{self, Sender, SharedDirectory};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use std::sync::Arc;

/// A fresh source IP per harness, so the per-IP limits of one test never
/// touch another (198.18.0.0/15 is reserved for such testing).
fn fresh_ip() -> String {
    let r = ulid::Ulid::new().random();
    format!(
        "198.{}.{}.{}",
        18 + (r % 2),
        (r >> 8) % 256,
        1 + (r >> 16) % 254
    )
}
pub const TEST_USER_AGENT: &str = "gatehouse-tests/1.0";

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: lambda_http::http::HeaderMap,
    pub retry_after: Option<String>,
    pub body: Value,
    pub raw: String,
}

impl Reply {
    pub fn from_response(response: Response<Body>) -> Self {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let raw = match response.body() {
            Body::Text(t) => t.clone(),
            Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        };
        let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
        Self {
            status,
            headers: response.headers().clone(),
            retry_after,
            body,
            raw,
        }
    }

    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }
}

/// Time moved forward by a fixed amount, to reach code expiry without waiting.
pub struct ShiftedClock(pub i64);

impl Clock for ShiftedClock {
    fn now(&self) -> Timestamp {
        Timestamp::now().plus_seconds(self.0)
    }
}

/// How a harness differs from production wiring.
pub struct Options {
    pub clock: Arc<dyn Clock>,
    pub limits: AbuseLimits,
    /// Reach DynamoDB here (a fault proxy) instead of the stack's.
    pub dynamodb_endpoint: Option<String>,
    /// Send email from this address instead of the verified sender.
    pub email_from: Option<String>,
    /// Queue webhook events here instead of the stack's queue.
    pub webhook_queue: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            clock: Arc::new(gatehouse::ports::SystemClock),
            limits: AbuseLimits::default(),
            dynamodb_endpoint: None,
            email_from: None,
            webhook_queue: None,
        }
    }
}

/// The stack's AWS config with every DynamoDB call counted, and sent to
/// `endpoint` when given.
pub async fn aws_through(endpoint: Option<&str>, calls: &CallCounter) -> wiring::Aws {
    let mut aws = wiring::Aws::load().await.expect("AWS config");
    let mut builder =
        aws_sdk_dynamodb::config::Builder::from(&aws.config).interceptor(calls.clone());
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    aws.dynamodb = aws_sdk_dynamodb::Client::from_conf(builder.build());
    aws
}

pub struct Api {
    /// The source IP of every request this harness sends.
    pub ip: String,
    calls: CallCounter,
    auth: Authenticator<SharedDirectory>,
    sender: Sender,
    verifier: CodeChecker<DynamoLoginStore>,
    reader_auth: Authenticator<SharedDirectory>,
    reader: LoginReader<DynamoLoginStore>,
    /// Verifik's `/v2/{email,phone}-validations` forms.
    verifik: wiring::RegistrationService,
}

/// An API Gateway v2 event as JSON. `body` is sent verbatim.
#[allow(clippy::too_many_arguments)]
pub fn event(
    ip: &str,
    method: &str,
    path: &str,
    query: &str,
    path_id: Option<&str>,
    api_key: Option<&str>,
    body: Option<&str>,
) -> Request {
    let mut headers = json!({"content-type": "application/json", "user-agent": TEST_USER_AGENT});
    if let Some(key) = api_key {
        headers["authorization"] = json!(format!("Bearer {key}"));
    }
    event_with_headers(ip, method, path, query, path_id, headers, body)
}

/// As `event`, with exactly these headers.
pub fn event_with_headers(
    ip: &str,
    method: &str,
    path: &str,
    query: &str,
    path_id: Option<&str>,
    headers: Value,
    body: Option<&str>,
) -> Request {
    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "pathParameters": path_id.map(|id| json!({"id": id})).unwrap_or(json!({})),
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "api.local",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": ip, "userAgent": TEST_USER_AGENT},
            "requestId": ulid::Ulid::new().to_string(),
            "routeKey": "$default",
            "stage": "$default",
            "time": "24/Nov/2026:19:30:00 +0000",
            "timeEpoch": 1795462200000u64
        },
        "body": body,
        "isBase64Encoded": false
    });
    lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway event")
}

impl Api {
    pub async fn new() -> Self {
        Self::with_clock(Arc::new(gatehouse::ports::SystemClock)).await
    }

    /// The validate endpoints read time from `clock`.
    pub async fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self::with(clock, AbuseLimits::default()).await
    }

    /// With these abuse limits instead of the configured ones.
    pub async fn with_limits(limits: AbuseLimits) -> Self {
        Self::with(Arc::new(gatehouse::ports::SystemClock), limits).await
    }

    async fn with(clock: Arc<dyn Clock>, limits: AbuseLimits) -> Self {
        Self::custom(Options {
            clock,
            limits,
            ..Options::default()
        })
        .await
    }

    /// Reaching DynamoDB at `endpoint` (a fault proxy).
    pub async fn through_endpoint(endpoint: &str) -> Self {
        Self::custom(Options {
            dynamodb_endpoint: Some(endpoint.to_string()),
            ..Options::default()
        })
        .await
    }

    pub async fn custom(options: Options) -> Self {
        let Options {
            clock,
            limits,
            dynamodb_endpoint,
            email_from,
            webhook_queue,
        } = options;
        crate::logs::capture();
        let calls = CallCounter::default();
        let aws = aws_through(dynamodb_endpoint.as_deref(), &calls).await;
        let mut messaging = gatehouse::settings::MessagingConfig::from_env().expect("messaging");
        if let Some(from) = email_from {
            messaging.email_from = from;
        }
        let (auth, sender) =
            wiring::harness::login_sender_from(&aws, messaging).expect("sender config");
        let sender = sender.with_limits(limits.clone());
        let mut verifier = wiring::harness::login_verifier_with_clock(&aws, clock.clone())
            .expect("verifier config")
            .with_limits(limits.clone());
        if let Some(queue) = &webhook_queue {
            verifier = verifier
                .with_events(wiring::harness::events_to(&aws, queue).expect("webhook queue"));
        }
        let (reader_auth, reader) = wiring::login_reader(&aws).expect("reader config");
        let verifik = wiring::harness::registrations_with_clock(&aws, clock.clone())
            .expect("registration config")
            .with_limits(limits);
        Self {
            ip: fresh_ip(),
            calls,
            auth,
            sender,
            verifier,
            reader_auth,
            reader,
            verifik,
        }
    }

    /// The DynamoDB operations sent since the last call.
    pub fn dynamodb_calls(&self) -> Vec<String> {
        self.calls.take()
    }

    pub async fn create_raw(&self, api_key: Option<&str>, body: &str) -> Reply {
        let req = event(
            &self.ip,
            "POST",
            "/v2/app-logins",
            "",
            None,
            api_key,
            Some(body),
        );
        Reply::from_response(answered(
            app_logins::create(&self.auth, &self.sender, req).await,
        ))
    }

    /// A body that is not text: API Gateway base64-encodes it, and
    /// lambda_http hands it over as `Body::Binary`.
    pub async fn create_binary(&self, api_key: &str, body: &[u8]) -> Reply {
        let mut req = event(
            &self.ip,
            "POST",
            "/v2/app-logins",
            "",
            None,
            Some(api_key),
            None,
        );
        *req.body_mut() = Body::Binary(body.to_vec());
        Reply::from_response(answered(
            app_logins::create(&self.auth, &self.sender, req).await,
        ))
    }

    /// A create with exactly these headers (no API key unless given there).
    pub async fn create_with_headers(&self, headers: Value, body: &str) -> Reply {
        let req = event_with_headers(
            &self.ip,
            "POST",
            "/v2/app-logins",
            "",
            None,
            headers,
            Some(body),
        );
        Reply::from_response(answered(
            app_logins::create(&self.auth, &self.sender, req).await,
        ))
    }

    pub async fn create(&self, api_key: &str, body: Value) -> Reply {
        self.create_raw(Some(api_key), &body.to_string()).await
    }

    pub async fn validate_raw(&self, login_id: &str, body: &str) -> Reply {
        let path = format!("/v2/app-logins/{login_id}/validate");
        let req = event(
            &self.ip,
            "POST",
            &path,
            "",
            Some(login_id),
            None,
            Some(body),
        );
        Reply::from_response(answered(app_logins::validate(&self.verifier, req).await))
    }

    /// A new email login on the tenant's flow: (login id, address, code).
    pub async fn email_login(&self, tenant: &crate::Tenant) -> (String, String, String) {
        let email = crate::unique_email();
        let created = self
            .create(
                &tenant.api_key,
                json!({"projectFlow": tenant.flow, "email": email}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.raw);
        let code = crate::Moto::new().latest_email_code(&email).await;
        (crate::login_id(&created), email, code)
    }

    pub async fn validate(&self, login_id: &str, body: Value) -> Reply {
        self.validate_raw(login_id, &body.to_string()).await
    }

    /// Verifik's form: `/v2/email-validations/validate` or `/v2/phone-validations/validate`.
    pub async fn validate_verifik(&self, kind: &str, body: Value) -> Reply {
        let path = format!("/v2/{kind}-validations/validate");
        let req = event(
            &self.ip,
            "POST",
            &path,
            "",
            None,
            None,
            Some(&body.to_string()),
        );
        Reply::from_response(
            gatehouse::api::verifik::with_translation_key(respond(
                gatehouse::api::verifik::validate(&self.verifik, req).await,
            ))
            .unwrap(),
        )
    }

    pub async fn resend(&self, login_id: &str, body: Option<Value>) -> Reply {
        let path = format!("/v2/app-logins/{login_id}/resend");
        let body = body.map(|b| b.to_string());
        let req = event(
            &self.ip,
            "POST",
            &path,
            "",
            Some(login_id),
            None,
            body.as_deref(),
        );
        Reply::from_response(answered(app_logins::resend(&self.sender, req).await))
    }

    pub async fn get(&self, api_key: Option<&str>, login_id: &str, query: &str) -> Reply {
        let path = format!("/v2/app-logins/{login_id}");
        let req = event(&self.ip, "GET", &path, query, Some(login_id), api_key, None);
        Reply::from_response(answered(
            app_logins::get(&self.reader_auth, &self.reader, req).await,
        ))
    }

    pub async fn list(&self, api_key: Option<&str>, query: &str) -> Reply {
        let req = event(
            &self.ip,
            "GET",
            "/v2/app-logins",
            query,
            None,
            api_key,
            None,
        );
        Reply::from_response(answered(
            app_logins::list(&self.reader_auth, &self.reader, req).await,
        ))
    }
}

/// The App Registration endpoints, each through its real handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Create,
    List,
    Get,
    Sync,
    Validate,
    Resend,
    Information,
    Results,
    Review,
    Resume,
    Analytics,
}

impl Endpoint {
    fn method_and_path(self, id: &str) -> (&'static str, String) {
        let base = "/v2/app-registrations";
        match self {
            Endpoint::Create => ("POST", base.to_string()),
            Endpoint::List => ("GET", base.to_string()),
            Endpoint::Analytics => ("GET", format!("{base}/analytics")),
            Endpoint::Get => ("GET", format!("{base}/{id}")),
            Endpoint::Sync => ("PUT", format!("{base}/{id}/sync")),
            Endpoint::Validate => ("POST", format!("{base}/{id}/validate")),
            Endpoint::Resend => ("POST", format!("{base}/{id}/resend")),
            Endpoint::Information => ("PUT", format!("{base}/{id}/information")),
            Endpoint::Results => ("POST", format!("{base}/{id}/verification-results")),
            Endpoint::Review => ("POST", format!("{base}/{id}/review")),
            Endpoint::Resume => ("POST", format!("{base}/{id}/resume")),
        }
    }
}

pub struct RegistrationApi {
    /// The source IP of every request this harness sends.
    pub ip: String,
    calls: CallCounter,
    service: wiring::RegistrationService,
}

impl RegistrationApi {
    pub async fn new() -> Self {
        Self::with_clock(Arc::new(gatehouse::ports::SystemClock)).await
    }

    pub async fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self::with(clock, AbuseLimits::default()).await
    }

    /// With these abuse limits instead of the configured ones.
    pub async fn with_limits(limits: AbuseLimits) -> Self {
        Self::with(Arc::new(gatehouse::ports::SystemClock), limits).await
    }

    async fn with(clock: Arc<dyn Clock>, limits: AbuseLimits) -> Self {
        Self::through(clock, limits, None).await
    }

    /// Reaching DynamoDB at `endpoint` (a fault proxy).
    pub async fn through_endpoint(endpoint: &str) -> Self {
        Self::through(
            Arc::new(gatehouse::ports::SystemClock),
            AbuseLimits::default(),
            Some(endpoint),
        )
        .await
    }

    async fn through(clock: Arc<dyn Clock>, limits: AbuseLimits, endpoint: Option<&str>) -> Self {
        crate::logs::capture();
        let calls = CallCounter::default();
        let aws = aws_through(endpoint, &calls).await;
        Self {
            ip: fresh_ip(),
            calls,
            service: wiring::harness::registrations_with_clock(&aws, clock)
                .expect("registration config")
                .with_limits(limits),
        }
    }

    /// Queuing webhook events on the queue at `queue_url`.
    pub async fn with_webhook_queue(queue_url: &str) -> Self {
        let mut api = Self::new().await;
        let aws = wiring::Aws::load().await.expect("AWS config");
        api.service = api
            .service
            .with_events(wiring::harness::events_to(&aws, queue_url).expect("webhook queue"));
        api
    }

    /// Built as a deployed function is, given only `secrets`.
    pub async fn with_secrets(secrets: wiring::RegistrationSecrets) -> Self {
        crate::logs::capture();
        let calls = CallCounter::default();
        let aws = aws_through(None, &calls).await;
        Self {
            ip: fresh_ip(),
            calls,
            service: wiring::registrations(&aws, secrets).expect("registration config"),
        }
    }

    /// The DynamoDB operations sent since the last call.
    pub fn dynamodb_calls(&self) -> Vec<String> {
        self.calls.take()
    }

    /// Calls one endpoint. `bearer` is an API key or an enrollee token;
    /// `body` is sent verbatim.
    pub async fn call_raw(
        &self,
        endpoint: Endpoint,
        id: Option<&str>,
        bearer: Option<&str>,
        query: &str,
        body: Option<&str>,
    ) -> Reply {
        use gatehouse::api::app_registrations as h;
        let (method, path) = endpoint.method_and_path(id.unwrap_or_default());
        let req = event(&self.ip, method, &path, query, id, bearer, body);
        let svc = &self.service;
        let response = match endpoint {
            Endpoint::Create => h::create(svc, req).await,
            Endpoint::List => h::list(svc, req).await,
            Endpoint::Get => h::get(svc, req).await,
            Endpoint::Sync => h::sync(svc, req).await,
            Endpoint::Validate => h::validate(svc, req).await,
            Endpoint::Resend => h::resend(svc, req).await,
            Endpoint::Information => h::information(svc, req).await,
            Endpoint::Results => h::results(svc, req).await,
            Endpoint::Review => {
                let aws = wiring::Aws::load().await.expect("AWS config");
                let sessions = wiring::console::sessions(&aws).expect("console sessions");
                h::review(svc, &sessions, req).await
            }
            Endpoint::Resume => h::resume(svc, req).await,
            Endpoint::Analytics => h::analytics(svc, req).await,
        };
        Reply::from_response(answered(response))
    }

    pub async fn call(
        &self,
        endpoint: Endpoint,
        id: Option<&str>,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let body = body.map(|b| b.to_string());
        self.call_raw(endpoint, id, bearer, "", body.as_deref())
            .await
    }

    pub async fn get(&self, bearer: &str, id: &str, query: &str) -> Reply {
        self.call_raw(Endpoint::Get, Some(id), Some(bearer), query, None)
            .await
    }

    pub async fn list(&self, api_key: &str, query: &str) -> Reply {
        self.call_raw(Endpoint::List, None, Some(api_key), query, None)
            .await
    }

    pub async fn analytics(&self, api_key: &str, query: &str) -> Reply {
        self.call_raw(Endpoint::Analytics, None, Some(api_key), query, None)
            .await
    }
}

/// `/v2/projects`, `/v2/project-flows` and `/v2/api-keys`, each through its
/// real handler.
pub struct ConfigApi {
    pub ip: String,
    auth: gatehouse::service::Authenticator<wiring::SharedDirectory>,
    admin: gatehouse::service::TenantConfig<gatehouse::adapters::dynamodb::DynamoConfigStore>,
    gate: gatehouse::service::console::Gate<
        wiring::SharedDirectory,
        gatehouse::adapters::dynamodb::DynamoOperatorStore,
    >,
    operators: gatehouse::service::operators::Operators<
        gatehouse::adapters::dynamodb::DynamoOperatorStore,
    >,
}

impl ConfigApi {
    pub async fn new() -> Self {
        crate::logs::capture();
        let aws = wiring::Aws::load().await.expect("AWS config");
        let (auth, admin) = wiring::tenant_config(&aws).expect("config admin");
        let (gate, operators) = wiring::operators(&aws).expect("operators");
        Self {
            ip: fresh_ip(),
            auth,
            admin,
            gate,
            operators,
        }
    }

    /// `resource` is `projects`, `project-flows`, `api-keys`, `operators` or
    /// `audit-log`.
    pub async fn call(
        &self,
        method: &str,
        resource: &str,
        id: Option<&str>,
        key: Option<&str>,
        query: &str,
        body: Option<Value>,
    ) -> Reply {
        use gatehouse::api::tenant_config as h;
        let path = match id {
            Some(id) => format!("/v2/{resource}/{id}"),
            None => format!("/v2/{resource}"),
        };
        let body = body.map(|b| b.to_string());
        let req = event(&self.ip, method, &path, query, id, key, body.as_deref());
        use gatehouse::api::operators as o;
        let (auth, admin, gate, ops) = (&self.auth, &self.admin, &self.gate, &self.operators);
        let response = match (method, resource, id.is_some()) {
            ("POST", "projects", false) => h::create_project(auth, admin, req).await,
            ("GET", "projects", false) => h::list_projects(auth, admin, req).await,
            ("GET", "projects", true) => h::get_project(auth, admin, req).await,
            ("PUT", "projects", true) => h::update_project(auth, admin, req).await,
            ("DELETE", "projects", true) => h::delete_project(auth, admin, req).await,
            ("POST", "project-flows", false) => h::create_flow(auth, admin, req).await,
            ("GET", "project-flows", false) => h::list_flows(auth, admin, req).await,
            ("GET", "project-flows", true) => h::get_flow(auth, admin, req).await,
            ("PUT", "project-flows", true) => h::update_flow(auth, admin, req).await,
            ("DELETE", "project-flows", true) => h::delete_flow(auth, admin, req).await,
            ("POST", "api-keys", false) => h::create_api_key(auth, admin, req).await,
            ("GET", "api-keys", false) => h::list_api_keys(auth, admin, req).await,
            ("DELETE", "api-keys", true) => h::revoke_api_key(auth, admin, req).await,
            ("POST", "operators", false) => o::invite(gate, ops, req).await,
            ("GET", "operators", false) => o::list(gate, ops, req).await,
            ("PUT", "operators", true) => o::change_role(gate, ops, req).await,
            ("DELETE", "operators", true) => o::remove(gate, ops, req).await,
            ("GET", "audit-log", false) => o::audit_log(gate, ops, req).await,
            other => panic!("no route for {other:?}"),
        };
        Reply::from_response(answered(response))
    }
}
