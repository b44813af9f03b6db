//! Identity verification through the real handlers and the production
//! Rekognition, Textract and S3 adapters, against the local face and
//! document engine (local_engine/) and moto's S3.

use crate::api::{event, Reply};
use base64::Engine as _;
use gatehouse::ports::Clock;
use gatehouse::settings::IdentityConfig;
use gatehouse::wiring;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub struct IdentityApi {
    pub ip: String,
    checks: wiring::IdentityService,
    config: IdentityConfig,
}

impl IdentityApi {
    pub async fn new() -> Self {
        Self::with_clock(Arc::new(gatehouse::ports::SystemClock)).await
    }

    pub async fn with_clock(clock: Arc<dyn Clock>) -> Self {
        crate::logs::capture();
        let aws = wiring::Aws::load().await.expect("AWS config");
        let (checks, config) =
            wiring::harness::identity_checks_with_clock(&aws, clock).expect("identity config");
        // One address of 198.18.0.0/15 per instance: tests share no
        // per-IP budget.
        let spread = ulid::Ulid::new().random();
        Self {
            ip: format!("198.18.{}.{}", spread % 250, (spread >> 8) % 250 + 1),
            checks,
            config,
        }
    }

    /// With other abuse limits (the identity budgets among them).
    pub async fn with_limits(limits: gatehouse::domain::limits::AbuseLimits) -> Self {
        let api = Self::new().await;
        Self {
            checks: api.checks.with_limits(limits),
            ..api
        }
    }

    async fn call(&self, path: &str, id: Option<&str>, bearer: Option<&str>, body: Value) -> Reply {
        use gatehouse::api::identity as h;
        use gatehouse::api::request::answered;
        let text = body.to_string();
        let method = if path.ends_with("/biometrics") {
            "DELETE"
        } else {
            "POST"
        };
        let req = event(&self.ip, method, path, "", id, bearer, Some(&text));
        let answer = match path {
            "/v2/document-validations/app-registration" => h::document(&self.checks, req).await,
            "/v2/biometric-validations/app-registration/session" => {
                h::liveness_session(&self.checks, &self.config, req).await
            }
            "/v2/biometric-validations/app-registration" => h::liveness(&self.checks, req).await,
            "/v2/face-recognition/compare/app-registration" => h::compare(&self.checks, req).await,
            _ => h::redact(&self.checks, req).await,
        };
        Reply::from_response(answered(answer))
    }

    /// `POST /v2/document-validations/app-registration`
    pub async fn document(&self, bearer: &str, body: Value) -> Reply {
        self.call(
            "/v2/document-validations/app-registration",
            None,
            Some(bearer),
            body,
        )
        .await
    }

    /// `POST /v2/biometric-validations/app-registration/session`
    pub async fn session(&self, bearer: &str, body: Value) -> Reply {
        self.call(
            "/v2/biometric-validations/app-registration/session",
            None,
            Some(bearer),
            body,
        )
        .await
    }

    /// `POST /v2/biometric-validations/app-registration`
    pub async fn liveness(&self, bearer: &str, body: Value) -> Reply {
        self.call(
            "/v2/biometric-validations/app-registration",
            None,
            Some(bearer),
            body,
        )
        .await
    }

