//! DynamoDB round trips per operation (docs/data-model.md). Counts are
//! deterministic, so they are asserted; timings live in `make bench`.

use gatehouse_tests::{login_id, unique_email, wrong_code, Api, Moto, Tenant};
use serde_json::json;

#[tokio::test]
async fn each_operation_stays_within_its_round_trip_budget() {
    let tenant = Tenant::builder()
        .settings(gatehouse::domain::LoginSettings {
            resend_cooldown_seconds: 0,
            ..Default::default()
        })
        .create()
        .await;
    let api = Api::new().await;
    let key = Some(tenant.api_key.as_str());
    let email = unique_email();

    // Each Lambda has its own per-container cache of API key, flow and
    // project: the first call of each reads them, warm calls do not.
    assert_eq!(api.list(key, "").await.status, 200);
    let cold = api.dynamodb_calls();
    assert_eq!(
        cold,
        ["GetItem", "Query"],
        "cold list: API key, then the page"
    );

    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": email}),
        )
        .await;
    assert_eq!(created.status, 201);
    let cold_create = api.dynamodb_calls();
    assert_eq!(
        cold_create,
        ["GetItem", "GetItem", "GetItem", "TransactWriteItems"],
        "a new container reads the API key, flow and project once, then writes once"
    );
    let id = login_id(&created);

    let resend = api.resend(&id, None).await;
    assert_eq!(resend.status, 200, "{}", resend.raw);
    assert_eq!(
        api.dynamodb_calls(),
        ["GetItem", "TransactWriteItems"],
        "resend"
    );

    let again = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": unique_email()}),
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(
        api.dynamodb_calls(),
        ["TransactWriteItems"],
        "warm create = 1 write"
    );

    let code = Moto::new().latest_email_code(&email).await;
    let wrong = wrong_code(&code);
    assert_eq!(
        api.validate(&id, json!({"otp": wrong, "type": "email"}))
            .await
            .status,
        403
    );
    assert_eq!(
        api.dynamodb_calls(),
        ["UpdateItem", "UpdateItem", "UpdateItem"],
        "failed validate: charge the IP's check counter, count, then log"
    );
    // Without `type` the login is read first to find its pending channel.
    assert_eq!(api.validate(&id, json!({"otp": wrong})).await.status, 403);
    assert_eq!(
        api.dynamodb_calls(),
        ["UpdateItem", "GetItem", "UpdateItem", "UpdateItem"]
    );
    assert_eq!(
        api.validate(&id, json!({"otp": code, "type": "email"}))
            .await
            .status,
        200
    );
    // The stack has a webhook queue: a validated login's event makes the
    // container read the flow once (is there a webhook?), then cache it.
    assert_eq!(
        api.dynamodb_calls(),
        ["UpdateItem", "UpdateItem", "TransactWriteItems", "GetItem"],
        "validate: IP check counter, count, record, then (cold) the flow"
    );

    // Verifik's form finds the login through its pointer first.
    let email2 = unique_email();
    let second = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": email2}),
        )
        .await;
    assert_eq!(second.status, 201);
    api.dynamodb_calls();
    let code2 = Moto::new().latest_email_code(&email2).await;
    let verifik = api
        .validate_verifik(
            "email",
            json!({"projectFlow": tenant.flow, "email": email2, "otp": code2}),
        )
        .await;
    assert_eq!(verifik.status, 200);
    // Another function (its own container): the flow is read once here too.
    assert_eq!(
        api.dynamodb_calls(),
        [
            "UpdateItem",
            "GetItem",
            "UpdateItem",
            "TransactWriteItems",
            "GetItem"
        ]
    );

    assert_eq!(api.get(key, &id, "").await.status, 200);
    assert_eq!(api.dynamodb_calls(), ["GetItem"], "get = 1");

    let everything = "populates[]=emailValidation&populates[]=phoneValidation&populates[]=biometricValidation&populates[]=accessControlLog";
    assert_eq!(api.list(key, everything).await.status, 200);
    assert_eq!(
        api.dynamodb_calls(),
        ["Query"],
        "a list page = 1 Query whatever populates[] asks"
    );
    assert_eq!(
        api.list(
            key,
            "where-exists_emailValidation=1&like_name=acme&limit=1&page=2"
        )
        .await
        .status,
        200
    );
    assert_eq!(api.dynamodb_calls(), ["Query"]);
    // Verifik's list language: the front end's request is 1 Query; a
    // status filter reads its status partition of gsi2, one Query each.
    let verifik = format!(
        "page=1&perPage=10&sort=-createdAt&where_project={}&populates=emailValidation&populates=biometricValidation.face&like_email=example&whereGTE_createdAt=2026-01-01",
        tenant.project
    );
    assert_eq!(api.list(key, &verifik).await.status, 200);
    assert_eq!(api.dynamodb_calls(), ["Query"], "{verifik}");
    assert_eq!(
        api.list(key, "where_status=validated&where_type=email")
            .await
            .status,
        200
    );
    assert_eq!(api.dynamodb_calls(), ["Query"], "one status, one Query");
    assert_eq!(
        api.list(
            key,
            "in_status[]=pending&in_status[]=validated&in_status[]=failed"
        )
        .await
        .status,
        200
    );
    assert_eq!(
        api.dynamodb_calls(),
        ["Query", "Query", "Query"],
        "one Query per status asked, run at once"
    );
}

