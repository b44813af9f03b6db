//! Face login through the real handlers, the production Rekognition and S3
//! adapters, and the local face engine.

use crate::api::{event, Reply};
use crate::identity::{base64, Engine, IdentityApi};
use crate::{Enrollment, Moto, RegistrationApi, Tenant};
use gatehouse::api::face_logins as h;
use gatehouse::api::request::answered;
use gatehouse::ports::Clock;
use gatehouse::settings::IdentityConfig;
use gatehouse::wiring;
use serde_json::{json, Value};
use std::sync::Arc;

pub struct FaceLoginApi {
    /// The source IP of every request this harness sends.
    pub ip: String,
    faces: wiring::FaceLoginService,
    config: IdentityConfig,
    /// `DELETE /v2/app-logins/{id}/biometrics`, wired as its function is.
    redaction: (
        gatehouse::service::Authenticator<wiring::SharedDirectory>,
        wiring::FaceLoginService,
    ),
    calls: gatehouse::adapters::dynamodb::CallCounter,
}

impl FaceLoginApi {
    pub async fn new() -> Self {
        Self::with_clock(Arc::new(gatehouse::ports::SystemClock)).await
    }

    pub async fn with_clock(clock: Arc<dyn Clock>) -> Self {
        crate::logs::capture();
        let calls = gatehouse::adapters::dynamodb::CallCounter::default();
        let aws = crate::api::aws_through(None, &calls).await;
        let (faces, config) =
            wiring::harness::face_logins_with_clock(&aws, clock).expect("face login config");
        let redaction = wiring::face_redaction(&aws).expect("redaction config");
        Self {
            ip: format!("198.19.{}.{}", ulid::Ulid::new().random() % 250, 9),
            faces,
            config,
            redaction,
            calls,
        }
    }

    /// The DynamoDB operations sent since the last call.
    pub fn dynamodb_calls(&self) -> Vec<String> {
        self.calls.take()
    }

    async fn call(&self, path: &str, bearer: Option<&str>, body: Value) -> Reply {
        let text = body.to_string();
        let req = event(&self.ip, "POST", path, "", None, bearer, Some(&text));
        let answer = match path {
            "/v2/biometric-validations" => h::start(&self.faces, &self.config, req).await,
            "/v2/biometric-validations/app-login" => {
                h::start_for_login(&self.faces, &self.config, req).await
            }
            _ => h::validate(&self.faces, req).await,
        };
        let reply = Reply::from_response(answered(answer));
        crate::record_sample(path, "post", reply.status, &reply.body);
        reply
    }

    /// `POST /v2/biometric-validations`: a face-first login.
    pub async fn start(&self, body: Value) -> Reply {
        self.call("/v2/biometric-validations", None, body).await
    }

    /// `POST /v2/biometric-validations/app-login`
    pub async fn start_for_login(&self, bearer: &str) -> Reply {
        self.call(
            "/v2/biometric-validations/app-login",
            Some(bearer),
            json!({}),
        )
        .await
    }

    /// `DELETE /v2/app-logins/{id}/biometrics`
    pub async fn redact(&self, api_key: Option<&str>, login: &str) -> Reply {
        let path = format!("/v2/app-logins/{login}/biometrics");
        let req = event(&self.ip, "DELETE", &path, "", Some(login), api_key, None);
        let (auth, faces) = &self.redaction;
        let reply = Reply::from_response(answered(h::redact(auth, faces, req).await));
        crate::record_sample(
            "/v2/app-logins/{id}/biometrics",
            "delete",
            reply.status,
            &reply.body,
        );
        reply
    }

    /// `POST /v2/biometric-validations/validate`
    pub async fn validate(&self, bearer: &str, body: Value) -> Reply {
        self.call("/v2/biometric-validations/validate", Some(bearer), body)
            .await
    }
}

/// What a started session's answer carries.
pub struct Started {
    pub session: String,
    pub face_token: Option<String>,
    pub login: String,
}

impl Started {
    pub fn from(reply: &Reply) -> Self {
        assert_eq!(reply.status, 201, "{}", reply.raw);
        let data = &reply.body["data"];
        Self {
            session: data["sessionId"].as_str().expect("a session").to_string(),
            face_token: data["faceToken"].as_str().map(str::to_string),
            login: data["appLogin"]["_id"]
                .as_str()
                .expect("a login")
                .to_string(),
        }
    }
}

/// An onboarding that ends COMPLETED with `face` enrolled in the project's
/// collection, under the enrollee's email.
pub async fn enrol_by_onboarding(tenant: &Tenant, face: &str) -> Enrollment {
    let registrations = RegistrationApi::new().await;
    let identity = IdentityApi::new().await;
    let engine = Engine::new();
    let moto = Moto::new();
    let enrollee = Enrollment::start(&registrations, tenant).await;
    enrollee.verify_contacts(&registrations, &moto).await;
    let passport = engine
        .document(json!({"surname": "Lopez", "givenNames": "Ana", "faces": [face]}))
        .await;
    let document = identity
        .document(&enrollee.token, json!({"image": base64(&passport)}))
        .await;
    assert_eq!(document.status, 200, "{}", document.raw);
    let session = identity.session(&enrollee.token, json!({})).await;
    let session = session.body["data"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("a session: {}", session.raw))
        .to_string();
    let still = engine.face(face, "rotated").await;
    assert_eq!(engine.run_liveness(&session, &still, 99.0).await, 204);
    let live = identity
        .liveness(&enrollee.token, json!({"sessionId": session}))
        .await;
    assert_eq!(
        live.body["data"]["appRegistration"]["status"], "COMPLETED",
        "{}",
        live.raw
    );
    enrollee
}
