//! App Registrations end to end: real handlers, DynamoDB Local and moto;
//! codes are read back from what moto sent.

use gatehouse::domain::{OnboardingSettings, Requirement};
use gatehouse_tests::api::ShiftedClock;
use gatehouse_tests::{
    assert_no_secrets, verify_enrollee_token, verify_token, wrong_code, Endpoint, Enrollment, Moto,
    RegistrationApi, Tenant,
};
use serde_json::json;
use std::sync::Arc;

fn step<'a>(registration: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    registration["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {registration}"))
}

#[tokio::test]
async fn full_onboarding_completes_with_a_user_token() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let api = RegistrationApi::new().await;
    let moto = Moto::new();
    let enrollee = Enrollment::start(&api, &tenant).await;

    let created = &enrollee.created.body["data"]["appRegistration"];
    assert_eq!(created["status"], "STARTED");
    assert_eq!(created["currentStep"], "signUpForm");
    assert_eq!(created["client"], tenant.client.as_str());
    assert_eq!(created["project"], tenant.project.as_str());
    assert_eq!(created["projectFlow"], tenant.flow.as_str());
    assert_eq!(created["email"], enrollee.email.as_str());
    assert_eq!(created["phone"], enrollee.phone.as_str());
    assert_eq!(created["countryCode"], "+57");
    assert_eq!(created["fullName"], "Ana Lopez");
    assert_eq!(created["language"], "en");
    let names: Vec<&str> = created["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["signUpForm", "basicInformation", "document", "liveness"]
    );
    assert_eq!(step(created, "document")["requirement"], "mandatory");
    assert_eq!(created["emailValidation"]["status"], "pending");
    assert!(created.get("verificationSession").is_none());
    assert!(created.get("version").is_none());
    assert_eq!(enrollee.created.body["data"]["sent"], true);

    // Codes arrive by SES and SNS; neither is ever echoed back.
    let email_code = moto.latest_email_code(&enrollee.email).await;
    let sms_code = moto.latest_sms_code(&enrollee.e164).await;
    assert_no_secrets(&enrollee.created.raw, &[&email_code, &sms_code]);
    let (subject, body) = moto.emails_to(&enrollee.email).await.pop().unwrap();
    assert!(
        subject.contains("Acme Test App verification code"),
        "{subject}"
    );
    assert!(body.contains("If you did not start signing up"), "{body}");

    let after_email = enrollee.validate(&api, "email", &email_code).await;
    assert_eq!(after_email.status, 200, "{}", after_email.raw);
    let r = &after_email.body["data"]["appRegistration"];
    assert_eq!(r["emailValidation"]["status"], "validated");
    assert_eq!(r["currentStep"], "signUpForm");
    assert_eq!(r["status"], "ONGOING");

    let after_phone = enrollee.validate(&api, "phone", &sms_code).await;
    assert_eq!(after_phone.status, 200, "{}", after_phone.raw);
    let r = &after_phone.body["data"]["appRegistration"];
    assert_eq!(step(r, "signUpForm")["status"], "passed");
    assert_eq!(r["currentStep"], "basicInformation");
    assert_no_secrets(&after_phone.raw, &[&email_code, &sms_code]);

    // Single use: the email code is spent.
    let reused = enrollee.validate(&api, "email", &email_code).await;
    assert_eq!(reused.status, 409, "{}", reused.raw);

    // Mid-way, sync gives no user token.
    let mid = enrollee.sync(&api, &enrollee.token, None).await;
    assert_eq!(mid.status, 200, "{}", mid.raw);
    assert_eq!(mid.body["data"]["appRegistration"]["status"], "ONGOING");
    gatehouse_tests::assert_no_user_token(&mid.body["data"]);

    let info = enrollee.basic_information(&api).await;
    assert_eq!(info.status, 200, "{}", info.raw);
    assert_eq!(
        info.body["data"]["appRegistration"]["currentStep"],
        "document"
    );
    for step_name in ["document", "liveness"] {
        let reply = enrollee
            .result(&api, &tenant.api_key, step_name, "passed")
            .await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
    }

    let done = enrollee.sync(&api, &enrollee.token, None).await;
    assert_eq!(done.status, 200, "{}", done.raw);
    let r = &done.body["data"]["appRegistration"];
    assert_eq!(r["status"], "COMPLETED");
    assert!(r["completedAt"].is_string());
    assert!(r["currentStep"].is_null());
    assert!(
        r.get("redFlags").is_none(),
        "red flags are the tenant's only"
    );
    let stored = api.get(&tenant.api_key, &enrollee.id, "").await;
    assert!(stored.body["data"]["redFlags"]
        .as_array()
        .unwrap()
        .is_empty());
    let claims = verify_token(
        done.body["data"]["token"].as_str().expect("a user token"),
        &tenant.project,
    );
    assert_eq!(claims.sub, enrollee.email);
    assert_eq!(
        claims.registration_id.as_deref(),
        Some(enrollee.id.as_str())
    );
    assert_eq!(claims.amr, vec!["email".to_string(), "sms".to_string()]);

    // The client sees who reported what and when, and the access log.
    let stored = api
        .get(
            &tenant.api_key,
            &enrollee.id,
            "populates[]=emailValidation&populates[]=accessControlLog",
        )
        .await;
    assert_eq!(stored.status, 200, "{}", stored.raw);
    let r = &stored.body["data"];
    let results = r["verificationResults"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["step"], "document");
    assert_eq!(results[0]["verifier"], "acme-kyc");
    assert_eq!(
        results[0]["reportedBy"],
        format!("client:{}", tenant.client)
    );
    assert!(results[0]["reportedAt"].is_string());
    assert_eq!(
        r["information"]["basicInformation"]["dateOfBirth"],
        "1990-04-01"
    );
    let log = r["accessControlLog"].as_array().unwrap();
    assert!(log.iter().all(|e| e["ipAddress"] == api.ip.as_str()));
    assert!(log.iter().any(|e| e["event"] == "result_reported"));
    assert_no_secrets(&stored.raw, &[&email_code, &sms_code]);

    // Completed is final: no more results.
    let late = enrollee
        .result(&api, &tenant.api_key, "document", "failed")
        .await;
    assert_eq!(late.status, 409, "{}", late.raw);
    assert_eq!(late.code(), "appRegistration_closed");
}

