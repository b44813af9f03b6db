//! Fast service tests over the in-memory ports. Storage conditions are
//! tested for real against DynamoDB Local in tests/.

use crate::domain::login::RequestOrigin;
use crate::domain::token::TokenIssuer;
use crate::domain::{
    ClientId, CodeHasher, Email, FlowStatus, FlowType, LoginSettings, OneTimeCode, Project,
    ProjectFlow, Timestamp,
};
use crate::error::Error;
use crate::memory::{MemoryDirectory, MemoryLoginStore, MemoryOutbox, MemoryPorts};
use crate::ports::SystemClock;
use crate::service::{CodeChecker, CodeSender, CreateLogin, LoginRef, ValidateLogin};
use std::sync::Arc;
use std::time::Duration;

/// A fresh Ed25519 key per fixture: no key material lives in the repo.
fn test_key_pem() -> String {
    use base64::Engine;
    let der =
        aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
            .expect("key");
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n")
}

pub struct Fixture {
    pub sender: CodeSender<MemoryPorts>,
    pub verifier: CodeChecker<MemoryLoginStore>,
    pub outbox: Arc<MemoryOutbox>,
    pub client: ClientId,
    pub flow: String,
}

pub fn fixture(settings: LoginSettings) -> Fixture {
    let store = MemoryLoginStore::default();
    let directory = MemoryDirectory::default();
    let outbox = Arc::new(MemoryOutbox::default());
    let now = Timestamp::now();
    let client = ClientId("client-1".into());
    directory.projects.lock().unwrap().insert(
        "project-1".into(),
        Project::for_tests("project-1", &client.0),
    );
    directory.flows.lock().unwrap().insert(
        "flow-1".into(),
        ProjectFlow {
            id: "flow-1".into(),
            client: client.0.clone(),
            project: "project-1".into(),
            name: "Login".into(),
            flow_type: FlowType::Login,
            status: FlowStatus::Active,
            redirect_url: None,
            redirect_mode: Default::default(),
            allowed_countries: vec![],
            login_settings: settings,
            onboarding_settings: Default::default(),
            security: Default::default(),
            webhook_url: None,
            webhook_secret: None,
            created_at: now,
            updated_at: now,
            archived_at: None,
        },
    );
    let hasher = CodeHasher::new("test-pepper-test-pepper-test-pepper", 4);
    let clock = Arc::new(SystemClock);
    let retention = Duration::from_secs(86_400);
    let sender = CodeSender::new(
        store.clone(),
        Arc::new(directory),
        outbox.clone(),
        outbox.clone(),
        hasher.clone(),
        clock.clone(),
        retention,
    );
    let tokens = TokenIssuer::from_pem(
        &test_key_pem(),
        None,
        "https://issuer.test".into(),
        Duration::from_secs(60),
    )
    .expect("test key");
    let verifier = CodeChecker::new(store, hasher, tokens, clock, retention);
    Fixture {
        sender,
        verifier,
        outbox,
        client,
        flow: "flow-1".into(),
    }
}

impl Fixture {
    pub async fn start(&self, email: &str) -> (String, String) {
        let sent = self
            .sender
            .create(
                &self.client,
                CreateLogin {
                    project_flow: self.flow.clone(),
                    email: Some(Email::parse(email).unwrap()),
                    phone: None,
                    name: None,
                    language: None,
                },
                &RequestOrigin::default(),
            )
            .await
            .expect("created");
        let subject = self
            .outbox
            .emails
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .subject
            .clone();
        (sent.login.id, subject[..6].to_string())
    }

    pub fn check(&self, id: &str, otp: &str) -> ValidateLogin {
        ValidateLogin {
            login: LoginRef::Id(id.into()),
            channel: None,
            otp: OneTimeCode::parse(otp).unwrap(),
        }
    }
}

fn other(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

#[tokio::test]
async fn a_right_code_validates_once_and_signs_a_token() {
    let f = fixture(LoginSettings::default());
    let (id, code) = f.start("ana@example.com").await;
    let done = f
        .verifier
        .validate(f.check(&id, &code), &RequestOrigin::default())
        .await
        .unwrap();
    assert!(done.token.is_some());
    let again = f
        .verifier
        .validate(f.check(&id, &code), &RequestOrigin::default())
        .await;
    assert!(
        matches!(
            again,
            Err(Error::Conflict {
                code: "otp_already_used",
                ..
            })
        ),
        "{again:?}"
    );
}

#[tokio::test]
async fn the_limit_locks_the_login_even_for_the_right_code() {
    let f = fixture(LoginSettings {
        max_attempts: 2,
        ..LoginSettings::default()
    });
    let (id, code) = f.start("ana@example.com").await;
    for remaining in [1, 0] {
        let r = f
            .verifier
            .validate(f.check(&id, &other(&code)), &RequestOrigin::default())
            .await;
        assert!(
            matches!(r, Err(Error::CodeMismatch { attempts_remaining }) if attempts_remaining == remaining),
            "{r:?}"
        );
    }
    let r = f
        .verifier
        .validate(f.check(&id, &code), &RequestOrigin::default())
        .await;
    assert!(
        matches!(
            r,
            Err(Error::TooManyRequests {
                code: "attempts_exhausted",
                ..
            })
        ),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_failed_send_is_reported_and_can_be_retried_at_once() {
    let f = fixture(LoginSettings::default());
    f.outbox
        .fail
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let r = f
        .sender
        .create(
            &f.client,
            CreateLogin {
                project_flow: f.flow.clone(),
                email: Some(Email::parse("ana@example.com").unwrap()),
                phone: None,
                name: None,
                language: None,
            },
            &RequestOrigin::default(),
        )
        .await;
    let Err(Error::Delivery { login_id, .. }) = r else {
        panic!("expected a delivery error, got {r:?}");
    };
    f.outbox
        .fail
        .store(false, std::sync::atomic::Ordering::Relaxed);
    // No cooldown after a failed send.
    f.sender
        .resend(&login_id, None, None, &RequestOrigin::default())
        .await
        .expect("resend works");
    assert_eq!(f.outbox.emails.lock().unwrap().len(), 1);
}
