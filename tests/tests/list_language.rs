//! Verifik's list query language on both lists, as its documentation and
//! its Angular admin front end send it (issue 27): every form, the status
//! index across partitions with cursors, and the backfill of records
//! written before that index.

use gatehouse_tests::{
    login_id, stack_var, stored_item, unique_co_mobile, unique_email, wrong_code, Api, Enrollment,
    Moto, RegistrationApi, Reply, Tenant,
};
use serde_json::json;

fn ids(reply: &Reply) -> Vec<String> {
    reply.body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {}", reply.raw))
        .iter()
        .map(|l| l["_id"].as_str().unwrap().to_string())
        .collect()
}

/// The logins of one tenant, in creation order, each in a known state.
struct Seeded {
    tenant: Tenant,
    /// Email, validated.
    validated: String,
    validated_email: String,
    /// Phone, locked by wrong codes (failed).
    failed: String,
    failed_phone: String,
    /// Email, pending, on the project's second flow.
    pending_other_flow: String,
    other_flow: String,
    /// Phone, pending.
    pending: String,
}

async fn seed(api: &Api, moto: &Moto) -> Seeded {
    let tenant = Tenant::create().await;
    let (validated, validated_email, code) = api.email_login(&tenant).await;
    let ok = api.validate(&validated, json!({"otp": code})).await;
    assert_eq!(ok.status, 200, "{}", ok.raw);

    let failed_phone = unique_co_mobile();
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": failed_phone}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let failed = login_id(&created);
    let code = moto.latest_sms_code(&format!("+57{failed_phone}")).await;
    let mut last = None;
    for _ in 0..5 {
        last = Some(
            api.validate(&failed, json!({"otp": wrong_code(&code)}))
                .await,
        );
    }
    let locked = api.get(Some(&tenant.api_key), &failed, "").await;
    assert_eq!(
        locked.body["data"]["status"],
        "failed",
        "{:?}",
        last.map(|r| r.raw)
    );

    let other_flow = tenant.add_login_flow(Default::default()).await;
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": other_flow, "email": unique_email()}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let pending_other_flow = login_id(&created);

    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": unique_co_mobile()}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    Seeded {
        tenant,
        validated,
        validated_email,
        failed,
        failed_phone,
        pending_other_flow,
        other_flow,
        pending: login_id(&created),
    }
}

/// Every record of `query`, page after page through `next`.
async fn walk(list: &impl AsyncFn(String) -> Reply, query: &str) -> Vec<String> {
    let mut walked = Vec::new();
    let mut reply = list(query.to_string()).await;
    loop {
        assert_eq!(reply.status, 200, "{query}: {}", reply.raw);
        walked.extend(ids(&reply));
        let Some(next) = reply.body["next"].as_str().map(str::to_string) else {
            return walked;
        };
        reply = list(format!("{query}&after={next}")).await;
    }
}