#[tokio::test]
async fn a_failed_mandatory_step_ends_in_failed_without_a_token() {
    let tenant = Tenant::onboarding(OnboardingSettings {
        max_attempts: 2,
        ..Default::default()
    })
    .create()
    .await;
    let api = RegistrationApi::new().await;
    let moto = Moto::new();
    let enrollee = Enrollment::start(&api, &tenant).await;
    enrollee.verify_contacts(&api, &moto).await;

    let first = enrollee
        .result(&api, &tenant.api_key, "document", "failed")
        .await;
    assert_eq!(first.status, 200, "{}", first.raw);
    let r = &first.body["data"]["appRegistration"];
    assert_eq!(r["status"], "ONGOING");
    assert_eq!(step(r, "document")["attempts"], 1);
    assert_eq!(step(r, "document")["status"], "pending");

    let second = enrollee
        .result(&api, &tenant.api_key, "document", "failed")
        .await;
    let r = &second.body["data"]["appRegistration"];
    assert_eq!(r["status"], "FAILED", "{}", second.raw);
    assert_eq!(step(r, "document")["status"], "failed");
    assert_eq!(
        step(r, "document")["failureReasons"],
        json!(["blurry image", "blurry image"])
    );
    assert_eq!(r["failedValidations"].as_array().unwrap().len(), 2);

    // The front end claiming success changes nothing, and is flagged.
    let synced = enrollee
        .sync(
            &api,
            &enrollee.token,
            Some(json!({"step": "document", "status": "COMPLETED"})),
        )
        .await;
    assert_eq!(synced.status, 200, "{}", synced.raw);
    assert_eq!(synced.body["data"]["appRegistration"]["status"], "FAILED");
    gatehouse_tests::assert_no_user_token(&synced.body["data"]);
    let stored = api.get(&tenant.api_key, &enrollee.id, "").await;
    let flags = stored.body["data"]["redFlags"].as_array().unwrap().clone();
    assert!(flags.iter().any(|f| f["code"] == "client_status_mismatch"));
}

