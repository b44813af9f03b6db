//! The console's sign-in through its handlers, against DynamoDB Local and
//! moto: an operator's email code (read back from moto's outbox), the
//! session cookie's flags, the CSRF token, expiry, removal, tenant choice,
//! and that an uninvited email gets the same answer and no email.

use gatehouse::adapters::dynamodb::DynamoOperatorStore;
use gatehouse::api::console;
use gatehouse::api::request::answered;
use gatehouse::domain::console::ConsoleSession;
use gatehouse::domain::operator::OperatorRole;
use gatehouse::domain::{ClientId, Email, Timestamp};
use gatehouse::ports::{ConsoleSessionStore, SystemClock};
use gatehouse::service::operators::{Acting, Operators};
use gatehouse::wiring::{self, Aws};
use gatehouse_tests::api::{event_with_headers, Reply};
use gatehouse_tests::{stack_var, Moto, Tenant};
use serde_json::{json, Value};
use std::sync::Arc;

const HOST: &str = "gatehouse.example";

struct Console {
    sign_in: wiring::console::SignInService,
    sessions: wiring::console::SessionService,
    gate: gatehouse::service::console::Gate<wiring::SharedDirectory, DynamoOperatorStore>,
    operators: Operators<DynamoOperatorStore>,
    ip: String,
}

