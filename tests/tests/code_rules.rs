//! The rules every code obeys: lifetime, attempt limit (counted with a
//! conditional write), single use, and resend with cooldown.

use gatehouse::domain::LoginSettings;
use gatehouse_tests::api::ShiftedClock;
use gatehouse_tests::{assert_no_secrets, login_id, logs, wrong_code, Api, Moto, Tenant};
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn wrong_code_counts_down_and_lockout_kills_even_the_right_code() {
    let tenant = Tenant::builder()
        .settings(LoginSettings {
            max_attempts: 3,
            ..LoginSettings::default()
        })
        .create()
        .await;
    let api = Api::new().await;
    let (id, _, code) = api.email_login(&tenant).await;

    for remaining in [2, 1, 0] {
        let reply = api.validate(&id, json!({"otp": wrong_code(&code)})).await;
        assert_eq!(reply.status, 403, "{}", reply.raw);
        assert_eq!(reply.code(), "otp_does_not_match");
        assert_eq!(reply.body["attemptsRemaining"], remaining);
    }
    let locked = api.validate(&id, json!({"otp": code})).await;
    assert_eq!(locked.status, 429, "{}", locked.raw);
    assert_eq!(locked.code(), "attempts_exhausted");

    let stored = api
        .get(
            Some(&tenant.api_key),
            &id,
            "populates[]=emailValidation&populates[]=accessControlLog",
        )
        .await;
    let login = &stored.body["data"];
    assert_eq!(login["status"], "failed");
    assert_eq!(login["emailValidation"]["status"], "failed");
    assert_eq!(login["emailValidation"]["attempts"], 3);
    let events: Vec<&str> = login["accessControlLog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "created",
            "code_sent",
            "check_failed",
            "check_failed",
            "check_failed",
            "locked_out"
        ]
    );

    // A locked login takes no resend either.
    let resend = api.resend(&id, None).await;
    assert_eq!(resend.status, 409, "{}", resend.raw);
    assert_no_secrets(&stored.raw, &[&code]);
    assert_no_secrets(&logs::text(), &[&code]);
}

#[tokio::test]
async fn twenty_concurrent_wrong_guesses_count_exactly_max_attempts() {
    let tenant = Tenant::create().await; // max 5
    let api = Arc::new(Api::new().await);
    let (id, _, code) = api.email_login(&tenant).await;
    let bad = wrong_code(&code);

    let guesses = (0..20).map(|_| {
        let api = api.clone();
        let id = id.clone();
        let bad = bad.clone();
        tokio::spawn(async move { api.validate(&id, json!({"otp": bad})).await })
    });
    let mut mismatches = 0;
    let mut exhausted = 0;
    for guess in guesses {
        let reply = guess.await.unwrap();
        match reply.status {
            403 => mismatches += 1,
            429 => exhausted += 1,
            other => panic!("unexpected {other}: {}", reply.raw),
        }
    }
    assert_eq!(mismatches, 5, "exactly max attempts were compared");
    assert_eq!(exhausted, 15);

    let stored = api
        .get(Some(&tenant.api_key), &id, "populates[]=emailValidation")
        .await;
    assert_eq!(stored.body["data"]["emailValidation"]["attempts"], 5);
    assert_eq!(stored.body["data"]["status"], "failed");
    let right = api.validate(&id, json!({"otp": code})).await;
    assert_eq!(right.status, 429, "the right code is dead after the limit");
}

#[tokio::test]
async fn concurrent_right_codes_validate_exactly_once() {
    let tenant = Tenant::create().await;
    let api = Arc::new(Api::new().await);
    let (id, _, code) = api.email_login(&tenant).await;
    let tries = (0..5).map(|_| {
        let (api, id, code) = (api.clone(), id.clone(), code.clone());
        tokio::spawn(async move { api.validate(&id, json!({"otp": code})).await })
    });
    let mut tokens = 0;
    for t in tries {
        let reply = t.await.unwrap();
        if reply.status == 200 {
            tokens += 1;
        } else {
            assert_eq!(reply.status, 409, "{}", reply.raw);
        }
    }
    assert_eq!(tokens, 1, "a code is single use even under concurrency");
}

