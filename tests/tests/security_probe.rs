//! The outside probe of issue 9, input by input. Each of these inputs got
//! through before the hardening; each must be refused now. The defences are
//! listed in docs/security.md "Security".

use gatehouse::adapters::dynamodb::DynamoRegistrationStore;
use gatehouse::domain::flow::FlowSecurity;
use gatehouse::domain::OnboardingSettings;
use gatehouse::ports::RegistrationStore;
use gatehouse::wiring::Aws;
use gatehouse_tests::{
    login_id, stack_var, unique_email, verify_token, wrong_code, Api, ConfigApi, Endpoint,
    Enrollment, Moto, RegistrationApi, Reply, Tenant,
};
use serde_json::{json, Value};

fn expect_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.raw);
    assert_eq!(reply.code(), code, "{}", reply.raw);
}

/// A fresh local part, so no two runs share a mailbox.
fn fresh_local(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

#[tokio::test]
async fn only_a_bare_mailbox_is_accepted() {
    let tenant = Tenant::builder()
        .security(FlowSecurity {
            allow_list: vec![],
            deny_list: vec!["@blocked.test".into()],
        })
        .create()
        .await;
    let onboarding = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let api = Api::new().await;
    let registrations = RegistrationApi::new().await;
    let moto = Moto::new();
    let mailbox = format!("{}@example.com", fresh_local("one"));

    let mut forms = vec![
        "X <dl@blocked.test>".to_string(),
        "\"victim@bank.example\" <attacker@evil.example>".to_string(),
        "a@[127.0.0.1]".to_string(),
        "a\u{202e}@example.com".to_string(),
        format!("{mailbox} (comment)"),
    ];
    forms.extend((1..=7).map(|n| format!("n{n} <{mailbox}>")));
    for email in &forms {
        let reply = api
            .create(
                &tenant.api_key,
                json!({"projectFlow": tenant.flow, "email": email}),
            )
            .await;
        // A bidi override is refused in any string of any body, before the
        // email rule sees it.
        let code = if email.contains('\u{202e}') {
            "invalid_json"
        } else {
            "invalid_email"
        };
        expect_error(&reply, 400, code);
    }
    let anonymous = registrations
        .call(
            Endpoint::Create,
            None,
            None,
            Some(json!({"projectFlow": onboarding.flow, "email": format!("r <{mailbox}>")})),
        )
        .await;
    expect_error(&anonymous, 400, "invalid_email");

    for to in ["dl@blocked.test", "attacker@evil.example", mailbox.as_str()] {
        assert!(moto.emails_to(to).await.is_empty(), "a code reached {to}");
    }
}

#[tokio::test]
async fn tags_share_one_mailbox_for_limits_and_the_deny_list() {
    let boss = fresh_local("boss");
    let tenant = Tenant::builder()
        .security(FlowSecurity {
            allow_list: vec![],
            deny_list: vec![format!("{boss}@example.com")],
        })
        .create()
        .await;
    let api = Api::new().await;
    let moto = Moto::new();

    // Five codes an hour reach one mailbox, whatever tags the address carries.
    let local = fresh_local("tagged");
    for n in 1..=5 {
        let reply = api
            .create(
                &tenant.api_key,
                json!({"projectFlow": tenant.flow, "email": format!("{local}+{n}@example.com")}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.raw);
    }
    let sixth = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": format!("{local}+6@example.com")}),
        )
        .await;
    expect_error(&sixth, 429, "identifier_rate_limited");

    // A denied address stays denied with a tag.
    let tagged_boss = format!("{boss}+x@example.com");
    let reply = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": tagged_boss}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.raw);
    assert!(moto.emails_to(&tagged_boss).await.is_empty());
}

#[tokio::test]
async fn the_token_names_the_canonical_mailbox() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let local = fresh_local("Ana");
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": format!("{local}@Bücher.Example")}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let canonical = format!("{}@xn--bcher-kva.example", local.to_lowercase());
    let code = Moto::new().latest_email_code(&canonical).await;
    let validated = api
        .validate(&login_id(&created), json!({"otp": code}))
        .await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    let claims = verify_token(
        validated.body["data"]["token"].as_str().unwrap(),
        &tenant.project,
    );
    assert_eq!(claims.sub, canonical);
}