#[tokio::test]
async fn logins_answer_the_verifik_front_end_as_it_asks() {
    let api = Api::new().await;
    let moto = Moto::new();
    let s = seed(&api, &moto).await;
    let key = Some(s.tenant.api_key.as_str());
    let list = async |query: String| api.list(key, &query).await;
    let newest_first = vec![
        s.pending.clone(),
        s.pending_other_flow.clone(),
        s.failed.clone(),
        s.validated.clone(),
    ];

    // The request Verifik's admin front end sends, verbatim (Angular's
    // HttpClient repeats `populates`, dotted paths included).
    let recorded = format!(
        "page=1&perPage=10&sort=-createdAt&where_project={}&populates=emailValidation&populates=phoneValidation&populates=biometricValidation&populates=biometricValidation.face",
        s.tenant.project
    );
    let reply = api.list(key, &recorded).await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(ids(&reply), newest_first);
    assert_eq!(reply.body["limit"], 10);
    assert_eq!(
        reply.body["data"][3]["emailValidation"]["email"],
        s.validated_email.as_str()
    );
    assert_eq!(
        reply.body["data"][2]["phoneValidation"]["status"], "failed",
        "populated: {}",
        reply.raw
    );

    // where_status and in_status[], alone and across status partitions.
    for (query, expected) in [
        ("where_status=validated", vec![s.validated.clone()]),
        ("where_status=failed", vec![s.failed.clone()]),
        (
            "where_status=pending",
            vec![s.pending.clone(), s.pending_other_flow.clone()],
        ),
        (
            "in_status[]=validated&in_status[]=failed",
            vec![s.failed.clone(), s.validated.clone()],
        ),
        (
            "in_status=validated&in_status=pending",
            vec![
                s.pending.clone(),
                s.pending_other_flow.clone(),
                s.validated.clone(),
            ],
        ),
        (
            "where_status=validated,failed",
            vec![s.failed.clone(), s.validated.clone()],
        ),
    ] {
        let reply = api.list(key, query).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.raw);
        assert_eq!(ids(&reply), expected, "{query}");
        assert_eq!(reply.body["total"], expected.len(), "{query}");
        // One at a time, by cursor and by page, both orders.
        for order in ["", "&sort=createdAt"] {
            let mut expected = expected.clone();
            if !order.is_empty() {
                expected.reverse();
            }
            let paged = format!("{query}&perPage=1{order}");
            assert_eq!(walk(&list, &paged).await, expected, "{paged}");
            let mut numbered = Vec::new();
            for page in 1..=expected.len() {
                numbered.extend(ids(&api.list(key, &format!("{paged}&page={page}")).await));
            }
            assert_eq!(numbered, expected, "{paged} by page");
        }
    }

    // where_project, where_projectFlow, where_type.
    let elsewhere = Tenant::create().await;
    for (query, expected) in [
        (
            format!("where_project={}", s.tenant.project),
            newest_first.clone(),
        ),
        (format!("where_project={}", elsewhere.project), vec![]),
        (
            format!("where_projectFlow={}", s.other_flow),
            vec![s.pending_other_flow.clone()],
        ),
        (
            format!("where_projectFlow={}&where_status=pending", s.tenant.flow),
            vec![s.pending.clone()],
        ),
        (
            "where_type=phone".to_string(),
            vec![s.pending.clone(), s.failed.clone()],
        ),
        (
            "where_type=email&in_status[]=validated&in_status[]=failed".to_string(),
            vec![s.validated.clone()],
        ),
    ] {
        let reply = api.list(key, &query).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.raw);
        assert_eq!(ids(&reply), expected, "{query}");
    }

    // The createdAt range, as the front end names it.
    let today = &gatehouse::domain::Timestamp::now().to_string()[..10];
    for (query, expected) in [
        (
            format!("whereGTE_createdAt={today}&whereLTE_createdAt={today}"),
            newest_first.len(),
        ),
        ("whereGTE_createdAt=2999-01-01".to_string(), 0),
        ("whereLTE_createdAt=2020-01-01".to_string(), 0),
        (
            format!("whereGTE_createdAt={today}T00:00:00Z&where_status=failed"),
            1,
        ),
    ] {
        let reply = api.list(key, &query).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.raw);
        assert_eq!(reply.body["total"], expected, "{query}");
    }

    // like_email (any case) and like_phone (digits, however written).
    // The random part of the address (the start is the time).
    let part = &s.validated_email[15..25];
    for (query, expected) in [
        (
            format!("like_email={}", part.to_uppercase()),
            vec![s.validated.clone()],
        ),
        (
            format!("like_phone={}", &s.failed_phone[2..]),
            vec![s.failed.clone()],
        ),
        (
            format!(
                "like_phone=%2B57%20{}%20{}",
                &s.failed_phone[..3],
                &s.failed_phone[3..]
            ),
            vec![s.failed.clone()],
        ),
        (
            format!("like_phone={}&where_status=pending", &s.failed_phone[2..]),
            vec![],
        ),
    ] {
        let reply = api.list(key, &query).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.raw);
        assert_eq!(ids(&reply), expected, "{query}");
    }

    // where-exists_ narrows inside the status partition too.
    let reply = api
        .list(key, "where_status=pending&where-exists_phoneValidation=1")
        .await;
    assert_eq!(ids(&reply), vec![s.pending.clone()]);

    // Another tenant asking by this tenant's project or flow sees nothing.
    let theirs = api
        .list(
            Some(&elsewhere.api_key),
            &format!("where_project={}&where_status=pending", s.tenant.project),
        )
        .await;
    assert_eq!(theirs.status, 200, "{}", theirs.raw);
    assert_eq!(ids(&theirs), Vec::<String>::new());
}

