//! Full logins by email and by SMS, through the real handlers, DynamoDB
//! Local and moto; codes are read back from what moto sent.

use gatehouse::domain::LoginSettings;
use gatehouse_tests::{
    assert_no_secrets, login_id, logs, unique_co_mobile, unique_email, verify_token, wrong_code,
    Api, Moto, Tenant,
};
use serde_json::json;

#[tokio::test]
async fn email_login_end_to_end() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let moto = Moto::new();
    let email = unique_email();

    // Mixed case and spaces: the address is normalised.
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": format!("  {}  ", email.to_uppercase())}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let login = &created.body["data"]["appLogin"];
    assert_eq!(login["status"], "pending");
    assert_eq!(login["type"], "email");
    assert_eq!(login["client"], tenant.client.as_str());
    assert_eq!(login["project"], tenant.project.as_str());
    assert_eq!(login["projectFlow"], tenant.flow.as_str());
    assert_eq!(login["emailValidation"]["email"], email.as_str());
    assert_eq!(
        login["emailValidation"]["validationMethod"],
        "verificationCode"
    );
    assert_eq!(created.body["data"]["existing"], false);

    let (subject, body) = moto
        .emails_to(&email)
        .await
        .pop()
        .expect("an email was sent");
    assert!(
        subject.contains("Acme Test App"),
        "subject names the project: {subject}"
    );
    let code = moto.latest_email_code(&email).await;
    assert!(body.contains("Acme Test App"));
    assert_no_secrets(&created.raw, &[&code]);

    let id = login_id(&created);
    let validated = api.validate(&id, json!({"otp": code})).await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    let data = &validated.body["data"];
    assert_eq!(data["appLogin"]["status"], "validated");
    assert_eq!(data["appLogin"]["emailValidation"]["status"], "validated");
    assert!(data["appLogin"]["completedAt"].is_string());
    assert_eq!(data["showFaceLivenessRecommendation"], false);
    assert_no_secrets(&validated.raw, &[&code]);

    let claims = verify_token(data["token"].as_str().expect("a token"), &tenant.project);
    assert_eq!(claims.sub, email);
    assert_eq!(claims.aud, tenant.project);
    assert_eq!(claims.login_id, id);
    assert_eq!(claims.project_flow, tenant.flow);
    assert_eq!(claims.amr, vec!["email".to_string()]);
    assert!(claims.exp > claims.iat);

    // Single use: the same correct code is refused.
    let again = api.validate(&id, json!({"otp": code})).await;
    assert_eq!(again.status, 409, "{}", again.raw);
    assert_eq!(again.code(), "otp_already_used");

    // The stored login shows every step and the access-control log.
    let stored = api
        .get(
            Some(&tenant.api_key),
            &id,
            "populates[]=emailValidation&populates[]=accessControlLog",
        )
        .await;
    assert_eq!(stored.status, 200);
    let events: Vec<&str> = stored.body["data"]["accessControlLog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["created", "code_sent", "channel_validated"]);
    let first = &stored.body["data"]["accessControlLog"][0];
    assert_eq!(first["ipAddress"], api.ip.as_str());
    assert_eq!(first["userAgent"], gatehouse_tests::api::TEST_USER_AGENT);
    let steps: Vec<(&str, &str)> = stored.body["data"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["type"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("login_form", "completed"),
            ("access_control", "completed"),
            ("email_otp_verification", "completed")
        ]
    );
    assert_no_secrets(&stored.raw, &[&code]);
    assert_no_secrets(&logs::text(), &[&code]);
}

#[tokio::test]
async fn sms_login_end_to_end_with_verifik_validate_form() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let moto = Moto::new();
    let phone = unique_co_mobile();
    let e164 = format!("+57{phone}");

    // `phone` may arrive as a number.
    let created = api
        .create(&tenant.api_key, json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": phone.parse::<u64>().unwrap()}))
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    assert_eq!(created.body["data"]["appLogin"]["type"], "phone");
    assert_eq!(
        created.body["data"]["appLogin"]["phoneValidation"]["countryCode"],
        "+57"
    );
    assert_eq!(
        created.body["data"]["appLogin"]["phoneValidation"]["phone"],
        phone.as_str()
    );

    let sms = moto.sms_to(&e164).await;
    assert_eq!(sms.len(), 1, "exactly one SMS: {sms:?}");
    assert!(sms[0].contains("Acme Test App"));
    let code = moto.latest_sms_code(&e164).await;

    // Verifik's own form; `otp` as a number works too.
    let wrong = wrong_code(&code);
    let miss = api
        .validate_verifik(
            "phone",
            json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": phone, "otp": wrong}),
        )
        .await;
    assert_eq!(miss.status, 403);
    assert_eq!(miss.code(), "otp_does_not_match");
    // The public identifier form never tells how many attempts are left.
    assert!(miss.body.get("attemptsRemaining").is_none(), "{}", miss.raw);

    let validated = api
        .validate_verifik(
            "phone",
            json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": phone, "otp": code}),
        )
        .await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    assert_eq!(validated.body["data"]["appLogin"]["status"], "validated");
    let claims = verify_token(
        validated.body["data"]["token"].as_str().unwrap(),
        &tenant.project,
    );
    assert_eq!(claims.sub, e164);
    assert_eq!(claims.amr, vec!["sms".to_string()]);
    assert_no_secrets(&validated.raw, &[&code]);
    assert_no_secrets(&logs::text(), &[&code]);
}