#[tokio::test]
async fn security_monitoring_is_for_the_tenant_only() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let api = RegistrationApi::new().await;
    let first = Enrollment::start(&api, &tenant).await;
    Enrollment::start_with(&api, &tenant, &first.email, &first.phone).await;
    let third = Enrollment::start_with(&api, &tenant, &first.email, &first.phone).await;

    let as_enrollee = api.get(&third.token, &third.id, "").await;
    assert_eq!(as_enrollee.status, 200, "{}", as_enrollee.raw);
    for reply in [
        &third.created.body["data"]["appRegistration"],
        &as_enrollee.body["data"],
    ] {
        for hidden in [
            "redFlags",
            "failedValidations",
            "accessControlLog",
            "manualReview",
        ] {
            assert!(reply.get(hidden).is_none(), "{hidden} shown: {reply}");
        }
    }
    assert!(!third.created.raw.contains("identifier_reused"));
    assert!(!as_enrollee.raw.contains("identifier_reused"));

    let as_tenant = api.get(&tenant.api_key, &third.id, "").await;
    let flags = as_tenant.body["data"]["redFlags"].as_array().unwrap();
    assert!(flags.iter().any(|f| f["code"] == "identifier_reused"));
}

#[tokio::test]
async fn a_revoked_key_mints_nothing() {
    let tenant = Tenant::create().await;
    let api = ConfigApi::new().await;
    let k2 = api
        .call(
            "POST",
            "api-keys",
            None,
            Some(&tenant.api_key),
            "",
            Some(json!({"scope": "admin"})),
        )
        .await;
    assert_eq!(k2.status, 201, "{}", k2.raw);
    let k2_key = k2.body["data"]["apiKey"].as_str().unwrap().to_string();
    let k2_prefix = k2.body["data"]["prefix"].as_str().unwrap().to_string();
    let minted = api
        .call("POST", "api-keys", None, Some(&k2_key), "", None)
        .await;
    assert_eq!(minted.status, 201, "{}", minted.raw);

    let revoked = api
        .call(
            "DELETE",
            "api-keys",
            Some(&k2_prefix),
            Some(&tenant.api_key),
            "",
            None,
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.raw);
    let again = api
        .call("POST", "api-keys", None, Some(&k2_key), "", None)
        .await;
    expect_error(&again, 401, "Unauthorized");
    let read = api
        .call("GET", "projects", None, Some(&k2_key), "", None)
        .await;
    expect_error(&read, 401, "Unauthorized");
}

#[tokio::test]
async fn a_runtime_key_signs_people_in_but_manages_nothing() {
    let tenant = Tenant::create().await;
    let config = ConfigApi::new().await;
    let created = config
        .call("POST", "api-keys", None, Some(&tenant.api_key), "", None)
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    assert_eq!(created.body["data"]["scope"], "runtime", "the default");
    let runtime = created.body["data"]["apiKey"].as_str().unwrap().to_string();
    let main_prefix = &tenant.api_key[..12];

    for (method, resource, id) in [
        ("POST", "api-keys", None),
        ("GET", "api-keys", None),
        ("DELETE", "api-keys", Some(main_prefix)),
        ("GET", "projects", None),
        ("GET", "project-flows", Some(tenant.flow.as_str())),
    ] {
        let reply = config
            .call(method, resource, id, Some(&runtime), "", None)
            .await;
        expect_error(&reply, 403, "insufficient_scope");
    }
    let login = Api::new()
        .await
        .create(
            &runtime,
            json!({"projectFlow": tenant.flow, "email": unique_email()}),
        )
        .await;
    assert_eq!(login.status, 201, "{}", login.raw);
}

