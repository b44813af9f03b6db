//! `GET /v2/app-logins` with every parameter of seed 001, `GET /{id}`, and
//! tenant isolation.

use gatehouse_tests::{
    assert_no_secrets, login_id, unique_co_mobile, unique_email, Api, Moto, Tenant,
};
use serde_json::{json, Value};

fn ids(reply: &gatehouse_tests::Reply) -> Vec<String> {
    reply.body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {}", reply.raw))
        .iter()
        .map(|l| l["_id"].as_str().unwrap().to_string())
        .collect()
}

/// Five logins: three by email (named), two by phone; in creation order.
async fn seed(api: &Api, tenant: &Tenant) -> Vec<String> {
    let mut created = Vec::new();
    for (i, name) in ["Alice Example", "Bob Builder", "alicia keys"]
        .iter()
        .enumerate()
    {
        let r = api
            .create(
                &tenant.api_key,
                json!({"projectFlow": tenant.flow, "email": unique_email(), "name": name}),
            )
            .await;
        assert_eq!(r.status, 201, "{i}: {}", r.raw);
        created.push(login_id(&r));
    }
    for _ in 0..2 {
        let r = api
            .create(&tenant.api_key, json!({"projectFlow": tenant.flow, "countryCode": "+57", "phone": unique_co_mobile()}))
            .await;
        assert_eq!(r.status, 201, "{}", r.raw);
        created.push(login_id(&r));
    }
    created
}

#[tokio::test]
async fn list_supports_every_seed_parameter() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let created = seed(&api, &tenant).await;
    let key = Some(tenant.api_key.as_str());
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();

    let all = api.list(key, "").await;
    assert_eq!(all.status, 200, "{}", all.raw);
    assert_eq!(ids(&all), newest_first, "default sort is -createdAt");
    assert_eq!(all.body["total"], 5);
    assert_eq!(all.body["limit"], 10);
    assert_eq!(all.body["page"], 1);
    assert_eq!(all.body["pages"], 1);
    // Not populated: validations show as ids, the log is left out.
    let first = &all.body["data"][0];
    assert!(first["phoneValidation"].is_string(), "{first}");
    assert!(first["emailValidation"].is_null());
    assert!(first.get("accessControlLog").is_none());

    let ascending = api.list(key, "sort=createdAt").await;
    assert_eq!(ids(&ascending), created);
    let explicit = api.list(key, "sort=-createdAt").await;
    assert_eq!(ids(&explicit), newest_first);

    let page2 = api.list(key, "page=2&limit=2").await;
    assert_eq!(ids(&page2), newest_first[2..4].to_vec());
    assert_eq!(page2.body["pages"], 3);
    assert_eq!(page2.body["total"], 5);
    let page3 = api.list(key, "page=3&limit=2").await;
    assert_eq!(ids(&page3), newest_first[4..].to_vec());
    let beyond = api.list(key, "page=9&limit=2").await;
    assert_eq!(beyond.status, 200);
    assert!(ids(&beyond).is_empty());

    let populated = api
        .list(key, "populates[]=emailValidation&populates[]=phoneValidation&populates[]=biometricValidation&populates[]=accessControlLog")
        .await;
    let phone_login = &populated.body["data"][0];
    assert_eq!(phone_login["phoneValidation"]["countryCode"], "+57");
    assert_eq!(phone_login["phoneValidation"]["status"], "pending");
    assert_eq!(phone_login["phoneValidation"]["attempts"], 0);
    assert!(phone_login["phoneValidation"]["expiresAt"].is_string());
    assert!(phone_login["phoneValidation"]["ipAddress"].is_string());
    assert!(phone_login["accessControlLog"].is_array());
    let email_login = &populated.body["data"][4];
    assert!(email_login["emailValidation"]["email"]
        .as_str()
        .unwrap()
        .ends_with("@example.com"));
    assert_no_secrets(&populated.raw, &[]);

    let with_email = api.list(key, "where-exists_emailValidation=1").await;
    assert_eq!(ids(&with_email), newest_first[2..].to_vec());
    assert_eq!(with_email.body["total"], 3);
    let with_phone = api.list(key, "where-exists_phoneValidation=1").await;
    assert_eq!(ids(&with_phone), newest_first[..2].to_vec());
    let with_biometric = api.list(key, "where-exists_biometricValidation=1").await;
    assert_eq!(with_biometric.body["total"], 0);

    // like_name: partial and case-insensitive.
    let alices = api.list(key, "like_name=ALI").await;
    assert_eq!(ids(&alices), vec![created[2].clone(), created[0].clone()]);
    let bob = api
        .list(key, "like_name=build&where-exists_emailValidation=1")
        .await;
    assert_eq!(ids(&bob), vec![created[1].clone()]);

    // Verifik's sample request, verbatim.
    let sample = api
        .list(key, "page=1&populates[]=emailValidation&populates[]=phoneValidation&populates[]=biometricValidation&sort=-createdAt")
        .await;
    assert_eq!(sample.status, 200);
    assert_eq!(sample.body["total"], 5);
}