#[tokio::test]
async fn verifik_email_form_finds_the_pending_login() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let email = unique_email();
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": email}),
        )
        .await;
    assert_eq!(created.status, 201);
    let code = Moto::new().latest_email_code(&email).await;

    let unknown = api
        .validate_verifik(
            "email",
            json!({"projectFlow": tenant.flow, "email": unique_email(), "otp": code}),
        )
        .await;
    // No pending login answers exactly like a wrong code (issue 9, item 4).
    assert_eq!(unknown.status, 403, "{}", unknown.raw);
    assert_eq!(unknown.code(), "otp_does_not_match");

    let validated = api
        .validate_verifik("email", json!({"projectFlow": tenant.flow, "email": email.to_uppercase(), "otp": code.parse::<u32>().unwrap()}))
        .await;
    // A code with a leading zero cannot travel as a JSON number.
    if code.starts_with('0') {
        assert_eq!(validated.status, 400, "{}", validated.raw);
        let validated = api
            .validate_verifik(
                "email",
                json!({"projectFlow": tenant.flow, "email": email, "otp": code}),
            )
            .await;
        assert_eq!(validated.status, 200, "{}", validated.raw);
    } else {
        assert_eq!(validated.status, 200, "{}", validated.raw);
        assert_eq!(
            validated.body["data"]["appLogin"]["_id"],
            login_id(&created).as_str()
        );
    }
}

#[tokio::test]
async fn two_factor_flow_needs_both_codes_before_a_token() {
    let tenant = Tenant::builder()
        .settings(LoginSettings {
            email: true,
            phone: true,
            requires_2fa: true,
            ..LoginSettings::default()
        })
        .create()
        .await;
    let api = Api::new().await;
    let moto = Moto::new();
    let email = unique_email();
    let phone = unique_co_mobile();

    let only_email = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": email}),
        )
        .await;
    assert_eq!(only_email.status, 400);
    assert_eq!(only_email.code(), "MissingParameter");

    let created = api
        .create(&tenant.api_key, json!({"projectFlow": tenant.flow, "email": email, "countryCode": "+57", "phone": phone}))
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    assert_eq!(created.body["data"]["appLogin"]["type"], "emailAndPhone");
    let id = login_id(&created);
    let email_code = moto.latest_email_code(&email).await;
    let sms_code = moto.latest_sms_code(&format!("+57{phone}")).await;

    // Without `type`, a login with two pending codes cannot tell which one.
    let ambiguous = api.validate(&id, json!({"otp": email_code})).await;
    assert_eq!(ambiguous.status, 400);
    assert_eq!(ambiguous.code(), "MissingParameter");

    let first = api
        .validate(&id, json!({"otp": email_code, "type": "email"}))
        .await;
    assert_eq!(first.status, 200, "{}", first.raw);
    assert_eq!(first.body["data"]["appLogin"]["status"], "pending");
    assert!(
        first.body["data"]["token"].is_null(),
        "no token after one factor"
    );

    let second = api
        .validate(&id, json!({"otp": sms_code, "type": "phone"}))
        .await;
    assert_eq!(second.status, 200, "{}", second.raw);
    assert_eq!(second.body["data"]["appLogin"]["status"], "validated");
    let claims = verify_token(
        second.body["data"]["token"].as_str().unwrap(),
        &tenant.project,
    );
    assert_eq!(claims.amr, vec!["email".to_string(), "sms".to_string()]);
    assert_eq!(claims.sub, email);
}

#[tokio::test]
async fn sms_goes_only_to_allowed_countries() {
    let tenant = Tenant::builder().allowed_countries(&["MX"]).create().await;
    let api = Api::new().await;
    let phone = unique_co_mobile();
    let refused = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": phone}),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.raw);
    assert_eq!(refused.code(), "country_not_allowed");
    assert!(
        Moto::new().sms_to(&format!("+57{phone}")).await.is_empty(),
        "nothing was sent"
    );
}