#[tokio::test]
async fn optional_steps_may_fail_and_contradictions_are_flagged() {
    let mut settings = OnboardingSettings {
        max_attempts: 1,
        ..Default::default()
    };
    settings.steps.liveness = Requirement::Optional;
    settings.steps.basic_information = Requirement::Skip;
    settings.steps.criminal_history = Requirement::Mandatory;
    let tenant = Tenant::onboarding(settings).create().await;
    let api = RegistrationApi::new().await;
    let moto = Moto::new();
    let enrollee = Enrollment::start(&api, &tenant).await;
    enrollee.verify_contacts(&api, &moto).await;

    // basicInformation is skipped by this flow.
    let skipped = enrollee.basic_information(&api).await;
    assert_eq!(skipped.status, 409, "{}", skipped.raw);
    assert_eq!(skipped.code(), "step_not_in_flow");

    let failed = enrollee
        .result(&api, &tenant.api_key, "liveness", "failed")
        .await;
    assert_eq!(
        failed.body["data"]["appRegistration"]["status"], "ONGOING",
        "{}",
        failed.raw
    );
    // A document pass, then a contradicting fail: the pass does not stand.
    enrollee
        .result(&api, &tenant.api_key, "document", "passed")
        .await;
    let contradicted = enrollee
        .result(&api, &tenant.api_key, "document", "failed")
        .await;
    let r = &contradicted.body["data"]["appRegistration"];
    assert_eq!(r["status"], "FAILED", "{}", contradicted.raw);
    assert!(r["redFlags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "result_contradiction"));
}

#[tokio::test]
async fn registrations_expire_after_their_lifetime() {
    let tenant = Tenant::onboarding(OnboardingSettings {
        registration_lifetime_minutes: 60,
        ..Default::default()
    })
    .create()
    .await;
    let api = RegistrationApi::new().await;
    let moto = Moto::new();
    let enrollee = Enrollment::start(&api, &tenant).await;
    let code = moto.latest_email_code(&enrollee.email).await;

    let later = RegistrationApi::with_clock(Arc::new(ShiftedClock(61 * 60))).await;
    let late_code = enrollee.validate(&later, "email", &code).await;
    assert_eq!(late_code.status, 412, "{}", late_code.raw);
    assert_eq!(late_code.code(), "appRegistration_has_expired");

    let synced = enrollee.sync(&later, &tenant.api_key, None).await;
    assert_eq!(synced.status, 200, "{}", synced.raw);
    assert_eq!(synced.body["data"]["appRegistration"]["status"], "EXPIRED");
    gatehouse_tests::assert_no_user_token(&synced.body["data"]);

    // Stored: even the present-time API now sees it expired and closed.
    let stored = api.get(&tenant.api_key, &enrollee.id, "").await;
    assert_eq!(stored.body["data"]["status"], "EXPIRED");
    let result = enrollee
        .result(&api, &tenant.api_key, "document", "passed")
        .await;
    assert_eq!(result.status, 412, "{}", result.raw);
    assert_eq!(result.code(), "appRegistration_has_expired");
}

#[tokio::test]
async fn tenants_and_enrollees_see_only_their_own() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let other = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let api = RegistrationApi::new().await;
    let mine = Enrollment::start(&api, &tenant).await;
    let theirs = Enrollment::start(&api, &other).await;

    // Another tenant's key: exactly like a missing registration.
    let cross = api.get(&other.api_key, &mine.id, "").await;
    assert_eq!(cross.status, 404, "{}", cross.raw);
    assert_eq!(cross.code(), "AppRegistration_not_found");
    let missing = api
        .get(&other.api_key, "01JBZZZZZZZZZZZZZZZZZZZZZZ", "")
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body, cross.body);
    let cross_result = mine
        .result(&api, &other.api_key, "document", "passed")
        .await;
    assert_eq!(cross_result.status, 404, "{}", cross_result.raw);

    // An API key cannot start a registration on another tenant's flow.
    let foreign_flow = api
        .call(
            Endpoint::Create,
            None,
            Some(&other.api_key),
            Some(json!({"projectFlow": tenant.flow, "email": "x@example.com"})),
        )
        .await;
    assert_eq!(foreign_flow.status, 404, "{}", foreign_flow.raw);

    // The list holds only the caller's registrations.
    let listed = api.list(&other.api_key, "limit=100").await;
    let ids: Vec<&str> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&theirs.id.as_str()));
    assert!(!ids.contains(&mine.id.as_str()));

    // An enrollee token works on its own registration only.
    let own = api.get(&mine.token, &mine.id, "").await;
    assert_eq!(own.status, 200, "{}", own.raw);
    for endpoint in [Endpoint::Get, Endpoint::Sync, Endpoint::Resend] {
        let reply = api
            .call(endpoint, Some(&theirs.id), Some(&mine.token), None)
            .await;
        assert_eq!(reply.status, 403, "{endpoint:?}: {}", reply.raw);
        assert_eq!(reply.code(), "token_not_for_this_registration");
    }
    let validate = mine.validate(&api, "email", "123456").await;
    assert_eq!(
        validate.code(),
        "otp_does_not_match",
        "own registration: {}",
        validate.raw
    );
    let other_validate = api
        .call(
            Endpoint::Validate,
            Some(&theirs.id),
            Some(&mine.token),
            Some(json!({"type": "email", "otp": "123456"})),
        )
        .await;
    assert_eq!(other_validate.status, 403, "{}", other_validate.raw);

    // An enrollee never reports a verifier's result, even for itself.
    let self_report = mine.result(&api, &mine.token, "document", "passed").await;
    assert_eq!(self_report.status, 403, "{}", self_report.raw);
    assert_eq!(self_report.code(), "enrollee_not_allowed");
    let listed = api.list(&mine.token, "").await;
    assert_eq!(listed.status, 403, "{}", listed.raw);
    let stored = api.get(&tenant.api_key, &mine.id, "").await;
    assert!(stored.body["data"]["verificationResults"]
        .as_array()
        .unwrap()
        .is_empty());

    // A tampered or foreign token is no token at all.
    let forged = format!("{}x", mine.token);
    let reply = api.get(&forged, &mine.id, "").await;
    assert_eq!(reply.status, 401, "{}", reply.raw);
}