#[tokio::test]
async fn list_rejects_bad_parameters() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let key = Some(tenant.api_key.as_str());
    for (query, code) in [
        ("limit=0", "invalid_parameter"),
        ("limit=101", "invalid_parameter"),
        ("limit=ten", "invalid_parameter"),
        ("page=0", "invalid_parameter"),
        ("page=-1", "invalid_parameter"),
        ("sort=name", "invalid_sort"),
        ("populates[]=password", "invalid_populate"),
        ("where-exists_emailValidation=yes", "invalid_parameter"),
        ("where_hash=1", "unsupported_parameter"),
    ] {
        let reply = api.list(key, query).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.raw);
        assert_eq!(reply.code(), code, "{query}");
        assert!(reply.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn tenants_never_see_each_other() {
    let mine = Tenant::create().await;
    let theirs = Tenant::create().await;
    let api = Api::new().await;
    let created = api
        .create(
            &mine.api_key,
            json!({"projectFlow": mine.flow, "email": unique_email()}),
        )
        .await;
    let id = login_id(&created);

    let own = api.get(Some(&mine.api_key), &id, "").await;
    assert_eq!(own.status, 200);
    assert!(
        own.body["data"]["emailValidation"].is_string(),
        "an id until populated"
    );

    let other = api.get(Some(&theirs.api_key), &id, "").await;
    assert_eq!(other.status, 404, "{}", other.raw);
    assert_eq!(other.code(), "AppLogin_not_found");
    let missing = api
        .get(Some(&theirs.api_key), "01jzzzzzzzzzzzzzzzzzzzzzzz", "")
        .await;
    assert_eq!(
        other.body, missing.body,
        "another tenant's login looks exactly like a missing one"
    );

    let their_list = api.list(Some(&theirs.api_key), "").await;
    assert_eq!(their_list.body["total"], 0);

    // Nor can one tenant start a login on another's flow.
    let foreign_flow = api
        .create(
            &theirs.api_key,
            json!({"projectFlow": mine.flow, "email": unique_email()}),
        )
        .await;
    assert_eq!(foreign_flow.status, 404);
    assert_eq!(foreign_flow.code(), "projectFlow_not_found");
}

#[tokio::test]
async fn admin_endpoints_need_a_valid_api_key() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let body = json!({"projectFlow": tenant.flow, "email": unique_email()}).to_string();
    for key in [
        None,
        Some("wrong"),
        Some("ghk_0000000000000000000000000000000000000000000000000000000000000000"),
    ] {
        let create = api.create_raw(key, &body).await;
        assert_eq!(create.status, 401, "{key:?}: {}", create.raw);
        assert_eq!(create.code(), "Unauthorized");
        assert_eq!(api.list(key, "").await.status, 401);
        assert_eq!(
            api.get(key, "01jzzzzzzzzzzzzzzzzzzzzzzz", "").await.status,
            401
        );
    }
    assert!(Moto::new().emails_to("nobody@example.com").await.is_empty());
}