    /// `POST /v2/face-recognition/compare/app-registration`: the decision.
    pub async fn decision(&self, bearer: &str) -> String {
        let reply = self
            .call(
                "/v2/face-recognition/compare/app-registration",
                None,
                Some(bearer),
                json!({}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
        reply.body["data"]["decision"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// `DELETE /v2/app-registrations/{id}/biometrics`
    pub async fn redact(&self, bearer: &str, id: &str) -> Reply {
        self.call(
            &format!("/v2/app-registrations/{id}/biometrics"),
            Some(id),
            Some(bearer),
            Value::Null,
        )
        .await
    }
}

/// A PNG whose header declares `width` x `height` (colour type `colour`:
/// 2 RGB, 6 RGBA) over a few bytes of pixel data: a decompression bomb,
/// or, within the pixel budget, a page no reader can decode.
pub fn png_declaring(width: u32, height: u32, colour: u8) -> Vec<u8> {
    let mut header = Vec::new();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    header.extend([8, colour, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (&b"IHDR"[..], header),
        (b"IDAT", vec![0x78, 0x9C]),
        (b"IEND", vec![]),
    ] {
        let mut chunk = kind.to_vec();
        chunk.extend(&data);
        out.extend((data.len() as u32).to_be_bytes());
        out.extend(&chunk);
        out.extend(crc32fast::hash(&chunk).to_be_bytes());
    }
    out
}

/// `jpeg` with its baseline frame header (SOF0) rewritten to declare
/// `width` x `height`.
pub fn jpeg_declaring(mut jpeg: Vec<u8>, width: u16, height: u16) -> Vec<u8> {
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline JPEG");
    jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    jpeg
}

/// The local engine's own routes: fixtures, the liveness still, and its
/// AWS API for checks from outside Gatehouse.
pub struct Engine {
    url: String,
    http: reqwest::Client,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine {
    pub fn new() -> Self {
        Self {
            url: crate::stack_var("GATEHOUSE_ENGINE_URL"),
            http: reqwest::Client::new(),
        }
    }

    /// A public-domain face: `astronaut`, `hopper`, `coffee` (no face) or
    /// `pair` (two people); variants `selfie`, `rotated`, `small`, `lowq`.
    pub async fn face(&self, name: &str, variant: &str) -> Vec<u8> {
        let reply = self
            .http
            .get(format!(
                "{}/local/fixtures/faces/{name}?variant={variant}",
                self.url
            ))
            .send()
            .await
            .expect("engine answers");
        assert!(reply.status().is_success(), "fixture {name}");
        reply.bytes().await.expect("bytes").to_vec()
    }

    /// A rendered passport (or `"kind": "id"` card) with an MRZ; `faces`
    /// names the portraits on it.
    pub async fn document(&self, fields: Value) -> Vec<u8> {
        let reply = self
            .http
            .post(format!("{}/local/fixtures/document", self.url))
            .json(&fields)
            .send()
            .await
            .expect("engine answers");
        assert!(reply.status().is_success(), "document fixture");
        reply.bytes().await.expect("bytes").to_vec()
    }

    /// What the liveness component would do: the still becomes the
    /// session's reference image, with `confidence`.
    pub async fn run_liveness(&self, session_id: &str, still: &[u8], confidence: f32) -> u16 {
        self.http
            .post(format!("{}/local/liveness/{session_id}", self.url))
            .json(&json!({"image": base64(still), "confidence": confidence}))
            .send()
            .await
            .expect("engine answers")
            .status()
            .as_u16()
    }

    /// A Rekognition call, straight to the engine.
    pub async fn rekognition(&self, operation: &str, body: Value) -> (u16, Value) {
        let reply = self
            .http
            .post(&self.url)
            .header("X-Amz-Target", format!("RekognitionService.{operation}"))
            .header("Content-Type", "application/x-amz-json-1.1")
            .body(body.to_string())
            .send()
            .await
            .expect("engine answers");
        let status = reply.status().as_u16();
        (status, reply.json().await.unwrap_or(Value::Null))
    }
}

/// The keys under `prefix` in the images bucket (moto's S3).
pub async fn stored_images(prefix: &str) -> Vec<String> {
    let url = format!(
        "{}/{}?list-type=2&prefix={prefix}",
        crate::stack_var("GATEHOUSE_MOTO_URL"),
        crate::stack_var("GATEHOUSE_IMAGES_BUCKET")
    );
    let xml = reqwest::get(url)
        .await
        .expect("moto answers")
        .text()
        .await
        .expect("text");
    xml.split("<Key>")
        .skip(1)
        .filter_map(|s| s.split("</Key>").next())
        .map(str::to_string)
        .collect()
}
