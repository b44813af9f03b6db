//! Bad input gets a 4xx with a JSON `{code, message}` naming the problem,
//! and leaves nothing behind.

use gatehouse::domain::FlowStatus;
use gatehouse_tests::{login_id, unique_email, Api, Tenant};
use serde_json::json;

#[tokio::test]
async fn create_rejects_bad_bodies_and_stores_nothing() {
    let tenant = Tenant::create().await;
    let paused = Tenant::builder().status(FlowStatus::Paused).create().await;
    let api = Api::new().await;
    let flow = tenant.flow.as_str();
    let cases: Vec<(String, u16, &str)> = vec![
        ("".into(), 400, "invalid_body"),
        ("not json".into(), 400, "invalid_json"),
        ("[1,2]".into(), 400, "invalid_body"),
        ("{\"projectFlow\": ".into(), 400, "invalid_json"),
        (json!({}).to_string(), 400, "MissingParameter"),
        (
            json!({"email": "a@example.com"}).to_string(),
            400,
            "MissingParameter",
        ),
        (
            json!({"projectFlow": flow}).to_string(),
            400,
            "MissingParameter",
        ),
        (
            json!({"projectFlow": flow, "phone": "3001234567"}).to_string(),
            400,
            "MissingParameter",
        ),
        (
            json!({"projectFlow": flow, "countryCode": "+57"}).to_string(),
            400,
            "MissingParameter",
        ),
        (
            json!({"projectFlow": 42, "email": "a@example.com"}).to_string(),
            400,
            "invalid_parameter",
        ),
        (
            json!({"projectFlow": flow, "email": ["a@example.com"]}).to_string(),
            400,
            "invalid_parameter",
        ),
        (
            json!({"projectFlow": flow, "email": "not-an-email"}).to_string(),
            400,
            "invalid_email",
        ),
        (
            json!({"projectFlow": flow, "email": "a@"}).to_string(),
            400,
            "invalid_email",
        ),
        (
            json!({"projectFlow": flow, "countryCode": "57", "phone": "3001234567"}).to_string(),
            400,
            "invalid_country_code",
        ),
        (
            json!({"projectFlow": flow, "countryCode": "+57", "phone": "300-123-4567"}).to_string(),
            400,
            "invalid_phone",
        ),
        (
            json!({"projectFlow": flow, "countryCode": "+57", "phone": "12"}).to_string(),
            400,
            "invalid_phone",
        ),
        (
            json!({"projectFlow": flow, "countryCode": "+57", "phone": 3.5}).to_string(),
            400,
            "invalid_parameter",
        ),
        (
            json!({"projectFlow": "does-not-exist", "email": "a@example.com"}).to_string(),
            404,
            "projectFlow_not_found",
        ),
        (
            json!({"projectFlow": "../../etc", "email": "a@example.com"}).to_string(),
            404,
            "projectFlow_not_found",
        ),
        (
            json!({"projectFlow": paused.flow, "email": "a@example.com"}).to_string(),
            404,
            "projectFlow_not_found",
        ),
        ("x".repeat(20_000), 400, "body_too_large"),
    ];
    for (body, status, code) in &cases {
        let reply = api.create_raw(Some(&tenant.api_key), body).await;
        assert_eq!(reply.status, *status, "{body:.60}: {}", reply.raw);
        assert_eq!(reply.code(), *code, "{body:.60}");
        assert!(
            reply.body["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            reply.raw
        );
    }
    // A paused flow of one's own is a conflict, not a missing flow.
    let own_paused = api
        .create(
            &paused.api_key,
            json!({"projectFlow": paused.flow, "email": unique_email()}),
        )
        .await;
    assert_eq!(own_paused.status, 409);
    assert_eq!(own_paused.code(), "projectFlow_not_active");

    let missing = api
        .create_raw(Some(&tenant.api_key), &json!({}).to_string())
        .await;
    assert_eq!(
        missing.body["missing"],
        json!(["projectFlow", "email or countryCode+phone"])
    );

    let listed = api.list(Some(&tenant.api_key), "").await;
    assert_eq!(
        listed.body["total"], 0,
        "no failed request left a login behind"
    );
}

#[tokio::test]
async fn validate_and_resend_reject_bad_input() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": unique_email()}),
        )
        .await;
    let id = login_id(&created);
    for (body, status, code) in [
        ("".to_string(), 400, "invalid_body"),
        ("{".to_string(), 400, "invalid_json"),
        (json!({}).to_string(), 400, "MissingParameter"),
        (json!({"otp": "12345"}).to_string(), 400, "invalid_otp"),
        (json!({"otp": "1234567"}).to_string(), 400, "invalid_otp"),
        (json!({"otp": "12a456"}).to_string(), 400, "invalid_otp"),
        (json!({"otp": true}).to_string(), 400, "invalid_parameter"),
        (
            json!({"otp": -123456}).to_string(),
            400,
            "invalid_parameter",
        ),
        (
            json!({"otp": "123456", "type": "fax"}).to_string(),
            400,
            "invalid_type",
        ),
        (
            json!({"otp": "123456", "type": "phone"}).to_string(),
            400,
            "channel_not_requested",
        ),
    ] {
        let reply = api.validate_raw(&id, &body).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.raw);
        assert_eq!(reply.code(), code, "{body}");
    }
    // None of those counted as an attempt.
    let stored = api
        .get(Some(&tenant.api_key), &id, "populates[]=emailValidation")
        .await;
    assert_eq!(stored.body["data"]["emailValidation"]["attempts"], 0);

    let unknown = api
        .validate("01jzzzzzzzzzzzzzzzzzzzzzzz", json!({"otp": "123456"}))
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.code(), "AppLogin_not_found");
    let garbage = api.validate("%00;drop", json!({"otp": "123456"})).await;
    assert_eq!(garbage.status, 404);

    for (kind, body, code) in [
        (
            "email",
            json!({"email": "a@example.com", "otp": "123456"}),
            "MissingParameter",
        ),
        (
            "email",
            json!({"projectFlow": tenant.flow, "email": "nope", "otp": "123456"}),
            "invalid_email",
        ),
        (
            "phone",
            json!({"projectFlow": tenant.flow, "phone": "3001234567", "otp": "123456"}),
            "MissingParameter",
        ),
        (
            "phone",
            json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": "abc", "otp": "123456"}),
            "invalid_phone",
        ),
    ] {
        let reply = api.validate_verifik(kind, body.clone()).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.raw);
        assert_eq!(reply.code(), code, "{body}");
    }

    let bad_type = api.resend(&id, Some(json!({"type": 7}))).await;
    assert_eq!(bad_type.status, 400);
    let unknown = api.resend("01jzzzzzzzzzzzzzzzzzzzzzzz", None).await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_a_400() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let reply = api
        .create_binary(&tenant.api_key, &[0xff, 0xfe, b'{', 0x80])
        .await;
    assert_eq!(reply.status, 400, "{}", reply.raw);
    assert_eq!(reply.code(), "invalid_json");
}
