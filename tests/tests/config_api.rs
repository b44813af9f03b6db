//! Projects, project flows and API keys through the client's own API.

use gatehouse_tests::{unique_email, Api, ConfigApi, Reply, Tenant};
use serde_json::json;

fn expect_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.raw);
    assert_eq!(reply.code(), code, "{}", reply.raw);
}

#[tokio::test]
async fn projects_are_created_checked_updated_listed_and_archived() {
    let tenant = Tenant::create().await;
    let other = Tenant::create().await;
    let api = ConfigApi::new().await;
    let key = Some(tenant.api_key.as_str());

    let created = api
        .call(
            "POST",
            "projects",
            None,
            key,
            "",
            Some(json!({
                "name": "Acme Shop",
                "allowedCountries": ["co", "MX"],
                "contactEmail": "Support@Acme.example",
                "privacyUrl": "https://acme.example/privacy",
                "termsUrl": "https://acme.example/terms",
                "branding": {"logo": "https://acme.example/logo.png", "buttonColor": "#FF6600"}
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let project = &created.body["data"];
    let id = project["_id"].as_str().unwrap().to_string();
    assert_eq!(project["client"], tenant.client.as_str());
    assert_eq!(project["allowedCountries"], json!(["CO", "MX"]));
    assert_eq!(project["contactEmail"], "support@acme.example");
    assert_eq!(project["branding"]["buttonColor"], "#FF6600");

    // Nonsense is refused, naming the problem; nothing is stored.
    for (body, code) in [
        (json!({"name": "x", "owner": "me"}), "invalid_field"),
        (
            json!({"name": "x", "privacyUrl": "javascript:alert(1)"}),
            "invalid_url",
        ),
        (
            json!({"name": "x", "termsUrl": "http://acme.example/terms"}),
            "invalid_url",
        ),
        (
            json!({"name": "x", "allowedCountries": ["ZZ"]}),
            "invalid_country",
        ),
        (
            json!({"name": "x", "branding": {"buttonColor": "red"}}),
            "invalid_colour",
        ),
        (
            json!({"name": "x", "branding": {"font": "Comic"}}),
            "invalid_field",
        ),
        (json!({"name": ""}), "invalid_parameter"),
        (json!({"name": 7}), "invalid_field"),
        (json!({"allowedCountries": ["CO"]}), "MissingParameter"),
    ] {
        let reply = api
            .call("POST", "projects", None, key, "", Some(body.clone()))
            .await;
        expect_error(&reply, 400, code);
    }
    let listed = api
        .call("GET", "projects", None, key, "limit=100", None)
        .await;
    assert_eq!(
        listed.body["total"], 2,
        "the tenant's own project and this one: {}",
        listed.raw
    );

    let updated = api
        .call(
            "PUT",
            "projects",
            Some(&id),
            key,
            "",
            Some(json!({"name": "Acme Store", "branding": {"buttonColor": "#000"}})),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.raw);
    assert_eq!(updated.body["data"]["name"], "Acme Store");
    assert_eq!(
        updated.body["data"]["termsUrl"],
        "https://acme.example/terms"
    );

    // Another tenant sees nothing and changes nothing.
    let theirs = Some(other.api_key.as_str());
    for method in ["GET", "PUT", "DELETE"] {
        let body = (method == "PUT").then(|| json!({"name": "Stolen"}));
        let reply = api
            .call(method, "projects", Some(&id), theirs, "", body)
            .await;
        expect_error(&reply, 404, "project_not_found");
    }
    let stored = api.call("GET", "projects", Some(&id), key, "", None).await;
    assert_eq!(stored.body["data"]["name"], "Acme Store");

    let archived = api
        .call("DELETE", "projects", Some(&id), key, "", None)
        .await;
    assert_eq!(archived.status, 200, "{}", archived.raw);
    assert!(archived.body["data"]["archivedAt"].is_string());
    let gone = api.call("GET", "projects", Some(&id), key, "", None).await;
    expect_error(&gone, 404, "project_not_found");
}

#[tokio::test]
async fn flows_are_validated_and_only_active_ones_work() {
    let tenant = Tenant::create().await;
    let api = ConfigApi::new().await;
    let key = Some(tenant.api_key.as_str());
    let create =
        |body: serde_json::Value| api.call("POST", "project-flows", None, key, "", Some(body));

    for (body, code) in [
        (
            json!({"project": tenant.project, "name": "L", "type": "login", "loginSettings": {"codeLifetimeSeconds": 3600}}),
            "invalid_login_settings",
        ),
        (
            json!({"project": tenant.project, "name": "L", "type": "login", "loginSettings": {"maxAttempts": 0}}),
            "invalid_login_settings",
        ),
        (
            json!({"project": tenant.project, "name": "L", "type": "login", "loginSettings": {"otpLength": 4}}),
            "invalid_field",
        ),
        (
            json!({"project": tenant.project, "name": "O", "type": "onboarding", "onboardingSettings": {"maxAttempts": 11}}),
            "invalid_onboarding_settings",
        ),
        (
            json!({"project": tenant.project, "name": "O", "type": "onboarding", "onboardingSettings": {"steps": {"selfie": "mandatory"}}}),
            "invalid_field",
        ),
        (
            json!({"project": tenant.project, "name": "L", "type": "signup"}),
            "invalid_field",
        ),
        (
            json!({"project": tenant.project, "name": "L", "type": "login", "redirectUrl": "ftp://x"}),
            "invalid_url",
        ),
        (
            json!({"project": tenant.project, "name": "L", "type": "login", "redirectUrl": "https://user:pass@app.example.com/cb"}),
            "invalid_url",
        ),
        (
            json!({"project": tenant.project, "name": "L", "type": "login", "redirectUrl": "https://app.example.com/cb#top"}),
            "invalid_url",
        ),
        (
            json!({"project": tenant.project, "name": "L", "type": "login", "redirectUrl": "http://app.example.com/cb"}),
            "invalid_url",
        ),
        (
            json!({"project": tenant.project, "name": "L", "type": "login", "security": {"denyList": ["not an email"]}}),
            "invalid_security",
        ),
        (
            json!({"project": tenant.project, "name": "L"}),
            "MissingParameter",
        ),
    ] {
        expect_error(&create(body).await, 400, code);
    }
    let missing_project =
        create(json!({"project": "01JBZZZZZZZZZZZZZZZZZZZZZZ", "name": "L", "type": "login"}))
            .await;
    expect_error(&missing_project, 404, "project_not_found");

    let created = create(json!({
        "project": tenant.project,
        "name": "Partner login",
        "type": "login",
        "redirectUrl": "https://acme.example/welcome",
        "loginSettings": {"email": true, "phone": false, "codeLifetimeSeconds": 300, "maxAttempts": 3},
        "security": {"denyList": ["@spam.example"]}
    }))
    .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    let flow = &created.body["data"];
    let id = flow["_id"].as_str().unwrap().to_string();
    assert_eq!(flow["status"], "draft");
    assert_eq!(flow["loginSettings"]["codeLifetimeSeconds"], 300);

    // A draft flow sends nothing.
    let logins = Api::new().await;
    let draft = logins
        .create(
            &tenant.api_key,
            json!({"projectFlow": id, "email": unique_email()}),
        )
        .await;
    expect_error(&draft, 409, "projectFlow_not_active");

    let retyped = api
        .call(
            "PUT",
            "project-flows",
            Some(&id),
            key,
            "",
            Some(json!({"type": "onboarding"})),
        )
        .await;
    expect_error(&retyped, 400, "immutable_field");
    let activated = api
        .call(
            "PUT",
            "project-flows",
            Some(&id),
            key,
            "",
            Some(json!({"status": "active"})),
        )
        .await;
    assert_eq!(
        activated.body["data"]["status"], "active",
        "{}",
        activated.raw
    );
    // A container that had cached the draft sees the change within the
    // cache lifetime; a new one at once.
    let fresh = Api::new().await;
    let works = fresh
        .create(
            &tenant.api_key,
            json!({"projectFlow": id, "email": unique_email()}),
        )
        .await;
    assert_eq!(works.status, 201, "{}", works.raw);
    // The flow's own settings apply.
    assert_eq!(
        works.body["data"]["appLogin"]["emailValidation"]["maxAttempts"],
        3
    );

    let listed = api
        .call(
            "GET",
            "project-flows",
            None,
            key,
            &format!("where_project={}", tenant.project),
            None,
        )
        .await;
    assert_eq!(listed.body["total"], 2, "{}", listed.raw);
    let archived = api
        .call("DELETE", "project-flows", Some(&id), key, "", None)
        .await;
    assert_eq!(archived.status, 200, "{}", archived.raw);
    let after = Api::new().await;
    let refused = after
        .create(
            &tenant.api_key,
            json!({"projectFlow": id, "email": unique_email()}),
        )
        .await;
    expect_error(&refused, 404, "projectFlow_not_found");
}

#[tokio::test]
async fn api_keys_are_created_listed_by_prefix_and_revoked() {
    let tenant = Tenant::create().await;
    let other = Tenant::create().await;
    let api = ConfigApi::new().await;
    let created = api
        .call(
            "POST",
            "api-keys",
            None,
            Some(&tenant.api_key),
            "",
            Some(json!({"scope": "admin", "name": "  billing backend "})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw);
    assert_eq!(created.body["data"]["scope"], "admin");
    assert_eq!(created.body["data"]["name"], "billing backend");
    let new_key = created.body["data"]["apiKey"].as_str().unwrap().to_string();
    let prefix = created.body["data"]["prefix"].as_str().unwrap().to_string();
    assert!(new_key.starts_with(&prefix));

    let listed = api
        .call("GET", "api-keys", None, Some(&new_key), "", None)
        .await;
    assert_eq!(listed.status, 200, "{}", listed.raw);
    assert_eq!(listed.body["total"], 2);
    assert!(!listed.raw.contains(&new_key), "only prefixes are listed");
    assert!(listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k.get("apiKey").is_none()));
    assert!(
        listed.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["prefix"] == prefix.as_str() && k["name"] == "billing backend"),
        "{}",
        listed.raw
    );

    // A label that is empty, too long, not text or holds control
    // characters is refused, and no key is made.
    for (name, code) in [
        (json!(""), "invalid_parameter"),
        (json!("x".repeat(121)), "invalid_parameter"),
        (json!("line\nbreak"), "invalid_parameter"),
        (json!(7), "invalid_field"),
    ] {
        let refused = api
            .call(
                "POST",
                "api-keys",
                None,
                Some(&tenant.api_key),
                "",
                Some(json!({ "name": name })),
            )
            .await;
        expect_error(&refused, 400, code);
    }
    let listed = api
        .call("GET", "api-keys", None, Some(&tenant.api_key), "", None)
        .await;
    assert_eq!(listed.body["total"], 2, "{}", listed.raw);

    // Another tenant cannot revoke it.
    let foreign = api
        .call(
            "DELETE",
            "api-keys",
            Some(&prefix),
            Some(&other.api_key),
            "",
            None,
        )
        .await;
    expect_error(&foreign, 404, "apiKey_not_found");
    let revoked = api
        .call(
            "DELETE",
            "api-keys",
            Some(&prefix),
            Some(&tenant.api_key),
            "",
            None,
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.raw);
    assert_eq!(revoked.body["data"]["status"], "revoked");
    let again = api
        .call(
            "DELETE",
            "api-keys",
            Some(&prefix),
            Some(&tenant.api_key),
            "",
            None,
        )
        .await;
    expect_error(&again, 404, "apiKey_not_found");
    // Admin calls check the key against the table, never a cache: the same
    // container that used the key a moment ago refuses it at once.
    let refused = api
        .call("GET", "projects", None, Some(&new_key), "", None)
        .await;
    expect_error(&refused, 401, "Unauthorized");

    // The audit log has the creation and the revocation, each naming the
    // key that acted and the key acted on; the refused calls wrote nothing.
    let log = api
        .call("GET", "audit-log", None, Some(&tenant.api_key), "", None)
        .await;
    assert_eq!(log.status, 200, "{}", log.raw);
    let actor = json!({"kind": "apiKey", "id": &tenant.api_key[..12]});
    let entries: Vec<_> = log.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].clone(), e["record"].clone(), e["actor"].clone()))
        .collect();
    assert_eq!(
        entries,
        [
            (json!("apiKeyRevoked"), json!(prefix), actor.clone()),
            (json!("apiKeyCreated"), json!(prefix), actor),
        ],
        "{}",
        log.raw
    );
    let theirs = api
        .call("GET", "audit-log", None, Some(&other.api_key), "", None)
        .await;
    assert_eq!(theirs.body["total"], 0, "{}", theirs.raw);
}