#[tokio::test]
async fn the_public_validate_forms_are_no_oracle() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let moto = Moto::new();
    let pending = unique_email();
    let idle = unique_email();
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": pending}),
        )
        .await;
    assert_eq!(created.status, 201);
    let code = moto.latest_email_code(&pending).await;
    let guess =
        |email: &str, otp: &str| json!({"projectFlow": tenant.flow, "email": email, "otp": otp});
    let nobody = api
        .validate_verifik("email", guess(&idle, &wrong_code(&code)))
        .await;
    expect_error(&nobody, 403, "otp_does_not_match");
    // Five wrong codes lock the pending login; every answer, and the one
    // after the lock, is the answer for an email nobody is signing in with.
    for _ in 0..6 {
        let reply = api
            .validate_verifik("email", guess(&pending, &wrong_code(&code)))
            .await;
        assert_eq!(reply.status, nobody.status, "{}", reply.raw);
        assert_eq!(reply.body, nobody.body);
    }
    let right_but_locked = api.validate_verifik("email", guess(&pending, &code)).await;
    assert_eq!(right_but_locked.body, nobody.body);
    let other_flow = api
        .validate_verifik(
            "email",
            json!({"projectFlow": "01jzzzzzzzzzzzzzzzzzzzzzzz", "email": pending, "otp": code}),
        )
        .await;
    assert_eq!(other_flow.body, nobody.body);

    // What bounds the lockout: the user asks again and gets a fresh code.
    let again = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": pending}),
        )
        .await;
    assert_eq!(again.status, 201, "a fresh login: {}", again.raw);
    let fresh = moto.latest_email_code(&pending).await;
    let signed_in = api.validate_verifik("email", guess(&pending, &fresh)).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.raw);
}

#[tokio::test]
async fn a_registration_session_is_no_login() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let registrations = RegistrationApi::new().await;
    let logins = Api::new().await;
    let moto = Moto::new();
    let enrollee = Enrollment::start(&registrations, &tenant).await;
    let store = DynamoRegistrationStore::new(
        Aws::load().await.unwrap().dynamodb,
        stack_var("GATEHOUSE_TABLE"),
        86_400,
    );
    let session = store
        .get(&enrollee.id)
        .await
        .unwrap()
        .unwrap()
        .verification_session;
    let code = moto.latest_email_code(&enrollee.email).await;

    let validate = logins
        .validate(&session, json!({"type": "email", "otp": wrong_code(&code)}))
        .await;
    expect_error(&validate, 404, "AppLogin_not_found");
    let resend = logins.resend(&session, None).await;
    expect_error(&resend, 404, "AppLogin_not_found");

    // No attempt was spent on it: the registration still has all five.
    let miss = enrollee
        .validate(&registrations, "email", &wrong_code(&code))
        .await;
    assert_eq!(miss.body["attemptsRemaining"], 4, "{}", miss.raw);
}

