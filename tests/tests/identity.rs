//! Identity verification by Gatehouse: documents read by the production
//! Textract adapter and faces by the Rekognition adapter, both against the
//! local engine (dlib and Tesseract doing real work), images in moto's S3.

use gatehouse::domain::identity::{IdentitySettings, StillFrame, Verifier};
use gatehouse::domain::limits::{window_of, AbuseLimits};
use gatehouse::domain::onboarding::{ManualVerification, OnboardingSteps};
use gatehouse::domain::Timestamp;
use gatehouse::domain::{OnboardingSettings, Requirement};
use gatehouse_tests::api::ShiftedClock;
use gatehouse_tests::identity::{
    base64, jpeg_declaring, png_declaring, stored_images, Engine, IdentityApi,
};
use gatehouse_tests::{logs, Enrollment, Moto, RegistrationApi, Reply, Tenant};
use gatehouse_tests::{number_of, stored_item};
use serde_json::{json, Value};
use std::sync::Arc;

fn settings(max_attempts: u32, manual: ManualVerification) -> OnboardingSettings {
    OnboardingSettings {
        steps: OnboardingSteps {
            sign_up_form: Requirement::Mandatory,
            basic_information: Requirement::Skip,
            document: Requirement::Mandatory,
            liveness: Requirement::Mandatory,
            criminal_history: Requirement::Skip,
            form: Requirement::Skip,
        },
        max_attempts,
        manual_verification: manual,
        identity_verification: IdentitySettings {
            verifier: Verifier::Gatehouse,
            ..Default::default()
        },
        ..Default::default()
    }
}

struct World {
    tenant: Tenant,
    registrations: RegistrationApi,
    identity: IdentityApi,
    engine: Engine,
    moto: Moto,
}

impl World {
    async fn new(max_attempts: u32, manual: ManualVerification) -> Self {
        Self::with_settings(settings(max_attempts, manual)).await
    }

    async fn with_settings(settings: OnboardingSettings) -> Self {
        Self::with_identity(settings, IdentityApi::new().await).await
    }

    /// With these abuse limits on the identity checks.
    async fn with_limits(max_attempts: u32, limits: AbuseLimits) -> Self {
        let settings = settings(max_attempts, ManualVerification::Never);
        Self::with_identity(settings, IdentityApi::with_limits(limits).await).await
    }

    async fn with_identity(settings: OnboardingSettings, identity: IdentityApi) -> Self {
        Self {
            tenant: Tenant::onboarding(settings).create().await,
            registrations: RegistrationApi::new().await,
            identity,
            engine: Engine::new(),
            moto: Moto::new(),
        }
    }

    /// An enrollee whose contacts are verified.
    async fn enrollee(&self) -> Enrollment {
        let enrollee = Enrollment::start(&self.registrations, &self.tenant).await;
        enrollee
            .verify_contacts(&self.registrations, &self.moto)
            .await;
        enrollee
    }

    async fn submit_document(&self, enrollee: &Enrollment, fields: Value) -> Reply {
        let image = self.engine.document(fields).await;
        self.identity
            .document(&enrollee.token, json!({"image": base64(&image)}))
            .await
    }