#[tokio::test]
async fn starting_again_keeps_progress_and_reveals_nothing() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let api = RegistrationApi::new().await;
    let moto = Moto::new();
    let first = Enrollment::start(&api, &tenant).await;
    first.verify_contacts(&api, &moto).await;

    // Same email and phone again: a new registration, same answer shape.
    let second = Enrollment::start_with(&api, &tenant, &first.email, &first.phone).await;
    assert_ne!(second.id, first.id);
    let shape = |reply: &gatehouse_tests::Reply| {
        let mut keys: Vec<String> = reply.body["data"]["appRegistration"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        (
            reply.status,
            keys,
            reply.body["data"]["appRegistration"]["status"].clone(),
        )
    };
    assert_eq!(shape(&first.created), shape(&second.created));
    for hidden in ["redFlags", "failedValidations", "accessControlLog"] {
        assert!(
            second.created.body["data"]["appRegistration"]
                .get(hidden)
                .is_none(),
            "an anonymous start never sees {hidden}"
        );
    }

    // The first registration's progress is intact.
    let kept = api.get(&tenant.api_key, &first.id, "").await;
    assert_eq!(kept.body["data"]["status"], "ONGOING");
    assert_eq!(step(&kept.body["data"], "signUpForm")["status"], "passed");

    // A third start from the same identifier raises a flag the client sees.
    let third = Enrollment::start_with(&api, &tenant, &first.email, &first.phone).await;
    let stored = api.get(&tenant.api_key, &third.id, "").await;
    let flags = stored.body["data"]["redFlags"].as_array().unwrap().clone();
    assert!(
        flags.iter().any(|f| f["code"] == "identifier_reused"),
        "{flags:?}"
    );
}

