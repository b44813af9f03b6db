//! Face login: App Logins by live face, alone, as the second factor, and
//! after adding a face to an account. Faces are real (dlib in the local
//! engine, through the production Rekognition adapter); the astronaut is
//! enrolled by a real onboarding.

use gatehouse::domain::face_settings::FaceLoginSettings;
use gatehouse::domain::identity::{IdentitySettings, Verifier};
use gatehouse::domain::onboarding::OnboardingSteps;
use gatehouse::domain::{LoginSettings, OnboardingSettings, Requirement};
use gatehouse_tests::face::{enrol_by_onboarding, FaceLoginApi, Started};
use gatehouse_tests::identity::{stored_images, Engine};
use gatehouse_tests::{login_id, unique_email, verify_token, Api, Moto, Reply, Tenant};
use serde_json::{json, Value};

/// An onboarding flow that verifies identities itself, so a completed
/// registration's face is enrolled in the project's collection.
fn verified_onboarding() -> OnboardingSettings {
    OnboardingSettings {
        steps: OnboardingSteps {
            sign_up_form: Requirement::Mandatory,
            basic_information: Requirement::Skip,
            document: Requirement::Mandatory,
            liveness: Requirement::Mandatory,
            criminal_history: Requirement::Skip,
            form: Requirement::Skip,
        },
        identity_verification: IdentitySettings {
            verifier: Verifier::Gatehouse,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn face_settings(requires_2fa: bool) -> LoginSettings {
    LoginSettings {
        email: true,
        phone: true,
        requires_2fa,
        face_liveness: Some(FaceLoginSettings::default()),
        ..LoginSettings::default()
    }
}

struct World {
    tenant: Tenant,
    /// A login flow of the same project with face sign-in on.
    face_flow: String,
    faces: FaceLoginApi,
    engine: Engine,
}

impl World {
    async fn new() -> Self {
        let tenant = Tenant::onboarding(verified_onboarding()).create().await;
        let face_flow = tenant.add_login_flow(face_settings(false)).await;
        Self {
            tenant,
            face_flow,
            faces: FaceLoginApi::new().await,
            engine: Engine::new(),
        }
    }

    /// `POST /v2/biometric-validations` as Verifik's front end sends it.
    async fn start(&self, identifier: &str) -> Reply {
        self.faces
            .start(json!({
                "identifier": identifier,
                "type": "login",
                "project": self.tenant.project,
                "projectFlow": self.face_flow,
            }))
            .await
    }

    /// The liveness component's part: `face` becomes the session's
    /// reference frame, with a passing confidence.
    async fn look_into_camera(&self, session: &str, face: &str) {
        let still = self.engine.face(face, "selfie").await;
        assert_eq!(self.engine.run_liveness(session, &still, 98.0).await, 204);
    }

    /// A whole face-first login: start, the camera, the submit.
    async fn face_login(&self, identifier: &str, face: &str) -> Reply {
        let started = Started::from(&self.start(identifier).await);
        self.look_into_camera(&started.session, face).await;
        self.submit(&started).await
    }

    async fn submit(&self, started: &Started) -> Reply {
        self.faces
            .validate(
                started.face_token.as_deref().expect("a face token"),
                json!({"sessionId": started.session}),
            )
            .await
    }

    async fn tenant_view(&self, login: &str) -> Value {
        let reply = Api::new()
            .await
            .get(
                Some(&self.tenant.api_key),
                login,
                "populates[]=biometricValidation",
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
        reply.body["data"].clone()
    }
}

fn step(login: &Value, kind: &str) -> Value {
    login["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["type"] == kind))
        .cloned()
        .unwrap_or_else(|| panic!("no step {kind} in {login}"))
}

/// Nothing an end user reads carries a score or an internal reason.
fn assert_user_safe(reply: &Reply) {
    for needle in ["scores", "similarity", "internalReasonCodes", "runnerUp"] {
        assert!(!reply.raw.contains(needle), "{needle} in {}", reply.raw);
    }
}

#[tokio::test]
async fn the_enrolled_astronaut_signs_in_by_face() {
    let world = World::new().await;
    let astronaut = enrol_by_onboarding(&world.tenant, "astronaut").await;

    let reply = world.face_login(&astronaut.email, "astronaut").await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_user_safe(&reply);
    let data = &reply.body["data"];
    let login = &data["appLogin"];
    assert_eq!(login["status"], "validated");
    assert_eq!(login["type"], "faceLiveness");
    assert_eq!(step(login, "biometric_verification")["status"], "completed");
    assert_eq!(login["biometricValidation"]["status"], "validated");
    assert_eq!(login["biometricValidation"]["liveness"]["status"], "passed");
    assert_eq!(login["biometricValidation"]["match"]["status"], "passed");
    let claims = verify_token(
        data["token"].as_str().expect("a token"),
        &world.tenant.project,
    );
    assert_eq!(claims.amr, ["face"]);
    assert_eq!(claims.sub, astronaut.email);

    // The tenant reads the scores.
    let stored = world.tenant_view(&login_id(&reply)).await;
    let scores = &stored["biometricValidation"]["scores"];
    assert!(
        scores["liveness"].as_f64().is_some_and(|s| s >= 80.0),
        "{stored}"
    );
    assert!(
        scores["similarity"].as_f64().is_some_and(|s| s >= 95.0),
        "{stored}"
    );

    // Seed 001's list: only logins with a biometric validation, populated.
    let api = Api::new().await;
    let listed = api
        .list(
            Some(&world.tenant.api_key),
            "where-exists_biometricValidation=1&populates[]=biometricValidation",
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.raw);
    let rows = listed.body["data"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{}", listed.raw);
    assert_eq!(rows[0]["biometricValidation"]["status"], "validated");
    let unpopulated = api
        .list(
            Some(&world.tenant.api_key),
            "where-exists_biometricValidation=1",
        )
        .await;
    assert!(unpopulated.body["data"][0]["biometricValidation"].is_string());
}

#[tokio::test]
async fn another_face_fails_and_an_unenrolled_identifier_looks_the_same() {
    let world = World::new().await;
    let astronaut = enrol_by_onboarding(&world.tenant, "astronaut").await;

    let impostor = world.face_login(&astronaut.email, "hopper").await;
    assert_eq!(impostor.status, 403, "{}", impostor.raw);
    assert_eq!(impostor.code(), "face_not_recognized");
    assert_user_safe(&impostor);

    // The astronaut herself, under an identifier with no face enrolled.
    let stranger = world.face_login(&unique_email(), "astronaut").await;
    assert_eq!(stranger.status, impostor.status);
    assert_eq!(stranger.body, impostor.body, "no enumeration");

    // The tenant sees why, and the login failed.
    let started = Started::from(&world.start(&unique_email()).await);
    world.look_into_camera(&started.session, "hopper").await;
    let failed = world.submit(&started).await;
    assert_eq!(failed.code(), "face_not_recognized");
    let stored = world.tenant_view(&started.login).await;
    assert_eq!(stored["status"], "failed");
    assert_eq!(step(&stored, "biometric_verification")["status"], "failed");
    assert_eq!(
        stored["biometricValidation"]["match"]["internalReasonCodes"],
        json!(["no_match"])
    );

    // A low liveness score: the liveness code, whoever the identifier is.
    let started = Started::from(&world.start(&astronaut.email).await);
    let still = world.engine.face("astronaut", "selfie").await;
    assert_eq!(
        world
            .engine
            .run_liveness(&started.session, &still, 40.0)
            .await,
        204
    );
    let spoof = world.submit(&started).await;
    assert_eq!(spoof.status, 403, "{}", spoof.raw);
    assert_eq!(spoof.code(), "liveness_not_proven");
}

#[tokio::test]
async fn five_failures_lock_the_identifier_and_the_ip_out() {
    let world = World::new().await;
    let identifier = unique_email();
    for attempt in 1..=5 {
        let reply = world.face_login(&identifier, "hopper").await;
        assert_eq!(reply.status, 403, "attempt {attempt}: {}", reply.raw);
    }
    let locked = world.start(&identifier).await;
    assert_eq!(locked.status, 429, "{}", locked.raw);
    assert_eq!(locked.code(), "face_checks_locked");
    let wait: i64 = locked
        .retry_after
        .as_deref()
        .and_then(|s| s.parse().ok())
        .expect("Retry-After");
    assert!((1_700..=1_800).contains(&wait), "{wait}");

    // From another address the identifier stays locked...
    let elsewhere = FaceLoginApi::new().await;
    let reply = elsewhere
        .start(json!({"identifier": identifier, "projectFlow": world.face_flow}))
        .await;
    assert_eq!(reply.status, 429, "{}", reply.raw);
    // ...and from the locked address another identifier is refused too.
    let other = world.start(&unique_email()).await;
    assert_eq!(other.status, 429, "{}", other.raw);
}

#[tokio::test]
async fn a_session_counts_once_and_a_still_frame_is_not_liveness() {
    let world = World::new().await;
    let astronaut = enrol_by_onboarding(&world.tenant, "astronaut").await;
    let started = Started::from(&world.start(&astronaut.email).await);
    world.look_into_camera(&started.session, "astronaut").await;

    // Two submits at once: exactly one signs in.
    let (a, b) = tokio::join!(world.submit(&started), world.submit(&started));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", a.raw, b.raw);
    let replay = world.submit(&started).await;
    assert_eq!(replay.status, 409, "{}", replay.raw);
    assert_eq!(replay.code(), "liveness_session_used");

    // Verifik's `{image, os}`: one frame proves no liveness.
    let started = Started::from(&world.start(&astronaut.email).await);
    let frame = gatehouse_tests::identity::base64(&world.engine.face("astronaut", "selfie").await);
    let still = world
        .faces
        .validate(
            started.face_token.as_deref().unwrap(),
            json!({"image": frame, "os": "web"}),
        )
        .await;
    assert_eq!(still.status, 400, "{}", still.raw);
    assert_eq!(still.code(), "liveness_session_required");

    // A face token is for its own login only, and is no sign-in token.
    let other = Started::from(&world.start(&unique_email()).await);
    let crossed = world
        .faces
        .validate(
            other.face_token.as_deref().unwrap(),
            json!({"sessionId": started.session}),
        )
        .await;
    assert_eq!(crossed.status, 404, "{}", crossed.raw);
    assert_eq!(crossed.code(), "liveness_session_not_found");
    let payload = other
        .face_token
        .as_deref()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .expect("base64url"),
    )
    .expect("JSON claims");
    assert_eq!(claims["aud"], "gatehouse:face-step");
}

/// A code login to `email` on `flow`, validated with the code moto holds.
async fn code_login(tenant: &Tenant, flow: &str, email: &str) -> Reply {
    let api = Api::new().await;
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": flow, "email": email}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let code = Moto::new().latest_email_code(email).await;
    let validated = api
        .validate(&login_id(&created), json!({"otp": code}))
        .await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    validated
}

#[tokio::test]
async fn face_as_the_second_factor_after_an_email_code() {
    let world = World::new().await;
    let astronaut = enrol_by_onboarding(&world.tenant, "astronaut").await;
    let two_factor = world.tenant.add_login_flow(face_settings(true)).await;

    let coded = code_login(&world.tenant, &two_factor, &astronaut.email).await;
    let data = &coded.body["data"];
    assert!(data["token"].is_null(), "no sign-in yet: {}", coded.raw);
    assert_eq!(data["message"], "biometric_verification_required");
    assert_eq!(data["appLogin"]["status"], "pending");
    let face_token = data["faceToken"].as_str().expect("a face token");

    // Face first is refused on a flow where the face is the second factor.
    let first = world
        .faces
        .start(json!({"identifier": astronaut.email, "projectFlow": two_factor}))
        .await;
    assert_eq!(first.code(), "face_is_second_factor", "{}", first.raw);

    let started = Started::from(&world.faces.start_for_login(face_token).await);
    assert_eq!(started.login, login_id(&coded));
    world.look_into_camera(&started.session, "astronaut").await;
    let reply = world
        .faces
        .validate(face_token, json!({"sessionId": started.session}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    let login = &reply.body["data"]["appLogin"];
    assert_eq!(login["status"], "validated");
    assert_eq!(step(login, "email_otp_verification")["status"], "completed");
    assert_eq!(step(login, "biometric_verification")["status"], "completed");
    let token = reply.body["data"]["token"].as_str().expect("a token");
    assert_eq!(
        verify_token(token, &world.tenant.project).amr,
        ["email", "face"]
    );
}

#[tokio::test]
async fn a_face_added_after_a_code_login_then_signs_in() {
    let world = World::new().await;
    let email = unique_email();
    let coded = code_login(&world.tenant, &world.face_flow, &email).await;
    let data = &coded.body["data"];
    assert_eq!(data["showFaceLivenessRecommendation"], true);
    assert!(
        data.get("message").is_none(),
        "a plain success: {}",
        coded.raw
    );
    let token = data["token"].as_str().expect("a token");

    // Only soon after the code: a sign-in token stolen later enrols nobody.
    let later =
        FaceLoginApi::with_clock(std::sync::Arc::new(gatehouse_tests::api::ShiftedClock(601)))
            .await;
    let closed = later.start_for_login(token).await;
    assert_eq!(closed.status, 409, "{}", closed.raw);
    assert_eq!(closed.code(), "face_enrolment_window_closed");

    let started = Started::from(&world.faces.start_for_login(token).await);
    assert!(started.face_token.is_none(), "an enrolment signs nobody in");
    let started_login = started.login.clone();
    world.look_into_camera(&started.session, "hopper").await;
    let enrolled = world
        .faces
        .validate(token, json!({"sessionId": started.session}))
        .await;
    assert_eq!(enrolled.status, 200, "{}", enrolled.raw);
    assert!(enrolled.body["data"]["token"].is_null());
    let face = &enrolled.body["data"]["appLogin"]["biometricValidation"];
    assert_eq!(face["purpose"], "enrolment");
    assert_eq!(face["status"], "validated");
    assert!(face.get("faceIds").is_none(), "the user reads no face id");
    let stored = world.tenant_view(&started_login).await;
    assert_eq!(
        stored["biometricValidation"]["faceIds"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{stored}"
    );

    let reply = world.face_login(&email, "hopper").await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    let claims = verify_token(
        reply.body["data"]["token"].as_str().expect("a token"),
        &world.tenant.project,
    );
    assert_eq!(
        (claims.sub.as_str(), claims.amr),
        (email.as_str(), vec!["face".to_string()])
    );

    // The same face under another account is refused.
    let other = unique_email();
    let coded = code_login(&world.tenant, &world.face_flow, &other).await;
    let token = coded.body["data"]["token"].as_str().expect("a token");
    let started = Started::from(&world.faces.start_for_login(token).await);
    world.look_into_camera(&started.session, "hopper").await;
    let refused = world
        .faces
        .validate(token, json!({"sessionId": started.session}))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.raw);
    assert_eq!(refused.code(), "face_enrolment_refused");

    // The tenant erases the face: it signs nobody in any more.
    let enrolment_login = started_login;
    let frames = format!("{}/logins/{enrolment_login}/", world.tenant.client);
    assert!(
        !stored_images(&frames).await.is_empty(),
        "the session's frames"
    );
    let stranger = Tenant::create().await;
    assert_eq!(
        world
            .faces
            .redact(Some(&stranger.api_key), &enrolment_login)
            .await
            .status,
        404,
        "another tenant's login"
    );
    assert_eq!(world.faces.redact(None, &enrolment_login).await.status, 401);
    let redacted = world
        .faces
        .redact(Some(&world.tenant.api_key), &enrolment_login)
        .await;
    assert_eq!(redacted.status, 200, "{}", redacted.raw);
    let face = &redacted.body["data"]["appLogin"]["biometricValidation"];
    assert!(face["redactedAt"].is_string(), "{}", redacted.raw);
    assert!(face.get("faceIds").is_none() && face.get("scores").is_none());
    assert_eq!(face["status"], "validated", "the outcome stays");
    assert!(stored_images(&frames).await.is_empty(), "frames deleted");
    let after = world.face_login(&email, "hopper").await;
    assert_eq!(after.status, 403, "{}", after.raw);
    assert_eq!(after.code(), "face_not_recognized");
}

#[tokio::test]
async fn a_flow_without_face_login_refuses_it() {
    let tenant = Tenant::create().await;
    let faces = FaceLoginApi::new().await;
    let reply = faces
        .start(json!({"identifier": unique_email(), "projectFlow": tenant.flow}))
        .await;
    assert_eq!(reply.status, 409, "{}", reply.raw);
    assert_eq!(reply.code(), "face_login_not_enabled");
    let no_token = faces
        .validate("not-a-token", json!({"sessionId": "x"}))
        .await;
    assert_eq!(no_token.status, 401, "{}", no_token.raw);
}