#[tokio::test]
async fn registration_operations_stay_within_their_round_trip_budget() {
    use gatehouse_tests::{Enrollment, RegistrationApi};
    let tenant = Tenant::onboarding(gatehouse::domain::OnboardingSettings::default())
        .create()
        .await;
    let api = RegistrationApi::new().await;
    let moto = Moto::new();
    // Warm the container's cache of API key, flow and project.
    Enrollment::start(&api, &tenant).await;
    api.list(&tenant.api_key, "").await;
    api.dynamodb_calls();

    let enrollee = Enrollment::start(&api, &tenant).await;
    assert_eq!(
        api.dynamodb_calls(),
        ["BatchGetItem", "GetItem", "TransactWriteItems"],
        "create: reuse counters, the flow's SMS tally (circuit breaker), then registration + session + counters in one transaction"
    );
    let code = moto.latest_email_code(&enrollee.email).await;
    assert_eq!(enrollee.validate(&api, "email", &code).await.status, 200);
    assert_eq!(
        api.dynamodb_calls(),
        [
            "GetItem",
            "UpdateItem",
            "UpdateItem",
            "TransactWriteItems",
            "TransactWriteItems"
        ],
        "validate: registration, IP check counter, count the attempt, record the code, save the registration"
    );
    let result = enrollee
        .result(&api, &tenant.api_key, "document", "passed")
        .await;
    assert_eq!(result.status, 200);
    assert_eq!(
        api.dynamodb_calls(),
        ["GetItem", "TransactWriteItems"],
        "a verifier result: read, versioned save + analytics"
    );
    enrollee.sync(&api, &enrollee.token, None).await;
    assert_eq!(
        api.dynamodb_calls(),
        ["GetItem", "GetItem"],
        "sync with nothing new: registration and its session, no write"
    );
    assert_eq!(api.list(&tenant.api_key, "limit=5").await.status, 200);
    assert_eq!(
        api.dynamodb_calls(),
        ["Query", "BatchGetItem"],
        "list: keys, then the page"
    );
    assert_eq!(
        api.list(&tenant.api_key, "where_status=ONGOING&like_name=lopez")
            .await
            .status,
        200
    );
    assert_eq!(
        api.dynamodb_calls(),
        ["Query", "BatchGetItem"],
        "a status filter: its gsi2 partition's keys, then the page"
    );
    let today = &gatehouse::domain::Timestamp::now().to_string()[..10];
    let report = api
        .analytics(
            &tenant.api_key,
            &format!("projectFlow={}&from={today}&to={today}", tenant.flow),
        )
        .await;
    assert_eq!(report.status, 200);
    // One Query per analytics shard, sent at once: the counters a busy
    // flow writes with every registration are split eight ways.
    assert_eq!(
        api.dynamodb_calls(),
        ["Query"; 8],
        "analytics: one Query per shard"
    );
}