fn fresh_email(prefix: &str) -> String {
    format!(
        "{prefix}-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

fn fresh_ip() -> String {
    let r = ulid::Ulid::new().random();
    format!("203.0.{}.{}", (r >> 8) % 256, 1 + r % 254)
}

async fn store() -> DynamoOperatorStore {
    let aws = Aws::load().await.expect("AWS config");
    DynamoOperatorStore::new(aws.dynamodb, stack_var("GATEHOUSE_TABLE"))
}

async fn invite(client: &str, email: &str, role: OperatorRole) {
    Operators::new(store().await, Arc::new(SystemClock))
        .invite(&ClientId(client.into()), &Acting::admin_cli(), email, role)
        .await
        .expect("invited");
}

/// The `Set-Cookie` of a reply, split into the cookie and its attributes.
fn set_cookie(reply: &Reply) -> (String, Vec<String>) {
    let header = reply
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Set-Cookie: {}", reply.raw));
    let mut parts = header.split(';').map(|p| p.trim().to_string());
    let cookie = parts.next().unwrap();
    (cookie, parts.collect())
}

impl Console {
    async fn new() -> Self {
        gatehouse_tests::logs::capture();
        let aws = Aws::load().await.expect("AWS config");
        let (gate, operators) = wiring::operators(&aws).expect("operators");
        Self {
            sign_in: wiring::console::sign_in(&aws).expect("sign-in"),
            sessions: wiring::console::sessions(&aws).expect("sessions"),
            gate,
            operators,
            ip: fresh_ip(),
        }
    }

    /// A request as the console's own page sends it: same origin.
    fn request(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> lambda_http::Request {
        let mut headers = json!({
            "content-type": "application/json",
            "host": HOST,
            "origin": format!("https://{HOST}"),
        });
        if let Some(cookie) = cookie {
            headers["cookie"] = json!(format!("theme=dark; {cookie}"));
        }
        if let Some(csrf) = csrf {
            headers["x-csrf-token"] = json!(csrf);
        }
        let body = body.map(|b| b.to_string());
        event_with_headers(&self.ip, method, path, "", None, headers, body.as_deref())
    }

    async fn start(&self, email: &str) -> Reply {
        let req = self.request(
            "POST",
            "/console/api/sign-in",
            None,
            None,
            Some(json!({ "email": email })),
        );
        Reply::from_response(answered(console::sign_in(&self.sign_in, req).await))
    }

    async fn verify(&self, body: Value) -> Reply {
        let req = self.request(
            "POST",
            "/console/api/sign-in/verify",
            None,
            None,
            Some(body),
        );
        Reply::from_response(answered(console::verify(&self.sign_in, req).await))
    }

    async fn session(&self, cookie: Option<&str>) -> Reply {
        let req = self.request("GET", "/console/api/session", cookie, None, None);
        Reply::from_response(answered(console::session(&self.sessions, req).await))
    }

    async fn sign_out(&self, cookie: Option<&str>, csrf: Option<&str>) -> Reply {
        let req = self.request("DELETE", "/console/api/session", cookie, csrf, None);
        Reply::from_response(answered(console::sign_out(&self.sessions, req).await))
    }

    /// `/v2/operators` or `/v2/audit-log` as the console's page calls it:
    /// with the cookie, and the CSRF token when given.
    async fn operators_call(
        &self,
        method: &str,
        path: &str,
        cookie: &str,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        use gatehouse::api::operators as o;
        let req = self.request(method, path, Some(cookie), csrf, body);
        let (gate, ops) = (&self.gate, &self.operators);
        let answer = match (method, path) {
            ("GET", "/v2/operators") => o::list(gate, ops, req).await,
            ("POST", "/v2/operators") => o::invite(gate, ops, req).await,
            ("GET", "/v2/audit-log") => o::audit_log(gate, ops, req).await,
            other => panic!("no route for {other:?}"),
        };
        Reply::from_response(answered(answer))
    }

    /// Signs `email` in with the code moto delivered: the cookie and the
    /// verify answer.
    async fn signed_in(&self, email: &str, client: Option<&str>) -> (String, Reply) {
        let started = self.start(email).await;
        assert_eq!(started.status, 202, "{}", started.raw);
        let code = Moto::new().latest_email_code(email).await;
        let mut body = json!({ "email": email, "code": code });
        if let Some(client) = client {
            body["client"] = json!(client);
        }
        let verified = self.verify(body).await;
        assert_eq!(verified.status, 200, "{}", verified.raw);
        let (cookie, _) = set_cookie(&verified);
        (cookie, verified)
    }
}

#[tokio::test]
async fn an_operator_signs_in_by_email_code_and_signs_out_with_the_csrf_token() {
    let tenant = Tenant::create().await;
    let email = fresh_email("reviewer");
    invite(&tenant.client, &email, OperatorRole::Reviewer).await;
    let console = Console::new().await;

    let (cookie, verified) = console.signed_in(&email, None).await;
    let data = &verified.body["data"];
    assert_eq!(data["email"], email.as_str());
    assert_eq!(data["client"], tenant.client.as_str());
    assert_eq!(data["role"], "reviewer");
    assert_eq!(data["tenants"], json!([tenant.client]));
    let csrf = data["csrfToken"].as_str().unwrap().to_string();

    // The cookie: a `__Host-` name, HttpOnly, Secure, SameSite=Strict, on
    // `/`, for 15 minutes; the answer is never cached.
    let (_, attributes) = set_cookie(&verified);
    assert!(
        cookie.starts_with("__Host-gatehouse-console=ghc_"),
        "{cookie}"
    );
    for flag in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=900",
    ] {
        assert!(
            attributes.iter().any(|a| a == flag),
            "{flag}: {attributes:?}"
        );
    }
    assert!(!attributes.iter().any(|a| a.starts_with("Domain")));
    assert_eq!(verified.headers["cache-control"], "no-store");
    assert!(!verified.raw.contains(cookie.split_once('=').unwrap().1));

    // A reloaded page reads who it is and the same CSRF token.
    let session = console.session(Some(&cookie)).await;
    assert_eq!(session.status, 200, "{}", session.raw);
    assert_eq!(session.body["data"]["role"], "reviewer");
    assert_eq!(session.body["data"]["csrfToken"], csrf.as_str());

    // The code was single use.
    let again = console
        .verify(json!({ "email": email, "code": Moto::new().latest_email_code(&email).await }))
        .await;
    assert_eq!(again.status, 403, "{}", again.raw);
    assert_eq!(again.code(), "otp_does_not_match");

    // Signing out is a change: without the CSRF token, or with another
    // one, it is refused and the session stays.
    for wrong in [None, Some("ghx_not-the-token"), Some(cookie.as_str())] {
        let refused = console.sign_out(Some(&cookie), wrong).await;
        assert_eq!(refused.status, 403, "{}", refused.raw);
        assert_eq!(refused.code(), "csrf_token_invalid");
    }
    assert_eq!(console.session(Some(&cookie)).await.status, 200);
    let out = console.sign_out(Some(&cookie), Some(&csrf)).await;
    assert_eq!(out.status, 200, "{}", out.raw);
    let (cleared, attributes) = set_cookie(&out);
    assert_eq!(cleared, "__Host-gatehouse-console=");
    assert!(attributes.iter().any(|a| a == "Max-Age=0"));
    let gone = console.session(Some(&cookie)).await;
    assert_eq!(gone.status, 401, "{}", gone.raw);
}

#[tokio::test]
async fn an_uninvited_email_gets_the_same_answer_and_no_code() {
    let tenant = Tenant::create().await;
    let invited = fresh_email("invited");
    invite(&tenant.client, &invited, OperatorRole::Viewer).await;
    let stranger = fresh_email("stranger");
    let console = Console::new().await;

    let to_invited = console.start(&invited).await;
    let to_stranger = console.start(&stranger).await;
    assert_eq!(to_invited.status, 202, "{}", to_invited.raw);
    assert_eq!(to_stranger.status, to_invited.status);
    assert_eq!(to_stranger.raw, to_invited.raw, "the same answer");
    let moto = Moto::new();
    assert_eq!(moto.emails_to(&invited).await.len(), 1);
    assert!(moto.emails_to(&stranger).await.is_empty(), "no code sent");

    // Asking again inside the cooldown answers the same, and sends nothing.
    assert_eq!(console.start(&stranger).await.raw, to_invited.raw);
    assert_eq!(console.start(&invited).await.raw, to_invited.raw);
    assert_eq!(moto.emails_to(&invited).await.len(), 1);

    // Any code for the stranger fails as a wrong code for the operator does.
    let wrong_for_stranger = console
        .verify(json!({ "email": stranger, "code": "123456" }))
        .await;
    let wrong_for_operator = console
        .verify(json!({ "email": invited, "code": "000000" }))
        .await;
    assert_eq!(wrong_for_stranger.status, 403, "{}", wrong_for_stranger.raw);
    assert_eq!(wrong_for_stranger.status, wrong_for_operator.status);
    assert_eq!(wrong_for_stranger.raw, wrong_for_operator.raw);
    assert!(wrong_for_stranger.headers.get("set-cookie").is_none());
}

#[tokio::test]
async fn bad_input_and_other_origins_are_refused_and_no_session_is_made() {
    let console = Console::new().await;
    let email = fresh_email("nobody");
    for (body, status, code) in [
        (json!({}), 400, "MissingParameter"),
        (json!({ "email": "not an email" }), 400, "invalid_email"),
        (json!({ "email": email, "extra": 1 }), 400, "unknown_field"),
        (json!({ "email": 7 }), 400, "invalid_parameter"),
    ] {
        let req = console.request("POST", "/console/api/sign-in", None, None, Some(body));
        let reply = Reply::from_response(answered(console::sign_in(&console.sign_in, req).await));
        assert_eq!(reply.status, status, "{}", reply.raw);
        assert_eq!(reply.code(), code, "{}", reply.raw);
    }
    for body in [
        json!({ "email": email }),
        json!({ "email": email, "code": "12345" }),
        json!({ "email": email, "code": "abcdef" }),
    ] {
        let reply = console.verify(body).await;
        assert_eq!(reply.status, 400, "{}", reply.raw);
        assert!(reply.headers.get("set-cookie").is_none());
    }

    // Another site's page, or no Origin at all, cannot start or finish one.
    for origin in [Some("https://evil.example"), None] {
        let mut headers = json!({"content-type": "application/json", "host": HOST});
        if let Some(origin) = origin {
            headers["origin"] = json!(origin);
        }
        let body = json!({ "email": email }).to_string();
        let req = event_with_headers(
            &console.ip,
            "POST",
            "/console/api/sign-in",
            "",
            None,
            headers,
            Some(&body),
        );
        let reply = Reply::from_response(answered(console::sign_in(&console.sign_in, req).await));
        assert_eq!(reply.status, 403, "{}", reply.raw);
        assert_eq!(reply.code(), "cross_origin_refused");
    }
    assert!(Moto::new().emails_to(&email).await.is_empty());

    // No cookie, a malformed one, or one of no session: 401.
    for cookie in [
        None,
        Some("__Host-gatehouse-console=forged".to_string()),
        Some(format!("__Host-gatehouse-console=ghc_{}", "A".repeat(43))),
    ] {
        let reply = console.session(cookie.as_deref()).await;
        assert_eq!(reply.status, 401, "{}", reply.raw);
    }
}

#[tokio::test]
async fn an_expired_session_or_a_removed_operator_goes_back_to_sign_in() {
    let tenant = Tenant::create().await;
    let email = fresh_email("leaver");
    invite(&tenant.client, &email, OperatorRole::Admin).await;
    let second_admin = fresh_email("stayer");
    invite(&tenant.client, &second_admin, OperatorRole::Admin).await;
    let console = Console::new().await;

    // A session whose time is up is refused before DynamoDB's sweep.
    let store = store().await;
    let issued = ConsoleSession::issue(
        Email::parse(&email).unwrap(),
        ClientId(tenant.client.clone()),
        Timestamp::now().plus_seconds(-16 * 60),
    );
    store.save_session(&issued.session).await.unwrap();
    let cookie = format!("__Host-gatehouse-console={}", issued.cookie_token);
    let expired = console.session(Some(&cookie)).await;
    assert_eq!(expired.status, 401, "{}", expired.raw);

    // A live session ends the moment its operator is removed.
    let (cookie, _) = console.signed_in(&email, None).await;
    assert_eq!(console.session(Some(&cookie)).await.status, 200);
    Operators::new(store.clone(), Arc::new(SystemClock))
        .remove(
            &ClientId(tenant.client.clone()),
            &Acting::admin_cli(),
            &email,
        )
        .await
        .unwrap();
    let removed = console.session(Some(&cookie)).await;
    assert_eq!(removed.status, 401, "{}", removed.raw);

    // And a removed operator gets no code.
    let before = Moto::new().emails_to(&email).await.len();
    assert_eq!(console.start(&email).await.status, 202);
    assert_eq!(Moto::new().emails_to(&email).await.len(), before);
}

#[tokio::test]
async fn an_operator_of_two_tenants_chooses_one_and_no_other() {
    let first = Tenant::create().await;
    let second = Tenant::create().await;
    let stranger = Tenant::create().await;
    let email = fresh_email("both");
    invite(&first.client, &email, OperatorRole::Viewer).await;
    invite(&second.client, &email, OperatorRole::Admin).await;
    let console = Console::new().await;

    let (_, by_default) = console.signed_in(&email, None).await;
    assert_eq!(by_default.body["data"]["client"], first.client.as_str());
    assert_eq!(by_default.body["data"]["role"], "viewer");
    assert_eq!(
        by_default.body["data"]["tenants"],
        json!([first.client, second.client])
    );

    // The first code was spent, so a new one comes at once: this time for
    // the second tenant.
    let (cookie, chosen) = console.signed_in(&email, Some(&second.client)).await;
    assert_eq!(chosen.body["data"]["client"], second.client.as_str());
    assert_eq!(chosen.body["data"]["role"], "admin");
    let session = console.session(Some(&cookie)).await;
    assert_eq!(session.body["data"]["client"], second.client.as_str());

    let started = console.start(&email).await;
    assert_eq!(started.status, 202);
    let code = Moto::new().latest_email_code(&email).await;
    let refused = console
        .verify(json!({ "email": email, "code": code, "client": stranger.client }))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.raw);
    assert_eq!(refused.code(), "not_an_operator");
    assert!(refused.headers.get("set-cookie").is_none());
}

#[tokio::test]
async fn a_session_acts_with_its_operators_role_and_each_change_needs_the_csrf_token() {
    let tenant = Tenant::create().await;
    let other = Tenant::create().await;
    let admin = fresh_email("admin");
    let viewer = fresh_email("viewer");
    invite(&tenant.client, &admin, OperatorRole::Admin).await;
    invite(&tenant.client, &viewer, OperatorRole::Viewer).await;
    invite(&other.client, &fresh_email("theirs"), OperatorRole::Admin).await;
    let console = Console::new().await;

    // A viewer reads the tenant's operators and audit log, and only its own.
    let (viewer_cookie, signed_in) = console.signed_in(&viewer, None).await;
    let viewer_csrf = signed_in.body["data"]["csrfToken"]
        .as_str()
        .unwrap()
        .to_string();
    let listed = console
        .operators_call("GET", "/v2/operators", &viewer_cookie, None, None)
        .await;
    assert_eq!(listed.status, 200, "{}", listed.raw);
    let mut emails: Vec<_> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["email"].as_str().unwrap().to_string())
        .collect();
    emails.sort();
    let mut expected = vec![admin.clone(), viewer.clone()];
    expected.sort();
    assert_eq!(emails, expected);
    let log = console
        .operators_call("GET", "/v2/audit-log", &viewer_cookie, None, None)
        .await;
    assert_eq!(log.status, 200, "{}", log.raw);
    assert_eq!(log.body["total"], 2, "the two invites: {}", log.raw);

    // A viewer cannot invite, even with the CSRF token; nothing is written.
    let newcomer = fresh_email("newcomer");
    let refused = console
        .operators_call(
            "POST",
            "/v2/operators",
            &viewer_cookie,
            Some(&viewer_csrf),
            Some(json!({ "email": newcomer, "role": "viewer" })),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.raw);
    assert_eq!(refused.code(), "role_not_allowed");

    // An admin can, but only with the session's CSRF token; the log names
    // the operator.
    let (admin_cookie, signed_in) = console.signed_in(&admin, None).await;
    let admin_csrf = signed_in.body["data"]["csrfToken"]
        .as_str()
        .unwrap()
        .to_string();
    let invite_body = json!({ "email": newcomer, "role": "reviewer" });
    for csrf in [None, Some(viewer_csrf.as_str())] {
        let refused = console
            .operators_call(
                "POST",
                "/v2/operators",
                &admin_cookie,
                csrf,
                Some(invite_body.clone()),
            )
            .await;
        assert_eq!(refused.status, 403, "{}", refused.raw);
        assert_eq!(refused.code(), "csrf_token_invalid");
    }
    let log = console
        .operators_call("GET", "/v2/audit-log", &admin_cookie, None, None)
        .await;
    assert_eq!(
        log.body["total"], 2,
        "nothing refused was written: {}",
        log.raw
    );
    let invited = console
        .operators_call(
            "POST",
            "/v2/operators",
            &admin_cookie,
            Some(&admin_csrf),
            Some(invite_body),
        )
        .await;
    assert_eq!(invited.status, 201, "{}", invited.raw);
    assert_eq!(
        invited.body["data"]["invitedBy"],
        json!({ "kind": "operator", "id": admin })
    );
    let log = console
        .operators_call("GET", "/v2/audit-log", &admin_cookie, None, None)
        .await;
    assert_eq!(log.body["data"][0]["action"], "operatorInvited");
    assert_eq!(log.body["data"][0]["record"], newcomer.as_str());
    assert_eq!(
        log.body["data"][0]["actor"],
        json!({ "kind": "operator", "id": admin })
    );
}