#[tokio::test]
async fn the_list_language_still_refuses_what_it_does_not_know() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let key = Some(tenant.api_key.as_str());
    for (query, code, named) in [
        ("where_hash=1", "unsupported_parameter", "where_hash"),
        (
            "where_currentStep=document",
            "unsupported_parameter",
            "where_currentStep",
        ),
        (
            "whereGT_createdAt=2026-01-01",
            "unsupported_parameter",
            "whereGT_createdAt",
        ),
        ("like_ip=127", "unsupported_parameter", "like_ip"),
        ("perPage=10&limit=10", "invalid_parameter", "limit"),
        ("perPage=101", "invalid_parameter", "limit"),
        ("where_status=done", "invalid_status", "done"),
        (
            "in_status[]=pending&in_status[]=bogus",
            "invalid_status",
            "bogus",
        ),
        (
            "where_type=carrier-pigeon",
            "invalid_parameter",
            "where_type",
        ),
        (
            "where_project=not%20an%20id",
            "invalid_parameter",
            "where_project",
        ),
        (
            "whereGTE_createdAt=tomorrow",
            "invalid_parameter",
            "gte_createdAt",
        ),
        (
            "whereGTE_createdAt=2026-02-01&whereLTE_createdAt=2026-01-01",
            "invalid_parameter",
            "range",
        ),
        (
            "populates=face.biometricValidation",
            "invalid_populate",
            "face",
        ),
        (
            "where-exists_accessControlLog=1",
            "unsupported_parameter",
            "where-exists_accessControlLog",
        ),
    ] {
        let reply = api.list(key, query).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.raw);
        assert_eq!(reply.code(), code, "{query}: {}", reply.raw);
        assert!(
            reply.message().contains(named),
            "{query}: the message names {named}: {}",
            reply.raw
        );
    }
}

#[tokio::test]
async fn registrations_answer_the_same_language_plus_current_step() {
    let tenant = Tenant::onboarding(Default::default()).create().await;
    let api = RegistrationApi::new().await;
    let moto = Moto::new();
    let started = Enrollment::start(&api, &tenant).await;
    let ongoing = Enrollment::start(&api, &tenant).await;
    ongoing.verify_contacts(&api, &moto).await;
    let key = tenant.api_key.as_str();
    let list = async |query: String| api.list(key, &query).await;

    let step_of = |reply: &Reply, i: usize| reply.body["data"][i]["currentStep"].clone();
    let both = api.list(key, "").await;
    assert_eq!(ids(&both), vec![ongoing.id.clone(), started.id.clone()]);
    let ongoing_step = step_of(&both, 0);
    assert_ne!(ongoing_step, step_of(&both, 1), "{}", both.raw);
    let ongoing_step = ongoing_step.as_str().unwrap().to_string();

    let recorded = format!(
        "page=1&perPage=10&sort=-createdAt&where_project={}&populates=emailValidation&populates=phoneValidation",
        tenant.project
    );
    let reply = api.list(key, &recorded).await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    assert_eq!(ids(&reply), vec![ongoing.id.clone(), started.id.clone()]);
    assert_eq!(
        reply.body["data"][0]["emailValidation"]["status"],
        "validated"
    );

    for (query, expected) in [
        (
            format!("where_currentStep={ongoing_step}"),
            vec![ongoing.id.clone()],
        ),
        (
            format!("where_currentStep={ongoing_step}&where_status=STARTED"),
            vec![],
        ),
        ("where_status=STARTED".to_string(), vec![started.id.clone()]),
        (
            "in_status=STARTED&in_status=ONGOING&perPage=1".to_string(),
            vec![ongoing.id.clone(), started.id.clone()],
        ),
        (
            format!("like_phone={}", &ongoing.phone[1..]),
            vec![ongoing.id.clone()],
        ),
        (
            format!("like_email={}", &started.email[15..25].to_uppercase()),
            vec![started.id.clone()],
        ),
        (
            "like_name=lopez".to_string(),
            vec![ongoing.id.clone(), started.id.clone()],
        ),
        ("like_name=garcia".to_string(), vec![]),
    ] {
        assert_eq!(walk(&list, &query).await, expected, "{query}");
    }
    let reply = api.list(key, "where_type=email").await;
    assert_eq!(reply.status, 400, "{}", reply.raw);
    assert!(reply.message().contains("where_type"), "{}", reply.raw);
    let reply = api.list(key, "where_currentStep=selfie").await;
    assert_eq!(reply.status, 400, "{}", reply.raw);
    assert!(
        reply.message().contains("where_currentStep"),
        "{}",
        reply.raw
    );
}