#[tokio::test]
async fn a_flow_webhook_gets_a_secret_that_rotates_and_private_hosts_are_refused() {
    let tenant = Tenant::create().await;
    let other = Tenant::create().await;
    let api = ConfigApi::new().await;
    let key = Some(tenant.api_key.as_str());
    let flow = Some(tenant.flow.as_str());
    let put = |body: serde_json::Value| api.call("PUT", "project-flows", flow, key, "", Some(body));

    let set = put(json!({"webhookUrl": "https://hooks.acme.example/gatehouse?k=1"})).await;
    assert_eq!(set.status, 200, "{}", set.raw);
    let secret = set.body["data"]["webhookSecret"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 49,
        "{secret}"
    );
    assert_eq!(
        set.body["data"]["webhookUrl"],
        "https://hooks.acme.example/gatehouse?k=1"
    );

    // Read back by the tenant's admin key, the same secret; another tenant
    // sees no flow at all.
    let read = api.call("GET", "project-flows", flow, key, "", None).await;
    assert_eq!(read.body["data"]["webhookSecret"], secret.as_str());
    let across = api
        .call("GET", "project-flows", flow, Some(&other.api_key), "", None)
        .await;
    assert_eq!(across.status, 404, "{}", across.raw);

    // A URL change keeps the secret; a rotation replaces it.
    let moved = put(json!({"webhookUrl": "https://hooks2.acme.example/"})).await;
    assert_eq!(moved.body["data"]["webhookSecret"], secret.as_str());
    let rotated = put(json!({"rotateWebhookSecret": true})).await;
    assert_eq!(rotated.status, 200, "{}", rotated.raw);
    let new_secret = rotated.body["data"]["webhookSecret"].as_str().unwrap();
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);

    // Anything that reaches into a network, or is not https, is refused and
    // nothing changes. (The tests allow http to loopback, as `make dev` does.)
    for url in [
        "http://hooks.acme.example/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.8/hook",
        "https://[fd00:ec2::254]/",
        "https://user:pw@hooks.acme.example/",
        "not a url",
    ] {
        let refused = put(json!({"webhookUrl": url})).await;
        expect_error(&refused, 400, "invalid_webhook_url");
    }
    let unchanged = api.call("GET", "project-flows", flow, key, "", None).await;
    assert_eq!(
        unchanged.body["data"]["webhookUrl"],
        "https://hooks2.acme.example/"
    );

    // "" removes the webhook and its secret; a rotation then has nothing to rotate.
    let removed = put(json!({"webhookUrl": ""})).await;
    assert_eq!(removed.status, 200, "{}", removed.raw);
    assert!(removed.body["data"].get("webhookUrl").is_none());
    assert!(removed.body["data"].get("webhookSecret").is_none());
    let nothing = put(json!({"rotateWebhookSecret": true})).await;
    expect_error(&nothing, 400, "webhook_not_set");
}