#[tokio::test]
async fn face_logins_stay_within_their_round_trip_budget() {
    use gatehouse_tests::face::{FaceLoginApi, Started};
    use gatehouse_tests::identity::Engine;
    let tenant = Tenant::builder()
        .settings(gatehouse::domain::LoginSettings {
            face_liveness: Some(Default::default()),
            ..Default::default()
        })
        .create()
        .await;
    let faces = FaceLoginApi::new().await;
    let engine = &Engine::new();
    let start = |identifier: String| {
        faces.start(json!({"identifier": identifier, "projectFlow": tenant.flow}))
    };
    let look = |session: String| async move {
        let still = engine.face("hopper", "selfie").await;
        assert_eq!(engine.run_liveness(&session, &still, 98.0).await, 204);
    };

    let started = Started::from(&start(unique_email()).await);
    assert_eq!(
        faces.dynamodb_calls(),
        ["GetItem", "GetItem", "BatchGetItem", "TransactWriteItems"],
        "cold face start: flow, project, the lockouts, then the login with the IP's budget"
    );
    look(started.session.clone()).await;
    let token = started.face_token.as_deref().unwrap();
    let failed = faces
        .validate(token, json!({"sessionId": started.session}))
        .await;
    assert_eq!(failed.status, 403, "{}", failed.raw);
    assert_eq!(
        faces.dynamodb_calls(),
        ["GetItem", "BatchGetItem", "TransactWriteItems"],
        "a failed check: login, lockouts, then the result and both failure counts in one write"
    );

    // A face added after a code login, then a face login with it.
    let email = unique_email();
    let api = Api::new().await;
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": email}),
        )
        .await;
    let code = Moto::new().latest_email_code(&email).await;
    let coded = api
        .validate(&login_id(&created), json!({"otp": code}))
        .await;
    let session_token = coded.body["data"]["token"].as_str().expect("a token");
    faces.dynamodb_calls();
    let enrolment = Started::from(&faces.start_for_login(session_token).await);
    assert_eq!(
        faces.dynamodb_calls(),
        ["GetItem", "BatchGetItem", "UpdateItem", "UpdateItem"],
        "enrolment start: login, lockouts, the IP's budget, the session bound"
    );
    look(enrolment.session.clone()).await;
    let enrolled = faces
        .validate(session_token, json!({"sessionId": enrolment.session}))
        .await;
    assert_eq!(enrolled.status, 200, "{}", enrolled.raw);
    assert_eq!(
        faces.dynamodb_calls(),
        ["GetItem", "BatchGetItem", "UpdateItem"],
        "a passed check: login, lockouts, one conditional write"
    );

    let started = Started::from(&start(email).await);
    assert_eq!(
        faces.dynamodb_calls(),
        ["BatchGetItem", "TransactWriteItems"],
        "warm face start"
    );
    look(started.session.clone()).await;
    let signed_in = faces
        .validate(
            started.face_token.as_deref().unwrap(),
            json!({"sessionId": started.session}),
        )
        .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.raw);
    assert_eq!(
        faces.dynamodb_calls(),
        ["GetItem", "BatchGetItem", "UpdateItem"],
        "face sign-in"
    );

    let redacted = faces.redact(Some(&tenant.api_key), &enrolment.login).await;
    assert_eq!(redacted.status, 200, "{}", redacted.raw);
    assert_eq!(
        faces.dynamodb_calls(),
        ["GetItem", "GetItem", "UpdateItem"],
        "redaction, cold: the API key, the login, one conditional write"
    );
}