    async fn start_session(&self, enrollee: &Enrollment) -> String {
        let reply = self.identity.session(&enrollee.token, json!({})).await;
        assert_eq!(reply.status, 201, "{}", reply.raw);
        reply.body["data"]["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string()
    }

    /// A session run with `face` as the live still, then checked.
    async fn live_face(&self, enrollee: &Enrollment, face: &str, confidence: f32) -> Reply {
        let session = self.start_session(enrollee).await;
        let still = self.engine.face(face, "rotated").await;
        assert_eq!(
            self.engine.run_liveness(&session, &still, confidence).await,
            204
        );
        self.submit_session(enrollee, &session).await
    }

    /// `POST /v2/biometric-validations/app-registration {sessionId}`.
    async fn submit_session(&self, enrollee: &Enrollment, session: &str) -> Reply {
        self.identity
            .liveness(&enrollee.token, json!({"sessionId": session}))
            .await
    }

    async fn tenant_view(&self, enrollee: &Enrollment) -> Value {
        let reply = self
            .registrations
            .get(&self.tenant.api_key, &enrollee.id, "")
            .await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
        reply.body["data"].clone()
    }
}

fn step_of(registration: &Value, name: &str) -> Value {
    registration["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["step"] == name))
        .cloned()
        .unwrap_or_else(|| panic!("no step {name} in {registration}"))
}

fn astronaut_passport() -> Value {
    // The enrollee signs up as Ana Lopez.
    json!({"surname": "Lopez", "givenNames": "Ana", "faces": ["astronaut"]})
}

fn check(reply: &Reply, key: &str) -> Value {
    assert_eq!(reply.status, 200, "{}", reply.raw);
    reply.body["data"][key].clone()
}

/// Nothing an enrollee reads carries a score, an image or a full
/// document number.
fn assert_enrollee_safe(reply: &Reply) {
    for needle in [
        "scores",
        "similarity",
        "confidence",
        "internalReasonCodes",
        "X12345678",
        "documentNumber",
        "/9j/",
    ] {
        assert!(
            !reply.raw.contains(needle),
            "{needle} in an enrollee answer: {}",
            reply.raw
        );
    }
}

#[tokio::test]
async fn the_astronauts_document_and_live_face_complete_and_enrol() {
    let world = World::new(3, ManualVerification::Never).await;
    let enrollee = world.enrollee().await;
    assert_eq!(
        world.identity.decision(&enrollee.token).await,
        "not_checked"
    );

    let document = world.submit_document(&enrollee, astronaut_passport()).await;
    let result = check(&document, "documentValidation");
    assert_eq!(result["status"], "passed", "{}", document.raw);
    assert_enrollee_safe(&document);
    let registration = &document.body["data"]["appRegistration"];
    assert_eq!(registration["currentStep"], "liveness");

    let live = world.live_face(&enrollee, "astronaut", 97.0).await;
    let result = check(&live, "biometricValidation");
    assert_eq!(result["status"], "passed", "{}", live.raw);
    assert_eq!(live.body["data"]["appRegistration"]["status"], "COMPLETED");
    assert_enrollee_safe(&live);
    assert_eq!(world.identity.decision(&enrollee.token).await, "match");

    // The tenant reads the fields (number masked), the scores, the
    // enrolment; the images are in the bucket.
    let stored = world.tenant_view(&enrollee).await;
    let identity = &stored["identityVerification"];
    assert_eq!(identity["document"]["documentNumber"], "*****5678");
    assert_eq!(identity["document"]["surname"], "LOPEZ");
    assert_eq!(identity["document"]["givenNames"], "ANA");
    assert_eq!(identity["document"]["birthDate"], "1956-11-19");
    assert!(identity["scores"]["similarity"].as_f64().unwrap() >= 90.0);
    assert_eq!(identity["scores"]["liveness"], 97.0);
    assert_eq!(
        identity["enrollment"]["faceIds"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(!stored.to_string().contains("X12345678"));
    let prefix = format!("{}/{}/", world.tenant.client.as_str(), enrollee.id);
    let images = stored_images(&prefix).await;
    assert!(
        images.iter().any(|k| k.ends_with("-face"))
            && images.iter().any(|k| k.contains("liveness/")),
        "{images:?}"
    );

    // The face is in the project's collection under this identity.
    let collection = format!("gatehouse-{}", world.tenant.project);
    let still = world.engine.face("astronaut", "small").await;
    let (status, found) = world
        .engine
        .rekognition(
            "SearchUsersByImage",
            json!({"CollectionId": collection, "Image": {"Bytes": base64(&still)}, "UserMatchThreshold": 90}),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        found["UserMatches"][0]["User"]["UserId"],
        identity["enrollment"]["userId"]
    );

    // No image bytes and no full document number in any log line.
    let logged = logs::text();
    assert!(
        !logged.contains("X12345678"),
        "a document number was logged"
    );
    assert!(
        !logged.contains(&base64(&still)[..64]),
        "image bytes were logged"
    );
}

#[tokio::test]
async fn grace_hoppers_face_on_the_astronauts_document_fails_until_attempts_run_out() {
    let world = World::new(2, ManualVerification::Never).await;
    let enrollee = world.enrollee().await;
    let document = world.submit_document(&enrollee, astronaut_passport()).await;
    assert_eq!(check(&document, "documentValidation")["status"], "passed");

    let first = world.live_face(&enrollee, "hopper", 97.0).await;
    let result = check(&first, "biometricValidation");
    assert_eq!(result["status"], "failed");
    assert_eq!(result["reasonCodes"], json!(["face_mismatch"]));
    assert_eq!(result["retryable"], true);
    assert_eq!(first.body["data"]["appRegistration"]["status"], "ONGOING");
    assert_eq!(world.identity.decision(&enrollee.token).await, "no_match");
    assert_enrollee_safe(&first);

    let second = world.live_face(&enrollee, "hopper", 97.0).await;
    let result = check(&second, "biometricValidation");
    assert_eq!(result["reasonCodes"], json!(["face_mismatch"]));
    assert_eq!(result["retryable"], false);
    assert_eq!(second.body["data"]["appRegistration"]["status"], "FAILED");

    let stored = world.tenant_view(&enrollee).await;
    let similarity = stored["identityVerification"]["scores"]["similarity"]
        .as_f64()
        .unwrap();
    assert!(similarity < 90.0, "{similarity}");
    assert!(stored["identityVerification"]["enrollment"].is_null());
}

#[tokio::test]
async fn a_low_liveness_score_fails_without_saying_the_score() {
    let world = World::new(3, ManualVerification::Never).await;
    let enrollee = world.enrollee().await;
    world.submit_document(&enrollee, astronaut_passport()).await;
    let live = world.live_face(&enrollee, "astronaut", 79.9).await;
    let result = check(&live, "biometricValidation");
    assert_eq!(result["reasonCodes"], json!(["liveness_failed"]));
    assert!(!live.raw.contains("79.9"));
    let stored = world.tenant_view(&enrollee).await;
    let internal = &stored["identityVerification"]["checks"][1]["internalReasonCodes"];
    assert_eq!(internal, &json!(["liveness_below_threshold"]));
    assert_eq!(
        world.identity.decision(&enrollee.token).await,
        "not_checked",
        "no compare without liveness"
    );
}

#[tokio::test]
async fn documents_without_a_face_with_two_faces_or_expired_each_say_why() {
    let world = World::new(5, ManualVerification::Never).await;
    let enrollee = world.enrollee().await;

    let none = world.submit_document(&enrollee, json!({"faces": []})).await;
    let result = check(&none, "documentValidation");
    assert_eq!(result["reasonCodes"], json!(["no_face"]), "{}", none.raw);
    assert_eq!(result["retryable"], true);

    let two = world
        .submit_document(&enrollee, json!({"faces": ["astronaut", "hopper"]}))
        .await;
    assert_eq!(
        check(&two, "documentValidation")["reasonCodes"],
        json!(["multiple_faces"]),
        "{}",
        two.raw
    );

    let expired = world
        .submit_document(&enrollee, json!({"expiryDate": "200101"}))
        .await;
    let result = check(&expired, "documentValidation");
    assert_eq!(result["reasonCodes"], json!(["document_expired"]));
    assert_eq!(result["retryable"], false, "a retake cannot renew it");

    let unreadable = world.engine.face("coffee", "selfie").await;
    let reply = world
        .identity
        .document(&enrollee.token, json!({"image": base64(&unreadable)}))
        .await;
    assert_eq!(
        check(&reply, "documentValidation")["reasonCodes"],
        json!(["document_unreadable", "no_face"])
    );

    // An ID card (TD1) reads as well as a passport. Its name is not the
    // one given: a red flag for the tenant, not a failure.
    let card = world
        .submit_document(&enrollee, json!({"kind": "id", "faces": ["astronaut"]}))
        .await;
    assert_eq!(
        check(&card, "documentValidation")["status"],
        "passed",
        "{}",
        card.raw
    );
    let stored = world.tenant_view(&enrollee).await;
    assert_eq!(stored["identityVerification"]["document"]["kind"], "idCard");
    assert_eq!(
        stored["identityVerification"]["document"]["surname"],
        "COLLINS"
    );
    assert_eq!(stored["redFlags"][0]["code"], "name_mismatch", "{stored}");
    let step = step_of(&stored, "document");
    assert_eq!(step["attempts"], 4, "each failed check counted once");
}

#[tokio::test]
async fn the_same_face_under_another_email_is_flagged_for_review() {
    let world = World::new(3, ManualVerification::OnRedFlags).await;
    let first = world.enrollee().await;
    world.submit_document(&first, astronaut_passport()).await;
    let done = world.live_face(&first, "astronaut", 97.0).await;
    assert_eq!(
        done.body["data"]["appRegistration"]["status"], "COMPLETED",
        "{}",
        done.raw
    );

    let second = world.enrollee().await;
    world.submit_document(&second, astronaut_passport()).await;
    let again = world.live_face(&second, "astronaut", 97.0).await;
    assert_eq!(check(&again, "biometricValidation")["status"], "passed");
    assert_eq!(
        again.body["data"]["appRegistration"]["status"],
        "NEEDS_MANUAL_VERIFICATION"
    );
    assert!(
        !again.raw.contains("face_already_enrolled"),
        "the enrollee is not told"
    );
    let stored = world.tenant_view(&second).await;
    let flags: Vec<&str> = stored["redFlags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(flags.contains(&"face_already_enrolled"), "{flags:?}");
    assert!(
        stored["identityVerification"]["scores"]["duplicateSimilarity"]
            .as_f64()
            .unwrap()
            >= 90.0
    );
    assert!(
        stored["identityVerification"]["enrollment"].is_null(),
        "not enrolled before review"
    );
}

#[tokio::test]
async fn used_foreign_unfinished_and_expired_sessions_are_refused() {
    let world = World::new(3, ManualVerification::Never).await;
    let enrollee = world.enrollee().await;
    world.submit_document(&enrollee, astronaut_passport()).await;

    // Not finished yet: refused without being used up.
    let session = world.start_session(&enrollee).await;
    let early = world.submit_session(&enrollee, &session).await;
    assert_eq!(early.status, 409, "{}", early.raw);
    assert_eq!(early.code(), "liveness_session_not_finished");

    let failing = world.engine.face("hopper", "selfie").await;
    world.engine.run_liveness(&session, &failing, 97.0).await;
    let checked = world.submit_session(&enrollee, &session).await;
    assert_eq!(check(&checked, "biometricValidation")["status"], "failed");
    let replay = world.submit_session(&enrollee, &session).await;
    assert_eq!(replay.status, 409, "{}", replay.raw);
    assert_eq!(replay.code(), "liveness_session_used");

    // A session this registration never started.
    let other = world.enrollee().await;
    world.submit_document(&other, astronaut_passport()).await;
    let foreign = world.start_session(&other).await;
    let stolen = world.submit_session(&enrollee, &foreign).await;
    assert_eq!(stolen.status, 404, "{}", stolen.raw);
    assert_eq!(stolen.code(), "liveness_session_not_found");

    // Past its three minutes by Gatehouse's clock.
    let late = world.start_session(&enrollee).await;
    let still = world.engine.face("astronaut", "selfie").await;
    world.engine.run_liveness(&late, &still, 97.0).await;
    let later = IdentityApi::with_clock(Arc::new(ShiftedClock(181))).await;
    let expired = later
        .liveness(&enrollee.token, json!({"sessionId": late}))
        .await;
    assert_eq!(expired.status, 412, "{}", expired.raw);
    assert_eq!(expired.code(), "liveness_session_expired");
    let stored = world.tenant_view(&enrollee).await;
    let liveness = step_of(&stored, "liveness");
    assert_eq!(liveness["attempts"], 1, "only the checked session counted");
}

#[tokio::test]
async fn two_concurrent_submits_of_one_session_count_once() {
    let world = World::new(3, ManualVerification::Never).await;
    let enrollee = world.enrollee().await;
    world.submit_document(&enrollee, astronaut_passport()).await;
    let session = world.start_session(&enrollee).await;
    let still = world.engine.face("hopper", "selfie").await;
    world.engine.run_liveness(&session, &still, 97.0).await;
    let body = json!({"sessionId": session});
    let (a, b) = tokio::join!(
        world.identity.liveness(&enrollee.token, body.clone()),
        world.identity.liveness(&enrollee.token, body.clone()),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", a.raw, b.raw);
    let stored = world.tenant_view(&enrollee).await;
    let liveness = step_of(&stored, "liveness");
    assert_eq!(liveness["attempts"], 1);
}

#[tokio::test]
async fn redaction_deletes_images_faces_and_fields() {
    let world = World::new(3, ManualVerification::Never).await;
    let enrollee = world.enrollee().await;
    world.submit_document(&enrollee, astronaut_passport()).await;
    let done = world.live_face(&enrollee, "astronaut", 97.0).await;
    assert_eq!(done.body["data"]["appRegistration"]["status"], "COMPLETED");
    let prefix = format!("{}/{}/", world.tenant.client.as_str(), enrollee.id);
    assert!(!stored_images(&prefix).await.is_empty());

    // The enrollee cannot redact; the tenant can.
    let refused = world.identity.redact(&enrollee.token, &enrollee.id).await;
    assert_eq!(refused.status, 403, "{}", refused.raw);
    let redacted = world
        .identity
        .redact(&world.tenant.api_key, &enrollee.id)
        .await;
    assert_eq!(redacted.status, 200, "{}", redacted.raw);
    assert!(stored_images(&prefix).await.is_empty());

    let collection = format!("gatehouse-{}", world.tenant.project);
    let still = world.engine.face("astronaut", "selfie").await;
    let (_, found) = world
        .engine
        .rekognition(
            "SearchUsersByImage",
            json!({"CollectionId": collection, "Image": {"Bytes": base64(&still)}, "UserMatchThreshold": 50}),
        )
        .await;
    assert_eq!(found["UserMatches"], json!([]), "{found}");

    let stored = world.tenant_view(&enrollee).await;
    let identity = &stored["identityVerification"];
    assert!(identity["document"].is_null());
    assert!(identity["enrollment"].is_null());
    assert!(identity["redactedAt"].is_string());
    assert_eq!(stored["status"], "COMPLETED", "the outcome stays");
    assert!(
        enrollee
            .has_logged(
                &world.registrations,
                &world.tenant.api_key,
                "biometrics_redacted"
            )
            .await
    );
}

#[tokio::test]
async fn the_rules_around_the_checks() {
    let world = World::new(3, ManualVerification::Never).await;

    // Before the contacts are verified, nothing is spent on the document.
    let fresh = Enrollment::start(&world.registrations, &world.tenant).await;
    let early = world.submit_document(&fresh, astronaut_passport()).await;
    assert_eq!(early.status, 409, "{}", early.raw);
    assert_eq!(early.code(), "signUpForm_not_passed");

    let enrollee = world.enrollee().await;
    // The live face waits for the document.
    let reply = world.identity.session(&enrollee.token, json!({})).await;
    assert_eq!(reply.code(), "document_required", "{}", reply.raw);

    // The client's backend cannot report a result Gatehouse decides.
    let reported = enrollee
        .result(
            &world.registrations,
            &world.tenant.api_key,
            "document",
            "passed",
        )
        .await;
    assert_eq!(reported.status, 409, "{}", reported.raw);
    assert_eq!(reported.code(), "step_verified_by_gatehouse");

    // A still frame is no liveness proof.
    let still = world.engine.face("astronaut", "selfie").await;
    let frame = world
        .identity
        .liveness(
            &enrollee.token,
            json!({"image": base64(&still), "os": "web"}),
        )
        .await;
    assert_eq!(frame.status, 400, "{}", frame.raw);
    assert_eq!(frame.code(), "liveness_session_required");
    // So is a frame that is not even base64, and neither spends an attempt.
    let junk_frame = world
        .identity
        .liveness(&enrollee.token, json!({"image": "%%%", "os": "web"}))
        .await;
    assert_eq!(
        (junk_frame.status, junk_frame.code()),
        (400, "liveness_session_required"),
        "{}",
        junk_frame.raw
    );
    let stored = world.tenant_view(&enrollee).await;
    assert_eq!(step_of(&stored, "liveness")["attempts"], 0);

    // Bytes that are no image, or no base64.
    let gif = world
        .identity
        .document(
            &enrollee.token,
            json!({"image": base64(b"GIF89a not really")}),
        )
        .await;
    assert_eq!(
        (gif.status, gif.code()),
        (400, "invalid_image"),
        "{}",
        gif.raw
    );
    let junk = world
        .identity
        .document(&enrollee.token, json!({"image": "%%%"}))
        .await;
    assert_eq!((junk.status, junk.code()), (400, "invalid_image"));
    let missing = world.identity.document(&enrollee.token, json!({})).await;
    assert_eq!(missing.status, 400, "{}", missing.raw);

    // The tenant's key names the registration; another tenant's is unknown.
    let image = world.engine.document(astronaut_passport()).await;
    let by_key = world
        .identity
        .document(
            &world.tenant.api_key,
            json!({"image": base64(&image), "appRegistrationId": enrollee.id}),
        )
        .await;
    let result = check(&by_key, "documentValidation");
    assert_eq!(result["status"], "passed");
    assert!(
        result["internalReasonCodes"].is_array(),
        "the tenant reads it all"
    );
    let stranger = Tenant::onboarding(settings(3, ManualVerification::Never))
        .create()
        .await;
    let foreign = world
        .identity
        .session(&stranger.api_key, json!({"appRegistrationId": enrollee.id}))
        .await;
    assert_eq!(foreign.status, 404, "{}", foreign.raw);

    // A flow whose backend reports results does not verify here.
    let external = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let other = Enrollment::start(&world.registrations, &external).await;
    other
        .verify_contacts(&world.registrations, &world.moto)
        .await;
    let refused = world
        .identity
        .document(&other.token, json!({"image": base64(&image)}))
        .await;
    assert_eq!(
        refused.code(),
        "identity_verified_externally",
        "{}",
        refused.raw
    );
}

#[tokio::test]
async fn liveness_sessions_are_limited_per_registration() {
    let world = World::new(3, ManualVerification::Never).await;
    let enrollee = world.enrollee().await;
    world.submit_document(&enrollee, astronaut_passport()).await;
    for _ in 0..5 {
        world.start_session(&enrollee).await;
    }
    let sixth = world.identity.session(&enrollee.token, json!({})).await;
    assert_eq!(sixth.status, 429, "{}", sixth.raw);
    assert_eq!(sixth.code(), "liveness_sessions_exhausted");
    let wait: u64 = sixth.retry_after.as_deref().unwrap().parse().unwrap();
    assert!((1..=181).contains(&wait), "{wait}");
}

#[tokio::test]
async fn a_still_frame_that_is_no_image_spends_an_attempt_where_frames_are_taken() {
    let mut flow = settings(3, ManualVerification::Never);
    flow.identity_verification.still_frame = StillFrame::ManualReview;
    let world = World::with_settings(flow).await;
    let enrollee = world.enrollee().await;
    world.submit_document(&enrollee, astronaut_passport()).await;
    let junk = world
        .identity
        .liveness(&enrollee.token, json!({"image": "%%%", "os": "web"}))
        .await;
    assert_eq!(
        (junk.status, junk.code()),
        (400, "invalid_image"),
        "{}",
        junk.raw
    );
    let stored = world.tenant_view(&enrollee).await;
    assert_eq!(step_of(&stored, "liveness")["attempts"], 1);
}

#[tokio::test]
async fn a_still_frame_goes_to_a_person_where_the_flow_allows_it() {
    let mut flow = settings(3, ManualVerification::Never);
    flow.identity_verification.still_frame = StillFrame::ManualReview;
    let world = World::with_settings(flow).await;
    let enrollee = world.enrollee().await;
    world.submit_document(&enrollee, astronaut_passport()).await;

    // Someone else's face still fails the match.
    let other = world.engine.face("hopper", "selfie").await;
    let mismatch = world
        .identity
        .liveness(
            &enrollee.token,
            json!({"image": base64(&other), "os": "web"}),
        )
        .await;
    assert_eq!(
        check(&mismatch, "biometricValidation")["reasonCodes"],
        json!(["face_mismatch"])
    );

    // The right face passes the step, and a person decides the rest.
    let still = world.engine.face("astronaut", "rotated").await;
    let reply = world
        .identity
        .liveness(
            &enrollee.token,
            json!({"image": base64(&still), "os": "web"}),
        )
        .await;
    assert_eq!(
        check(&reply, "biometricValidation")["status"],
        "passed",
        "{}",
        reply.raw
    );
    assert_eq!(
        reply.body["data"]["appRegistration"]["status"], "NEEDS_MANUAL_VERIFICATION",
        "whatever manualVerification says"
    );
    assert_enrollee_safe(&reply);
    let stored = world.tenant_view(&enrollee).await;
    let flags: Vec<&str> = stored["redFlags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(flags.contains(&"liveness_not_proven"), "{flags:?}");
    assert!(stored["identityVerification"]["enrollment"].is_null());
    assert_eq!(step_of(&stored, "liveness")["attempts"], 1);
}

#[tokio::test]
async fn a_us_licence_without_a_zone_is_read_by_its_printed_fields() {
    let world = World::new(3, ManualVerification::Never).await;
    let enrollee = world.enrollee().await;
    let expired = world
        .submit_document(
            &enrollee,
            json!({"kind": "usDriversLicense", "surname": "Lopez", "givenNames": "Ana", "expiryDate": "250101"}),
        )
        .await;
    assert_eq!(
        check(&expired, "documentValidation")["reasonCodes"],
        json!(["document_expired"]),
        "{}",
        expired.raw
    );

    let licence = world
        .submit_document(
            &enrollee,
            json!({"kind": "usDriversLicense", "surname": "Lopez", "givenNames": "Ana", "number": "D1234567"}),
        )
        .await;
    assert_eq!(
        check(&licence, "documentValidation")["status"],
        "passed",
        "{}",
        licence.raw
    );
    assert_enrollee_safe(&licence);
    let stored = world.tenant_view(&enrollee).await;
    let document = &stored["identityVerification"]["document"];
    assert_eq!(document["kind"], "usDriversLicense");
    assert_eq!(document["documentNumber"], "****4567");
    assert_eq!(document["birthDate"], "1956-11-19");
    assert_eq!(document["expiryDate"], "2035-12-31");
    assert!(
        stored["redFlags"].as_array().unwrap().is_empty(),
        "the names match"
    );
}

/// What S3 holds under the registration's prefix, and what its record
/// tracks.
async fn stored_and_tracked(world: &World, enrollee: &Enrollment) -> (Vec<String>, Vec<String>) {
    let prefix = format!("{}/{}/", world.tenant.client.as_str(), enrollee.id);
    let stored = stored_images(&prefix).await;
    let view = world.tenant_view(enrollee).await;
    let tracked = view["identityVerification"]["images"]
        .as_array()
        .map(|keys| {
            keys.iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (stored, tracked)
}

/// The registration's identity budget counter in this hour.
async fn identity_charges(registration: &str) -> u64 {
    let window = window_of(Timestamp::now(), 3_600).0.to_string();
    let pk = format!("LIMIT#IDENTITY#REG#{registration}");
    stored_item(&pk, &window)
        .await
        .map_or(0, |item| number_of(&item, "count"))
}

#[tokio::test]
async fn decompression_bombs_get_400_before_anything_is_stored_and_spend_attempts() {
    let world = World::new(5, ManualVerification::Never).await;
    let enrollee = world.enrollee().await;
    let passport = world.engine.document(astronaut_passport()).await;
    let jpeg = world.engine.face("astronaut", "selfie").await;
    let bombs = [
        ("image", png_declaring(100_000, 100_000, 2)),
        ("image", png_declaring(65_535, 65_535, 6)),
        ("image", png_declaring(i32::MAX as u32, 1, 2)),
        ("backImage", jpeg_declaring(jpeg, 65_500, 65_500)),
    ];
    for (n, (field, bomb)) in bombs.iter().enumerate() {
        let body = match *field {
            "image" => json!({"image": base64(bomb)}),
            _ => json!({"image": base64(&passport), "backImage": base64(bomb)}),
        };
        let reply = world.identity.document(&enrollee.token, body).await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "invalid_image"),
            "{}",
            reply.raw
        );
        assert!(reply.message().contains(field), "{}", reply.raw);
        let step = step_of(&world.tenant_view(&enrollee).await, "document");
        assert_eq!(
            step["attempts"],
            n + 1,
            "every refused upload spends an attempt"
        );
        assert_eq!(identity_charges(&enrollee.id).await, n as u64 + 1);
    }
    let (stored, tracked) = stored_and_tracked(&world, &enrollee).await;
    assert!(
        stored.is_empty(),
        "a refused upload stores nothing: {stored:?}"
    );
    assert!(tracked.is_empty(), "{tracked:?}");
    let view = world.tenant_view(&enrollee).await;
    assert_eq!(
        view["identityVerification"]["checks"][0]["internalReasonCodes"],
        json!(["image_refused"])
    );

    // Within the budget but no pixels behind the header: the reader's
    // refusal, a 400 too. It was stored and tracked, and it spends the
    // last attempt.
    let unreadable = png_declaring(4_000, 3_000, 2);
    let reply = world
        .identity
        .document(&enrollee.token, json!({"image": base64(&unreadable)}))
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (400, "invalid_image"),
        "{}",
        reply.raw
    );
    let view = world.tenant_view(&enrollee).await;
    assert_eq!(step_of(&view, "document")["status"], "failed");
    assert_eq!(view["status"], "FAILED");
    let (stored, tracked) = stored_and_tracked(&world, &enrollee).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(
        stored.iter().all(|key| tracked.contains(key)),
        "{stored:?} {tracked:?}"
    );
    // No reader was retried into a 5xx, and nothing was logged as an outage.
    assert!(!logs::text().contains("Textract call failed"));
}

#[tokio::test]
async fn uploads_past_the_registrations_budget_get_429_and_store_nothing() {
    let limits = AbuseLimits {
        identity_checks_per_registration_hour: 3,
        ..Default::default()
    };
    let world = World::with_limits(10, limits).await;
    let enrollee = world.enrollee().await;
    let unreadable = base64(&png_declaring(4_000, 3_000, 2));
    for _ in 0..3 {
        let reply = world
            .identity
            .document(&enrollee.token, json!({"image": unreadable}))
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "invalid_image"),
            "{}",
            reply.raw
        );
    }
    let (stored, tracked) = stored_and_tracked(&world, &enrollee).await;
    assert_eq!(stored.len(), 3, "{stored:?}");

    // Refused whatever it carries: a bomb, base64 junk, a good passport.
    let passport = base64(&world.engine.document(astronaut_passport()).await);
    for body in [
        json!({"image": base64(&png_declaring(100_000, 100_000, 2))}),
        json!({"image": "%%%"}),
        json!({"image": passport}),
    ] {
        let reply = world.identity.document(&enrollee.token, body).await;
        assert_eq!(reply.status, 429, "{}", reply.raw);
        assert_eq!(reply.code(), "registration_identity_rate_limited");
        let wait: u64 = reply.retry_after.as_deref().unwrap().parse().unwrap();
        assert!((1..=3_600).contains(&wait), "{wait}");
    }
    let (after, tracked_after) = stored_and_tracked(&world, &enrollee).await;
    assert_eq!(after, stored, "nothing stored past the budget");
    assert!(
        after.iter().all(|key| tracked_after.contains(key)),
        "{after:?} {tracked:?}"
    );
    let step = step_of(&world.tenant_view(&enrollee).await, "document");
    assert_eq!(step["attempts"], 3, "a refused charge spends no attempt");
    assert_eq!(
        identity_charges(&enrollee.id).await,
        3,
        "nothing charged past it"
    );
}

#[tokio::test]
async fn one_source_ip_has_an_identity_budget_across_registrations() {
    let limits = AbuseLimits {
        identity_checks_per_ip_hour: 2,
        ..Default::default()
    };
    let world = World::with_limits(5, limits).await;
    let (first, second) = (world.enrollee().await, world.enrollee().await);
    let junk = json!({"image": base64(b"GIF89a not really")});
    for enrollee in [&first, &second] {
        let reply = world.identity.document(&enrollee.token, junk.clone()).await;
        assert_eq!(reply.code(), "invalid_image", "{}", reply.raw);
    }
    let third = world.submit_document(&first, astronaut_passport()).await;
    assert_eq!(third.status, 429, "{}", third.raw);
    assert_eq!(third.code(), "ip_identity_rate_limited");
    assert!(third.retry_after.is_some());
}