#[tokio::test]
async fn get_populates_like_list() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let created = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": unique_email()}),
        )
        .await;
    let id = login_id(&created);
    let plain = api.get(Some(&tenant.api_key), &id, "").await;
    let full = api
        .get(Some(&tenant.api_key), &id, "populates[]=emailValidation")
        .await;
    assert_eq!(
        plain.body["data"]["emailValidation"],
        full.body["data"]["emailValidation"]["_id"]
    );
    assert_eq!(full.body["data"]["emailValidation"]["status"], "pending");
    assert_eq!(full.body["data"]["phoneValidation"], Value::Null);
    let bad = api.get(Some(&tenant.api_key), &id, "populates[]=otp").await;
    assert_eq!(bad.status, 400);
}

/// Every record of `query`, page after page through `next`.
async fn walk(api: &Api, key: Option<&str>, query: &str) -> Vec<String> {
    let mut walked = Vec::new();
    let mut reply = api.list(key, query).await;
    loop {
        assert_eq!(reply.status, 200, "{query}: {}", reply.raw);
        walked.extend(ids(&reply));
        let Some(next) = reply.body["next"].as_str().map(str::to_string) else {
            assert!(reply.body["next"].is_null(), "{}", reply.raw);
            return walked;
        };
        reply = api.list(key, &format!("{query}&after={next}")).await;
        // A cursor page does not count.
        assert!(reply.body.get("total").is_none(), "{}", reply.raw);
    }
}

/// Every record of `query`, by numbered pages.
async fn numbered(api: &Api, key: Option<&str>, query: &str) -> Vec<String> {
    let first = api.list(key, query).await;
    let pages = first.body["pages"].as_u64().unwrap();
    let mut all = ids(&first);
    for page in 2..=pages {
        all.extend(ids(&api.list(key, &format!("{query}&page={page}")).await));
    }
    all
}

#[tokio::test]
async fn cursor_pages_walk_the_same_logins_as_numbered_pages() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let key = Some(tenant.api_key.as_str());
    let mut created = Vec::new();
    for i in 0..13 {
        let name = if i % 3 == 0 { "Ana Tres" } else { "Bea Otra" };
        let r = api
            .create(
                &tenant.api_key,
                json!({"projectFlow": tenant.flow, "email": unique_email(), "name": name}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.raw);
        created.push(login_id(&r));
    }
    let oldest_first = created.clone();
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();
    for (query, expected) in [
        ("limit=4", newest_first.clone()),
        ("limit=4&sort=createdAt", oldest_first.clone()),
        ("limit=1&sort=createdAt", oldest_first.clone()),
        ("limit=13", newest_first.clone()),
    ] {
        assert_eq!(numbered(&api, key, query).await, expected, "{query}");
        assert_eq!(walk(&api, key, query).await, expected, "{query}");
    }
    // With a filter the cursor walks the same matches as the pages.
    let anas: Vec<String> = oldest_first.iter().step_by(3).cloned().collect();
    let query = "limit=2&sort=createdAt&like_name=ana";
    assert_eq!(numbered(&api, key, query).await, anas);
    assert_eq!(walk(&api, key, query).await, anas);

    // Numbered pages say how they count.
    let first = api.list(key, "limit=4").await;
    assert_eq!(first.body["total"], 13);
    assert_eq!(first.body["totalCapped"], false);

    // Another tenant's cursor lists only that tenant's own records.
    let other = Tenant::create().await;
    let mine = api.list(key, "limit=4").await;
    let cursor = mine.body["next"].as_str().unwrap();
    let theirs = api
        .list(Some(&other.api_key), &format!("after={cursor}"))
        .await;
    assert_eq!(theirs.status, 200, "{}", theirs.raw);
    assert_eq!(ids(&theirs), Vec::<String>::new());

    for (query, code) in [
        ("after=bm90LWEtY3Vyc29y", "invalid_cursor"),
        ("after=%21%21", "invalid_cursor"),
        (
            &format!("page=2&after={cursor}") as &str,
            "invalid_parameter",
        ),
        ("page=101&limit=10", "page_beyond_count"),
        ("page=11&limit=100", "page_beyond_count"),
    ] {
        let reply = api.list(key, query).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.raw);
        assert_eq!(reply.code(), code, "{query}: {}", reply.raw);
    }
    // The last numbered page that starts among the counted records.
    assert_eq!(api.list(key, "page=100&limit=10").await.status, 200);
}