#[tokio::test]
async fn contact_codes_follow_the_login_rules() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let api = RegistrationApi::new().await;
    let moto = Moto::new();
    let enrollee = Enrollment::start(&api, &tenant).await;
    let code = moto.latest_email_code(&enrollee.email).await;

    // Resend inside the cooldown: 429 with Retry-After.
    let early = api
        .call(
            Endpoint::Resend,
            Some(&enrollee.id),
            Some(&enrollee.token),
            Some(json!({"type": "email"})),
        )
        .await;
    assert_eq!(early.status, 429, "{}", early.raw);
    assert_eq!(early.code(), "resend_too_soon");
    assert!(early.retry_after.is_some());

    // Wrong codes count down, then lock contact verification: FAILED.
    let wrong = wrong_code(&code);
    let first = enrollee.validate(&api, "email", &wrong).await;
    assert_eq!(first.status, 403, "{}", first.raw);
    assert_eq!(first.code(), "otp_does_not_match");
    assert_eq!(first.body["attemptsRemaining"], 4);
    for _ in 0..4 {
        enrollee.validate(&api, "email", &wrong).await;
    }
    let locked = enrollee.validate(&api, "email", &code).await;
    assert!(matches!(locked.status, 409 | 429), "{}", locked.raw);
    let stored = api
        .get(&tenant.api_key, &enrollee.id, "populates[]=emailValidation")
        .await;
    let r = &stored.body["data"];
    assert_eq!(r["status"], "FAILED", "{}", stored.raw);
    assert_eq!(step(r, "signUpForm")["status"], "failed");
    assert_eq!(step(r, "signUpForm")["attempts"], 5);
    assert_eq!(r["emailValidation"]["status"], "failed");
    assert_eq!(r["failedValidations"].as_array().unwrap().len(), 5);
    assert!(r["redFlags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "too_many_failed_codes"));
    assert_no_secrets(&stored.raw, &[&code]);
}

#[tokio::test]
async fn listing_filters_pages_and_populates() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let api = RegistrationApi::new().await;
    let moto = Moto::new();
    let a = Enrollment::start(&api, &tenant).await;
    let b = Enrollment::start(&api, &tenant).await;
    let c = Enrollment::start(&api, &tenant).await;
    b.verify_contacts(&api, &moto).await;

    let all = api.list(&tenant.api_key, "limit=2").await;
    assert_eq!(all.status, 200, "{}", all.raw);
    assert_eq!(all.body["total"], 3);
    assert_eq!(all.body["pages"], 2);
    assert_eq!(all.body["limit"], 2);
    let first_page: Vec<&str> = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["_id"].as_str().unwrap())
        .collect();
    assert_eq!(first_page, [c.id.as_str(), b.id.as_str()], "newest first");
    assert!(all.body["data"][0]["emailValidation"].is_string());
    let page2 = api
        .list(&tenant.api_key, "limit=2&page=2&sort=-createdAt")
        .await;
    assert_eq!(page2.body["data"][0]["_id"], a.id.as_str());

    let ongoing = api.list(&tenant.api_key, "where_status=ONGOING").await;
    assert_eq!(ongoing.body["total"], 1, "{}", ongoing.raw);
    assert_eq!(ongoing.body["data"][0]["_id"], b.id.as_str());
    let started = api
        .list(&tenant.api_key, "in_status[]=STARTED&in_status[]=FAILED")
        .await;
    assert_eq!(started.body["total"], 2);
    let by_email = api
        .list(
            &tenant.api_key,
            &format!(
                "like_email={}&populates[]=emailValidation",
                &a.email[20..30]
            ),
        )
        .await;
    assert_eq!(by_email.body["total"], 1, "{}", by_email.raw);
    assert_eq!(
        by_email.body["data"][0]["emailValidation"]["status"],
        "pending"
    );
    let by_flow = api
        .list(
            &tenant.api_key,
            &format!("where_projectFlow={}", tenant.flow),
        )
        .await;
    assert_eq!(by_flow.body["total"], 3);
    let future = api.list(&tenant.api_key, "gte_createdAt=2999-01-01").await;
    assert_eq!(future.body["total"], 0, "{}", future.raw);
    let past = api
        .list(
            &tenant.api_key,
            "gte_createdAt=2020-01-01&lte_createdAt=2999-12-31",
        )
        .await;
    assert_eq!(past.body["total"], 3, "{}", past.raw);

    // Cursor pages walk the same registrations, in both orders and within
    // a date range; a cursor from outside the range starts or ends it.
    let ids = |reply: &gatehouse_tests::Reply| -> Vec<String> {
        reply.body["data"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", reply.raw))
            .iter()
            .map(|r| r["_id"].as_str().unwrap().to_string())
            .collect()
    };
    let oldest_first = vec![a.id.clone(), b.id.clone(), c.id.clone()];
    let today = &gatehouse::domain::Timestamp::now().to_string()[..10];
    for (query, expected) in [
        ("limit=1&sort=createdAt".to_string(), oldest_first.clone()),
        (
            "limit=2".to_string(),
            oldest_first.iter().rev().cloned().collect(),
        ),
        (
            format!("limit=1&sort=createdAt&gte_createdAt={today}&lte_createdAt={today}"),
            oldest_first.clone(),
        ),
    ] {
        let mut reply = api.list(&tenant.api_key, &query).await;
        let mut walked = ids(&reply);
        while let Some(next) = reply.body["next"].as_str().map(str::to_string) {
            reply = api
                .list(&tenant.api_key, &format!("{query}&after={next}"))
                .await;
            assert_eq!(reply.status, 200, "{}", reply.raw);
            walked.extend(ids(&reply));
        }
        assert_eq!(walked, expected, "{query}");
    }
    let first = api.list(&tenant.api_key, "limit=1&sort=createdAt").await;
    let cursor = first.body["next"].as_str().unwrap().to_string();
    let ended = api
        .list(
            &tenant.api_key,
            &format!("sort=createdAt&lte_createdAt=2020-01-01&after={cursor}"),
        )
        .await;
    assert_eq!(ended.status, 200, "{}", ended.raw);
    assert!(ids(&ended).is_empty(), "{}", ended.raw);
    // Cursors placed before and after the range (made as the API makes
    // them): the list starts at the range's beginning in either order.
    let place = |at: &str| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{at}#x"))
    };
    let range = format!("gte_createdAt={today}&lte_createdAt={today}");
    let early = place("2020-01-01T00:00:00.000Z");
    let late = place("2999-01-01T00:00:00.000Z");
    let ascending = api
        .list(
            &tenant.api_key,
            &format!("sort=createdAt&{range}&after={early}"),
        )
        .await;
    assert_eq!(ids(&ascending), oldest_first, "{}", ascending.raw);
    let descending = api
        .list(
            &tenant.api_key,
            &format!("sort=-createdAt&{range}&after={late}"),
        )
        .await;
    let newest_first: Vec<String> = oldest_first.iter().rev().cloned().collect();
    assert_eq!(ids(&descending), newest_first, "{}", descending.raw);
    let past_the_end = api
        .list(
            &tenant.api_key,
            &format!("sort=createdAt&{range}&after={late}"),
        )
        .await;
    assert!(ids(&past_the_end).is_empty(), "{}", past_the_end.raw);
}