#[tokio::test]
async fn a_reviewer_decides_from_the_console_and_a_viewer_cannot() {
    use gatehouse::domain::onboarding::ManualVerification;
    use gatehouse::domain::OnboardingSettings;
    use gatehouse_tests::{Enrollment, RegistrationApi};
    let tenant = Tenant::onboarding(OnboardingSettings {
        manual_verification: ManualVerification::Always,
        ..Default::default()
    })
    .create()
    .await;
    let reviewer = fresh_email("reviewer");
    let viewer = fresh_email("viewer");
    invite(&tenant.client, &reviewer, OperatorRole::Reviewer).await;
    invite(&tenant.client, &viewer, OperatorRole::Viewer).await;
    let api = RegistrationApi::new().await;
    let enrollee = Enrollment::start(&api, &tenant).await;
    let held = enrollee.complete(&api, &Moto::new(), &tenant.api_key).await;
    assert_eq!(
        held.body["data"]["appRegistration"]["status"],
        "NEEDS_MANUAL_VERIFICATION"
    );

    let console = Console::new().await;
    let aws = Aws::load().await.expect("AWS config");
    let registrations = wiring::harness::registrations_with_clock(&aws, Arc::new(SystemClock))
        .expect("registrations");
    let review = |cookie: String, csrf: Option<String>, body: Value| {
        let mut headers = json!({
            "content-type": "application/json",
            "host": HOST,
            "origin": format!("https://{HOST}"),
            "cookie": cookie,
        });
        if let Some(csrf) = csrf {
            headers["x-csrf-token"] = json!(csrf);
        }
        let path = format!("/v2/app-registrations/{}/review", enrollee.id);
        let body = body.to_string();
        let req = event_with_headers(
            &console.ip,
            "POST",
            &path,
            "",
            Some(&enrollee.id),
            headers,
            Some(&body),
        );
        let (registrations, sessions) = (&registrations, &console.sessions);
        async move {
            Reply::from_response(answered(
                gatehouse::api::app_registrations::review(registrations, sessions, req).await,
            ))
        }
    };
    let reject = json!({ "decision": "reject", "reason": "document_mismatch" });

    // A viewer sees the case but cannot decide it.
    let (viewer_cookie, signed_in) = console.signed_in(&viewer, None).await;
    let viewer_csrf = signed_in.body["data"]["csrfToken"]
        .as_str()
        .map(String::from);
    let refused = review(viewer_cookie, viewer_csrf, reject.clone()).await;
    assert_eq!(refused.status, 403, "{}", refused.raw);
    assert_eq!(refused.code(), "role_not_allowed");

    // A reviewer needs the CSRF token, and reviews as themself.
    let (cookie, signed_in) = console.signed_in(&reviewer, None).await;
    let csrf = signed_in.body["data"]["csrfToken"]
        .as_str()
        .map(String::from);
    let no_token = review(cookie.clone(), None, reject.clone()).await;
    assert_eq!(no_token.status, 403, "{}", no_token.raw);
    assert_eq!(no_token.code(), "csrf_token_invalid");
    let named = review(
        cookie.clone(),
        csrf.clone(),
        json!({ "decision": "reject", "reviewer": "someone else" }),
    )
    .await;
    assert_eq!(named.status, 400, "{}", named.raw);
    assert_eq!(named.code(), "reviewer_is_the_operator");
    let stored = api.get(&tenant.api_key, &enrollee.id, "").await;
    assert_eq!(stored.body["data"]["status"], "NEEDS_MANUAL_VERIFICATION");

    let decided = review(cookie, csrf, reject).await;
    assert_eq!(decided.status, 200, "{}", decided.raw);
    let r = &decided.body["data"]["appRegistration"];
    assert_eq!(r["status"], "FAILED");
    assert_eq!(r["manualReview"]["reviewer"], reviewer.as_str());
    assert_eq!(r["manualReview"]["reason"], "document_mismatch");

    let log = console
        .operators_call(
            "GET",
            "/v2/audit-log",
            &console.signed_in(&viewer, None).await.0,
            None,
            None,
        )
        .await;
    assert_eq!(log.body["data"][0]["action"], "registrationRejected");
    assert_eq!(log.body["data"][0]["record"], enrollee.id.as_str());
    assert_eq!(
        log.body["data"][0]["actor"],
        json!({ "kind": "operator", "id": reviewer })
    );
}