/// A record written before the status index has no `gsi2` keys: a status
/// filter cannot see it until `gatehouse-admin backfill-status-index`.
#[tokio::test]
async fn the_backfill_gives_older_records_their_status_index_keys() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let phone = unique_co_mobile();
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": phone}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let id = login_id(&created);
    let key = Some(tenant.api_key.as_str());
    let pk = format!("LOGIN#{id}");
    let by_phone = format!("like_phone=57{}", &phone[..6]);
    let aws = gatehouse::wiring::Aws::load().await.expect("AWS config");
    let table = stack_var("GATEHOUSE_TABLE");
    let stored = stored_item(&pk, "LOGIN").await.expect("the login");
    assert_eq!(
        stored["gsi2pk"].as_s().unwrap(),
        &format!("CLIENT#{}#LOGINS#STATUS#pending", tenant.client)
    );
    // As an older release wrote it.
    aws.dynamodb
        .update_item()
        .table_name(&table)
        .key("pk", AttributeValue::S(pk.clone()))
        .key("sk", AttributeValue::S("LOGIN".into()))
        .update_expression("REMOVE gsi2pk, gsi2sk, phoneDigits")
        .send()
        .await
        .expect("an older item");
    assert_eq!(api.list(key, "where_status=pending").await.body["total"], 0);
    assert_eq!(api.list(key, &by_phone).await.body["total"], 0);
    assert_eq!(api.list(key, "").await.body["total"], 1, "still listed");

    let store = gatehouse::adapters::dynamodb::DynamoConfigStore::new(aws.dynamodb.clone(), &table);
    let updated = store.backfill_status_index().await.expect("backfill");
    assert!(updated >= 1, "{updated}");
    let listed = api.list(key, "where_status=pending").await;
    assert_eq!(ids(&listed), vec![id.clone()], "{}", listed.raw);
    let stored = stored_item(&pk, "LOGIN").await.expect("the login");
    assert_eq!(stored["gsi2sk"], stored["gsi1sk"]);
    assert_eq!(ids(&api.list(key, &by_phone).await), vec![id.clone()]);
    // Twice is harmless: nothing of this tenant is left to update.
    store.backfill_status_index().await.expect("backfill again");
    assert_eq!(ids(&api.list(key, "where_status=pending").await), vec![id]);
}

/// `gatehouse-admin init-table` on a table made before the status index
/// adds the index (UpdateTable), as a deploy does on AWS.
#[tokio::test]
async fn init_table_adds_the_status_index_to_an_older_table() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType,
    };
    let aws = gatehouse::wiring::Aws::load().await.expect("AWS config");
    let table = format!("gatehouse-older-{}", gatehouse::domain::ids::new_id());
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    aws.dynamodb
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .attribute_definitions(attribute("gsi1pk"))
        .attribute_definitions(attribute("gsi1sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("gsi1")
                .key_schema(key("gsi1pk", KeyType::Hash))
                .key_schema(key("gsi1sk", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("an older table");
    let store = gatehouse::adapters::dynamodb::DynamoConfigStore::new(aws.dynamodb.clone(), &table);
    assert!(
        !store.create_table().await.expect("init-table"),
        "it existed"
    );
    let described = aws
        .dynamodb
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let indexes: Vec<&str> = described
        .table()
        .unwrap()
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .collect();
    assert!(indexes.contains(&"gsi2"), "{indexes:?}");
    // A second run finds it there and changes nothing.
    assert!(!store.create_table().await.expect("init-table again"));
    aws.dynamodb
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
}