#[tokio::test]
async fn expired_code_fails_with_its_own_error() {
    let tenant = Tenant::create().await; // 600 s lifetime
    let api = Api::new().await;
    let (id, _, code) = api.email_login(&tenant).await;
    let later = Api::with_clock(Arc::new(ShiftedClock(601))).await;
    let expired = later.validate(&id, json!({"otp": code})).await;
    assert_eq!(expired.status, 412, "{}", expired.raw);
    assert_eq!(expired.code(), "emailValidation_has_expired");

    // Just before expiry the same code still works.
    let (id, _, code) = api.email_login(&tenant).await;
    let almost = Api::with_clock(Arc::new(ShiftedClock(590))).await;
    assert_eq!(almost.validate(&id, json!({"otp": code})).await.status, 200);
}

#[tokio::test]
async fn resend_replaces_the_code_keeps_attempts_and_has_a_cooldown() {
    let tenant = Tenant::builder()
        .settings(LoginSettings {
            resend_cooldown_seconds: 1,
            ..LoginSettings::default()
        })
        .create()
        .await;
    let api = Api::new().await;
    let moto = Moto::new();
    let (id, email, old_code) = api.email_login(&tenant).await;

    assert_eq!(
        api.validate(&id, json!({"otp": wrong_code(&old_code)}))
            .await
            .status,
        403
    );

    let too_soon = api.resend(&id, None).await;
    assert_eq!(too_soon.status, 429, "{}", too_soon.raw);
    assert_eq!(too_soon.code(), "resend_too_soon");
    assert_eq!(too_soon.retry_after.as_deref(), Some("1"));

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let resent = api.resend(&id, Some(json!({"type": "email"}))).await;
    assert_eq!(resent.status, 200, "{}", resent.raw);
    assert_eq!(moto.emails_to(&email).await.len(), 2);
    let new_code = moto.latest_email_code(&email).await;
    assert_no_secrets(&resent.raw, &[&new_code, &old_code]);

    if new_code != old_code {
        let old = api.validate(&id, json!({"otp": old_code})).await;
        assert_eq!(old.status, 403, "the old code died: {}", old.raw);
        // Two failures so far out of five: the count survived the resend.
        assert_eq!(old.body["attemptsRemaining"], 3);
    }
    let ok = api.validate(&id, json!({"otp": new_code})).await;
    assert_eq!(ok.status, 200, "{}", ok.raw);
}

#[tokio::test]
async fn default_cooldown_is_sixty_seconds() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let (id, _, _) = api.email_login(&tenant).await;
    let reply = api.resend(&id, None).await;
    assert_eq!(reply.status, 429);
    let wait: u64 = reply.retry_after.expect("Retry-After").parse().unwrap();
    assert!((55..=60).contains(&wait), "Retry-After {wait}");
}

#[tokio::test]
async fn asking_again_resends_on_the_existing_login() {
    let tenant = Tenant::builder()
        .settings(LoginSettings {
            email: true,
            phone: true,
            resend_cooldown_seconds: 0,
            ..LoginSettings::default()
        })
        .create()
        .await;
    let api = Api::new().await;
    let moto = Moto::new();
    let (id, email, first_code) = api.email_login(&tenant).await;
    let again = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": email}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.raw);
    assert_eq!(again.body["data"]["existing"], true);
    assert_eq!(again.body["data"]["sent"], true);
    assert_eq!(login_id(&again), id);
    assert_eq!(moto.emails_to(&email).await.len(), 2);
    let second_code = moto.latest_email_code(&email).await;
    assert_no_secrets(&again.raw, &[&first_code, &second_code]);
    assert_eq!(
        api.validate(&id, json!({"otp": second_code})).await.status,
        200
    );

    // Once validated, the identifier is free for a new login.
    let fresh = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": email}),
        )
        .await;
    assert_eq!(fresh.status, 201, "{}", fresh.raw);
    assert_ne!(login_id(&fresh), id);
}