#[tokio::test]
async fn submitted_data_has_a_size_limit() {
    let mut settings = OnboardingSettings::default();
    settings.steps.form = Requirement::Optional;
    let tenant = Tenant::onboarding(settings).create().await;
    let api = RegistrationApi::new().await;
    let enrollee = Enrollment::start(&api, &tenant).await;
    let big = "x".repeat(9 * 1024);
    let reply = api
        .call(
            Endpoint::Information,
            Some(&enrollee.id),
            Some(&enrollee.token),
            Some(json!({"step": "form", "data": {"signature": big}})),
        )
        .await;
    assert_eq!(reply.status, 413, "{}", reply.raw);
    assert_eq!(reply.code(), "information_too_large");

    let ok = api
        .call(
            Endpoint::Information,
            Some(&enrollee.id),
            Some(&enrollee.token),
            Some(json!({"step": "form", "data": {"signature": "data:image/png;base64,iVBORw0KGgo=", "acceptsTerms": true}})),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.raw);
    let r = &ok.body["data"]["appRegistration"];
    assert_eq!(step(r, "form")["status"], "passed");
    assert_eq!(r["information"]["form"]["acceptsTerms"], true);
}

#[tokio::test]
async fn concurrent_results_all_land() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let api = RegistrationApi::new().await;
    let moto = Moto::new();
    let enrollee = Enrollment::start(&api, &tenant).await;
    enrollee.verify_contacts(&api, &moto).await;
    let (a, b, c) = tokio::join!(
        enrollee.result(&api, &tenant.api_key, "document", "passed"),
        enrollee.result(&api, &tenant.api_key, "liveness", "passed"),
        enrollee.basic_information(&api),
    );
    for reply in [&a, &b, &c] {
        assert_eq!(reply.status, 200, "{}", reply.raw);
    }
    let done = enrollee.sync(&api, &tenant.api_key, None).await;
    let r = &done.body["data"]["appRegistration"];
    assert_eq!(r["status"], "COMPLETED", "{}", done.raw);
    assert_eq!(r["verificationResults"].as_array().unwrap().len(), 2);
    // An API-key sync of a completed registration also gets the user token.
    assert!(done.body["data"]["token"].is_string());
}