/// OpenID Connect: the authorization (a code) and the token endpoint. A
/// code exchange is the client's read and one conditional write (which
/// spends the code and starts its refresh family); a refresh is the same.
#[tokio::test]
async fn the_oidc_code_exchange_and_refresh_stay_within_their_round_trip_budget() {
    use gatehouse::domain::oidc::Params;
    use gatehouse::service::oidc::{Authorized, ClientCredentials};
    const CALLBACK: &str = "https://rp.example.com/callback";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let email = unique_email();
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": email}),
        )
        .await;
    let id = login_id(&created);
    let code = Moto::new().latest_email_code(&email).await;
    let validated = api
        .validate(&id, json!({"otp": code, "type": "email"}))
        .await;
    assert_eq!(validated.status, 200, "{}", validated.raw);
    let session = validated.body["data"]["token"]
        .as_str()
        .unwrap()
        .to_string();

    let calls = gatehouse::adapters::dynamodb::CallCounter::default();
    let aws = gatehouse_tests::api::aws_through(None, &calls).await;
    let (_, clients) = gatehouse::wiring::oidc::clients(&aws).unwrap();
    let fields = serde_json::from_value(json!({
        "project": tenant.project, "login_flow": tenant.flow, "client_name": "budget",
        "client_type": "confidential", "redirect_uris": [CALLBACK],
        "scopes": ["openid", "email", "offline_access"],
    }))
    .unwrap();
    let tenant_id = gatehouse::domain::ClientId(tenant.client.clone());
    let (client, secret) = clients.create(&tenant_id, fields).await.unwrap();
    let authorizer = gatehouse::wiring::oidc::authorizer(&aws).unwrap();
    let tokens = gatehouse::wiring::oidc::token_signer(&aws).unwrap();
    let pairs = [
        ("response_type", "code"),
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", CALLBACK),
        ("scope", "openid email offline_access"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let params = Params(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    calls.take();
    let Authorized::Redirect(to) = authorizer
        .authorize(&tenant.project, &params, Some(&session))
        .await
        .unwrap()
    else {
        panic!("a signed-in user gets a code");
    };
    assert_eq!(
        calls.take(),
        ["GetItem", "GetItem", "GetItem", "GetItem", "PutItem"],
        "authorize (a new container): project, client, flow, the login's contacts, then the grant"
    );
    let code = url_param(&to, "code");

    let credentials = ClientCredentials {
        basic: Some((client.client_id.clone(), secret.unwrap())),
        ..Default::default()
    };
    let authenticated = tokens
        .authenticate(&tenant.project, &credentials)
        .await
        .unwrap();
    let issued = tokens
        .exchange_code(
            &tenant.project,
            &authenticated,
            &code,
            Some(CALLBACK),
            Some(VERIFIER),
        )
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        calls.take(),
        ["GetItem", "UpdateItem"],
        "code exchange: the client, then one conditional write"
    );

    let authenticated = tokens
        .authenticate(&tenant.project, &credentials)
        .await
        .unwrap();
    tokens
        .refresh(
            &tenant.project,
            &authenticated,
            issued.refresh_token.as_deref().unwrap(),
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        calls.take(),
        ["GetItem", "UpdateItem"],
        "refresh: the client, then one conditional rotation"
    );

    // A code past its 60 seconds is refused and issues nothing.
    let Authorized::Redirect(to) = authorizer
        .authorize(&tenant.project, &params, Some(&session))
        .await
        .unwrap()
    else {
        panic!("a signed-in user gets a code");
    };
    let late = gatehouse::wiring::oidc::token_signer_with_clock(
        &aws,
        std::sync::Arc::new(gatehouse_tests::api::ShiftedClock(61)),
    )
    .unwrap();
    let refused = late
        .exchange_code(
            &tenant.project,
            &authenticated,
            &url_param(&to, "code"),
            Some(CALLBACK),
            Some(VERIFIER),
        )
        .await;
    match refused {
        Err(gatehouse::service::oidc::OidcFailure::OAuth(e)) => {
            assert_eq!(e.error, "invalid_grant")
        }
        other => panic!("an expired code: {other:?}"),
    }
}

fn url_param(url: &str, name: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    let value = url.query_pairs().find(|(k, _)| k == name).unwrap().1;
    value.into_owned()
}