#[tokio::test]
async fn malformed_input_is_refused_and_spends_nothing() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let config = ConfigApi::new().await;
    let email = unique_email();
    let body = |extra: Value| {
        let mut b = json!({"projectFlow": tenant.flow, "email": email});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };

    for name in ["a\u{0}b", "bell\u{7}", "rtl\u{202e}txt"] {
        let reply = api
            .create(&tenant.api_key, body(json!({"name": name})))
            .await;
        expect_error(&reply, 400, "invalid_json");
    }
    let twice = api
        .create_raw(
            Some(&tenant.api_key),
            &format!(
                r#"{{"projectFlow":"{}","projectFlow":"{}","email":"{email}"}}"#,
                tenant.flow, tenant.flow
            ),
        )
        .await;
    expect_error(&twice, 400, "invalid_json");
    assert!(twice.raw.contains("twice"), "{}", twice.raw);

    let auth = format!("Bearer {}", tenant.api_key);
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut headers = json!({"authorization": auth});
        if let Some(ct) = content_type {
            headers["content-type"] = json!(ct);
        }
        let reply = api
            .create_with_headers(headers, &body(json!({})).to_string())
            .await;
        expect_error(&reply, 415, "unsupported_media_type");
    }

    let created = api.create(&tenant.api_key, body(json!({}))).await;
    assert_eq!(created.status, 201, "{}", created.raw);
    for (name, value) in [
        (
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        ),
        ("x-content-type-options", "nosniff"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(created.headers[name], value, "{name}");
    }
    let id = login_id(&created);
    let code = Moto::new().latest_email_code(&email).await;

    let spaced = api.validate(&id, json!({"otp": format!(" {code} ")})).await;
    expect_error(&spaced, 400, "invalid_otp");
    let empty_type = api.validate(&id, json!({"otp": code, "type": ""})).await;
    expect_error(&empty_type, 400, "invalid_parameter");
    let miss = api.validate(&id, json!({"otp": wrong_code(&code)})).await;
    assert_eq!(
        miss.body["attemptsRemaining"], 4,
        "nothing spent before: {}",
        miss.raw
    );

    // `populates` is Verifik's spelling of `populates[]`; a name that is
    // neither is still refused, and names itself.
    let populated = api
        .get(Some(&tenant.api_key), &id, "populates=emailValidation")
        .await;
    assert_eq!(populated.status, 200, "{}", populated.raw);
    assert_eq!(
        populated.body["data"]["emailValidation"]["status"], "pending",
        "{}",
        populated.raw
    );
    let unknown = api
        .get(Some(&tenant.api_key), &id, "populate=emailValidation")
        .await;
    expect_error(&unknown, 400, "unsupported_parameter");
    assert!(unknown.raw.contains("populate"), "{}", unknown.raw);
    for query in [
        "page=1&page=2",
        "limit=5&limit=6",
        "sort=createdAt&sort=-createdAt",
    ] {
        let reply = api.list(Some(&tenant.api_key), query).await;
        expect_error(&reply, 400, "invalid_parameter");
    }
    let null_settings = config
        .call(
            "PUT",
            "project-flows",
            Some(&tenant.flow),
            Some(&tenant.api_key),
            "",
            Some(json!({"loginSettings": null})),
        )
        .await;
    expect_error(&null_settings, 400, "invalid_field");
}

#[tokio::test]
async fn a_withheld_send_shows_to_the_tenant_only() {
    let denied = unique_email();
    let security = FlowSecurity {
        allow_list: vec![],
        deny_list: vec![denied.clone()],
    };
    let tenant = Tenant::builder().security(security.clone()).create().await;
    let api = Api::new().await;
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": denied}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    assert_eq!(
        created.body["data"]["appLogin"]["emailValidation"]["deliveryStatus"],
        "sent"
    );
    let read = api
        .get(
            Some(&tenant.api_key),
            &login_id(&created),
            "populates[]=emailValidation",
        )
        .await;
    assert_eq!(
        read.body["data"]["emailValidation"]["deliveryStatus"],
        "withheld"
    );

    let onboarding = Tenant::onboarding(OnboardingSettings::default())
        .security(security)
        .create()
        .await;
    let registrations = RegistrationApi::new().await;
    let enrollee = Enrollment::start_with(
        &registrations,
        &onboarding,
        &denied,
        &gatehouse_tests::unique_co_mobile(),
    )
    .await;
    let view = |reply: &Reply, path: &[&str]| {
        let mut v = &reply.body;
        for p in path {
            v = &v[*p];
        }
        v["emailValidation"]["deliveryStatus"].clone()
    };
    assert_eq!(
        view(&enrollee.created, &["data", "appRegistration"]),
        "sent"
    );
    let own = registrations
        .get(&enrollee.token, &enrollee.id, "populates[]=emailValidation")
        .await;
    assert_eq!(view(&own, &["data"]), "sent");
    let tenants = registrations
        .get(
            &onboarding.api_key,
            &enrollee.id,
            "populates[]=emailValidation",
        )
        .await;
    assert_eq!(view(&tenants, &["data"]), "withheld");
    assert!(Moto::new().emails_to(&denied).await.is_empty());
}