#[tokio::test]
async fn held_registrations_wait_for_an_operator_decision() {
    use gatehouse::domain::onboarding::ManualVerification;
    let tenant = Tenant::onboarding(OnboardingSettings {
        manual_verification: ManualVerification::Always,
        ..Default::default()
    })
    .create()
    .await;
    let api = RegistrationApi::new().await;
    let moto = Moto::new();

    // Every step passed, but the flow holds every registration for review.
    let approved = Enrollment::start(&api, &tenant).await;
    let held = approved.complete(&api, &moto, &tenant.api_key).await;
    assert_eq!(held.status, 200, "{}", held.raw);
    let r = &held.body["data"]["appRegistration"];
    assert_eq!(r["status"], "NEEDS_MANUAL_VERIFICATION");
    assert!(r["manualReview"].is_null());
    gatehouse_tests::assert_no_user_token(&held.body["data"]);

    // Only the client's backend decides, never the enrollee.
    let by_enrollee = approved.review(&api, &approved.token, "approve").await;
    assert_eq!(by_enrollee.status, 403, "{}", by_enrollee.raw);
    assert_eq!(by_enrollee.code(), "enrollee_not_allowed");
    let other = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let across = approved.review(&api, &other.api_key, "approve").await;
    assert_eq!(across.status, 404, "{}", across.raw);

    let decided = approved.review(&api, &tenant.api_key, "approve").await;
    assert_eq!(decided.status, 200, "{}", decided.raw);
    let r = &decided.body["data"]["appRegistration"];
    assert_eq!(r["status"], "COMPLETED");
    assert!(r["completedAt"].is_string());
    assert_eq!(r["manualReview"]["decision"], "approve");
    assert_eq!(r["manualReview"]["reviewer"], "ops:maria");
    assert_eq!(
        r["manualReview"]["reportedBy"],
        format!("client:{}", tenant.client)
    );
    assert!(
        approved
            .has_logged(&api, &tenant.api_key, "manual_review")
            .await
    );

    // The approval stands: the next sync hands out the user token, and a
    // second decision is refused.
    let synced = approved.sync(&api, &approved.token, None).await;
    assert_eq!(
        synced.body["data"]["appRegistration"]["status"],
        "COMPLETED"
    );
    let claims = verify_token(
        synced.body["data"]["token"].as_str().expect("a user token"),
        &tenant.project,
    );
    assert_eq!(claims.sub, approved.email);
    let again = approved.review(&api, &tenant.api_key, "reject").await;
    assert_eq!(again.status, 409, "{}", again.raw);
    assert_eq!(again.code(), "appRegistration_not_awaiting_review");

    // A rejection fails it for good: no token.
    let rejected = Enrollment::start(&api, &tenant).await;
    rejected.complete(&api, &moto, &tenant.api_key).await;
    let decided = rejected.review(&api, &tenant.api_key, "reject").await;
    assert_eq!(decided.status, 200, "{}", decided.raw);
    assert_eq!(decided.body["data"]["appRegistration"]["status"], "FAILED");
    let synced = rejected.sync(&api, &rejected.token, None).await;
    assert_eq!(synced.body["data"]["appRegistration"]["status"], "FAILED");
    gatehouse_tests::assert_no_user_token(&synced.body["data"]);

    // A registration still in progress is not reviewable.
    let ongoing = Enrollment::start(&api, &tenant).await;
    let early = ongoing.review(&api, &tenant.api_key, "approve").await;
    assert_eq!(early.status, 409, "{}", early.raw);
    assert_eq!(early.code(), "appRegistration_not_awaiting_review");
    let stored = api.get(&tenant.api_key, &ongoing.id, "").await;
    assert_eq!(stored.body["data"]["status"], "STARTED");
    assert!(stored.body["data"]["manualReview"].is_null());

    // The audit log has the two decisions, each naming the key that made
    // it; the refused ones (by the enrollee, another tenant, a second
    // decision, too early) wrote nothing.
    let log = gatehouse_tests::ConfigApi::new()
        .await
        .call("GET", "audit-log", None, Some(&tenant.api_key), "", None)
        .await;
    assert_eq!(log.status, 200, "{}", log.raw);
    let entries: Vec<_> = log.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(
                e["actor"],
                json!({"kind": "apiKey", "id": &tenant.api_key[..12]})
            );
            assert_eq!(e["detail"], "by ops:maria: documents checked by hand");
            (e["action"].clone(), e["record"].clone())
        })
        .collect();
    assert_eq!(
        entries,
        [
            (json!("registrationRejected"), json!(rejected.id)),
            (json!("registrationApproved"), json!(approved.id)),
        ],
        "{}",
        log.raw
    );
}

#[tokio::test]
async fn the_clients_backend_can_resume_an_active_registration() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let api = RegistrationApi::new().await;
    let moto = Moto::new();
    let enrollee = Enrollment::start(&api, &tenant).await;
    let resume = |bearer: String| {
        let api = &api;
        let id = enrollee.id.clone();
        async move {
            api.call(Endpoint::Resume, Some(&id), Some(&bearer), None)
                .await
        }
    };

    let by_enrollee = resume(enrollee.token.clone()).await;
    assert_eq!(by_enrollee.status, 403, "{}", by_enrollee.raw);
    assert_eq!(by_enrollee.code(), "enrollee_not_allowed");
    let other = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let across = resume(other.api_key.clone()).await;
    assert_eq!(across.status, 404, "{}", across.raw);

    let resumed = resume(tenant.api_key.clone()).await;
    assert_eq!(resumed.status, 200, "{}", resumed.raw);
    assert_eq!(resumed.body["data"]["expiresIn"], 1800);
    assert_eq!(resumed.body["data"]["appRegistration"]["status"], "STARTED");
    let token = resumed.body["data"]["token"].as_str().expect("a token");
    let claims = verify_enrollee_token(token);
    assert_eq!(claims.sub, enrollee.id);
    assert_eq!(claims.client, tenant.client);
    assert_eq!(claims.exp - claims.iat, 1800);

    // The enrollee carries on with the new token.
    let code = moto.latest_email_code(&enrollee.email).await;
    let validated = api
        .call(
            Endpoint::Validate,
            Some(&enrollee.id),
            Some(token),
            Some(json!({"type": "email", "otp": code})),
        )
        .await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    assert!(enrollee.has_logged(&api, &tenant.api_key, "resumed").await);

    // A finished registration is not resumed.
    let finished = Enrollment::start(&api, &tenant).await;
    let done = finished.complete(&api, &moto, &tenant.api_key).await;
    assert_eq!(
        done.body["data"]["appRegistration"]["status"], "COMPLETED",
        "{}",
        done.raw
    );
    let closed = api
        .call(
            Endpoint::Resume,
            Some(&finished.id),
            Some(&tenant.api_key),
            None,
        )
        .await;
    assert_eq!(closed.status, 409, "{}", closed.raw);
    assert_eq!(closed.code(), "appRegistration_closed");
}
