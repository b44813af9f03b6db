//! Operators and the audit log against DynamoDB Local: invites, roles,
//! removal, the last-admin rule, tenant scoping, and that each change and
//! its audit entry are written together or not at all.

use gatehouse::adapters::dynamodb::DynamoOperatorStore;
use gatehouse::domain::operator::{Actor, AuditAction, OperatorRole};
use gatehouse::domain::ClientId;
use gatehouse::ports::SystemClock;
use gatehouse::service::operators::{Acting, Operators};
use gatehouse::wiring::Aws;
use gatehouse_tests::{stack_var, Tenant};
use std::sync::Arc;

async fn operators() -> Operators<DynamoOperatorStore> {
    let aws = Aws::load().await.expect("AWS config");
    Operators::new(
        DynamoOperatorStore::new(aws.dynamodb, stack_var("GATEHOUSE_TABLE")),
        Arc::new(SystemClock),
    )
}

fn fresh_email(prefix: &str) -> String {
    format!(
        "{prefix}-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

fn code_of(err: gatehouse::error::Error) -> String {
    use gatehouse::error::Error::*;
    match err {
        InvalidInput { code, .. }
        | Forbidden { code, .. }
        | NotFound { code, .. }
        | Conflict { code, .. } => code.to_owned(),
        other => panic!("unexpected error: {other:?}"),
    }
}

#[tokio::test]
async fn an_admin_invites_and_the_audit_log_says_who_did_what() {
    let tenant = ClientId(Tenant::create().await.client);
    let ops = operators().await;
    let first = fresh_email("first");
    let admin = ops
        .invite(
            &tenant,
            &Acting::admin_cli(),
            &first.to_uppercase(),
            OperatorRole::Admin,
        )
        .await
        .unwrap();
    assert_eq!(admin.email.as_str(), first, "stored lowercased");

    let reviewer_email = fresh_email("reviewer");
    ops.invite(
        &tenant,
        &Acting::operator(&admin),
        &reviewer_email,
        OperatorRole::Reviewer,
    )
    .await
    .unwrap();
    let listed = ops.list(&tenant, &Acting::admin_cli()).await.unwrap();
    let emails: Vec<_> = listed.iter().map(|o| o.email.as_str()).collect();
    assert_eq!(
        emails,
        [reviewer_email.as_str(), first.as_str()],
        "newest first"
    );

    let audit = ops
        .audit_log(&tenant, &Acting::operator(&admin))
        .await
        .unwrap();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[0].actor, Actor::Operator(first.clone()));
    assert_eq!(audit[0].action, AuditAction::OperatorInvited);
    assert_eq!(audit[0].record, reviewer_email);
    assert_eq!(audit[0].detail.as_deref(), Some("reviewer"));
    assert_eq!(audit[1].actor, Actor::AdminCli);
    assert!(audit[0].at >= audit[1].at);
}

#[tokio::test]
async fn only_admins_change_operators_and_a_refused_change_writes_nothing() {
    let tenant = ClientId(Tenant::create().await.client);
    let ops = operators().await;
    let admin = ops
        .invite(
            &tenant,
            &Acting::admin_cli(),
            &fresh_email("admin"),
            OperatorRole::Admin,
        )
        .await
        .unwrap();
    let viewer = ops
        .invite(
            &tenant,
            &Acting::operator(&admin),
            &fresh_email("viewer"),
            OperatorRole::Viewer,
        )
        .await
        .unwrap();
    let reviewer = ops
        .invite(
            &tenant,
            &Acting::operator(&admin),
            &fresh_email("rev"),
            OperatorRole::Reviewer,
        )
        .await
        .unwrap();

    for acting in [Acting::operator(&viewer), Acting::operator(&reviewer)] {
        let refused = ops
            .invite(&tenant, &acting, &fresh_email("x"), OperatorRole::Viewer)
            .await
            .unwrap_err();
        assert_eq!(code_of(refused), "role_not_allowed");
        let refused = ops
            .change_role(&tenant, &acting, viewer.email.as_str(), OperatorRole::Admin)
            .await
            .unwrap_err();
        assert_eq!(code_of(refused), "role_not_allowed");
    }
    let again = ops
        .invite(
            &tenant,
            &Acting::operator(&admin),
            viewer.email.as_str(),
            OperatorRole::Admin,
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(again), "operator_exists");
    let bad = ops
        .invite(
            &tenant,
            &Acting::operator(&admin),
            "Ana <ana@example.com>",
            OperatorRole::Viewer,
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(bad), "invalid_email");
    let missing = ops
        .remove(&tenant, &Acting::operator(&admin), &fresh_email("nobody"))
        .await
        .unwrap_err();
    assert_eq!(code_of(missing), "operator_not_found");

    let audit = ops.audit_log(&tenant, &Acting::admin_cli()).await.unwrap();
    assert_eq!(audit.len(), 3, "only the three invites: {audit:?}");
    let viewer_now = ops
        .list(&tenant, &Acting::admin_cli())
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.email == viewer.email)
        .unwrap();
    assert_eq!(
        viewer_now.role,
        OperatorRole::Viewer,
        "the conflict changed nothing"
    );
}

#[tokio::test]
async fn the_last_admin_stays_and_a_removed_operator_can_be_invited_again() {
    let tenant = ClientId(Tenant::create().await.client);
    let ops = operators().await;
    let admin = ops
        .invite(
            &tenant,
            &Acting::admin_cli(),
            &fresh_email("only"),
            OperatorRole::Admin,
        )
        .await
        .unwrap();
    let acting = Acting::operator(&admin);
    for refused in [
        ops.remove(&tenant, &acting, admin.email.as_str()).await,
        ops.change_role(&tenant, &acting, admin.email.as_str(), OperatorRole::Viewer)
            .await,
    ] {
        assert_eq!(code_of(refused.unwrap_err()), "last_admin");
    }

    let second = ops
        .invite(
            &tenant,
            &acting,
            &fresh_email("second"),
            OperatorRole::Viewer,
        )
        .await
        .unwrap();
    let promoted = ops
        .change_role(&tenant, &acting, second.email.as_str(), OperatorRole::Admin)
        .await
        .unwrap();
    assert_eq!(promoted.role, OperatorRole::Admin);
    ops.remove(&tenant, &Acting::operator(&promoted), admin.email.as_str())
        .await
        .unwrap();
    let left: Vec<_> = ops
        .list(&tenant, &Acting::admin_cli())
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.email)
        .collect();
    assert_eq!(left, std::slice::from_ref(&second.email));
    assert!(ops
        .memberships(admin.email.as_str())
        .await
        .unwrap()
        .is_empty());

    let back = ops
        .invite(
            &tenant,
            &Acting::operator(&promoted),
            admin.email.as_str(),
            OperatorRole::Reviewer,
        )
        .await
        .unwrap();
    assert_eq!(
        back.created_at, admin.created_at,
        "the same record, invited again"
    );
    assert_eq!(back.role, OperatorRole::Reviewer);

    let actions: Vec<_> = ops
        .audit_log(&tenant, &Acting::admin_cli())
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.detail.unwrap_or_default()))
        .collect();
    assert_eq!(
        actions,
        [
            (AuditAction::OperatorInvited, "reviewer".to_owned()),
            (AuditAction::OperatorRemoved, "admin".to_owned()),
            (
                AuditAction::OperatorRoleChanged,
                "viewer -> admin".to_owned()
            ),
            (AuditAction::OperatorInvited, "viewer".to_owned()),
            (AuditAction::OperatorInvited, "admin".to_owned()),
        ]
    );
}

#[tokio::test]
async fn one_email_serves_several_tenants_and_each_sees_only_its_own() {
    let first = ClientId(Tenant::create().await.client);
    let second = ClientId(Tenant::create().await.client);
    let ops = operators().await;
    let email = fresh_email("shared");
    ops.invite(&first, &Acting::admin_cli(), &email, OperatorRole::Admin)
        .await
        .unwrap();
    ops.invite(&second, &Acting::admin_cli(), &email, OperatorRole::Viewer)
        .await
        .unwrap();
    let mut tenants: Vec<_> = ops
        .memberships(&email)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.client, o.role))
        .collect();
    tenants.sort_by(|a, b| a.0 .0.cmp(&b.0 .0));
    let mut expected = vec![
        (first.clone(), OperatorRole::Admin),
        (second.clone(), OperatorRole::Viewer),
    ];
    expected.sort_by(|a, b| a.0 .0.cmp(&b.0 .0));
    assert_eq!(tenants, expected);
    assert!(ops.memberships("not an email").await.unwrap().is_empty());

    let only_first = fresh_email("first-only");
    ops.invite(
        &first,
        &Acting::admin_cli(),
        &only_first,
        OperatorRole::Viewer,
    )
    .await
    .unwrap();
    let second_sees: Vec<_> = ops
        .list(&second, &Acting::admin_cli())
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.email.as_str().to_owned())
        .collect();
    assert_eq!(second_sees, std::slice::from_ref(&email));
    let second_audit = ops.audit_log(&second, &Acting::admin_cli()).await.unwrap();
    assert!(
        second_audit.iter().all(|e| e.client == second),
        "{second_audit:?}"
    );
    assert_eq!(second_audit.len(), 1);
    // Removing it in one tenant leaves the other's record alone.
    ops.invite(
        &first,
        &Acting::admin_cli(),
        &fresh_email("admin2"),
        OperatorRole::Admin,
    )
    .await
    .unwrap();
    ops.remove(&first, &Acting::admin_cli(), &email)
        .await
        .unwrap();
    let left = ops.memberships(&email).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].client, second);
}

#[tokio::test]
async fn two_invites_of_one_email_at_once_make_one_operator_and_one_audit_entry() {
    let tenant = ClientId(Tenant::create().await.client);
    let ops = operators().await;
    let email = fresh_email("race");
    let acting = Acting::admin_cli();
    let (a, b) = tokio::join!(
        ops.invite(&tenant, &acting, &email, OperatorRole::Viewer),
        ops.invite(&tenant, &acting, &email, OperatorRole::Admin),
    );
    let won = [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count();
    assert_eq!(won, 1, "{a:?} {b:?}");
    let lost = a.err().or(b.err()).unwrap();
    assert!(
        ["operator_changed", "operator_exists"].contains(&code_of(lost).as_str()),
        "the loser is told"
    );
    assert_eq!(ops.audit_log(&tenant, &acting).await.unwrap().len(), 1);
    assert_eq!(ops.list(&tenant, &acting).await.unwrap().len(), 1);
}

/// `/v2/operators` and `/v2/audit-log` through their handlers.
mod over_the_api {
    use super::fresh_email;
    use gatehouse_tests::{ConfigApi, Tenant};
    use serde_json::json;

    #[tokio::test]
    async fn an_admin_key_invites_changes_and_removes_and_the_log_names_the_key() {
        let tenant = Tenant::create().await;
        let api = ConfigApi::new().await;
        let key = Some(tenant.api_key.as_str());
        let email = format!(
            "ana+ops-{}@example.com",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let invited = api
            .call(
                "POST",
                "operators",
                None,
                key,
                "",
                Some(json!({"email": email, "role": "admin"})),
            )
            .await;
        assert_eq!(invited.status, 201, "{}", invited.raw);
        assert_eq!(invited.body["data"]["role"], "admin");
        let second = fresh_email("second");
        let invited = api
            .call(
                "POST",
                "operators",
                None,
                key,
                "",
                Some(json!({"email": second, "role": "admin"})),
            )
            .await;
        assert_eq!(invited.status, 201, "{}", invited.raw);

        // The email is the path's id, percent-encoded as a browser sends it.
        let encoded = email.replace('+', "%2B").replace('@', "%40");
        let changed = api
            .call(
                "PUT",
                "operators",
                Some(&encoded),
                key,
                "",
                Some(json!({"role": "reviewer"})),
            )
            .await;
        assert_eq!(changed.status, 200, "{}", changed.raw);
        assert_eq!(changed.body["data"]["role"], "reviewer");
        let last = api
            .call("DELETE", "operators", Some(&second), key, "", None)
            .await;
        assert_eq!(last.status, 409, "{}", last.raw);
        assert_eq!(last.code(), "last_admin", "{}", last.raw);
        let removed = api
            .call("DELETE", "operators", Some(&encoded), key, "", None)
            .await;
        assert_eq!(removed.status, 200, "{}", removed.raw);
        assert_eq!(removed.body["data"]["status"], "removed");

        let listed = api.call("GET", "operators", None, key, "", None).await;
        assert_eq!(listed.status, 200, "{}", listed.raw);
        assert_eq!(listed.body["total"], 1, "{}", listed.raw);
        assert_eq!(listed.body["data"][0]["email"], second);

        let log = api.call("GET", "audit-log", None, key, "", None).await;
        assert_eq!(log.status, 200, "{}", log.raw);
        let entries = log.body["data"].as_array().unwrap();
        let actions: Vec<_> = entries
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "operatorRemoved",
                "operatorRoleChanged",
                "operatorInvited",
                "operatorInvited"
            ]
        );
        let prefix: String = tenant.api_key.chars().take(12).collect();
        for entry in entries {
            assert_eq!(
                entry["actor"],
                json!({"kind": "apiKey", "id": prefix}),
                "{entry}"
            );
        }
        assert_eq!(entries[1]["detail"], "admin -> reviewer");
        assert!(
            !log.raw.contains(&tenant.api_key),
            "the log names the prefix only"
        );
    }

    #[tokio::test]
    async fn bad_input_and_other_callers_are_refused_and_write_nothing() {
        let tenant = Tenant::create().await;
        let other = Tenant::create().await;
        let api = ConfigApi::new().await;
        let key = Some(tenant.api_key.as_str());
        let email = fresh_email("mine");
        let created = api
            .call(
                "POST",
                "operators",
                None,
                key,
                "",
                Some(json!({"email": email, "role": "admin"})),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.raw);

        for (body, code) in [
            (
                json!({"email": fresh_email("x"), "role": "owner"}),
                "invalid_field",
            ),
            (json!({"email": fresh_email("x")}), "invalid_field"),
            (
                json!({"email": fresh_email("x"), "role": "viewer", "team": "a"}),
                "invalid_field",
            ),
            (
                json!({"email": "Ana <ana@example.com>", "role": "viewer"}),
                "invalid_email",
            ),
            (json!({"email": email, "role": "viewer"}), "operator_exists"),
        ] {
            let reply = api
                .call("POST", "operators", None, key, "", Some(body.clone()))
                .await;
            assert!(
                reply.status == 400 || reply.status == 409,
                "{body}: {}",
                reply.raw
            );
            assert_eq!(reply.code(), code, "{body}: {}", reply.raw);
        }
        let unknown = api
            .call("GET", "audit-log", None, key, "limit=5", None)
            .await;
        assert_eq!(unknown.status, 400, "{}", unknown.raw);

        let runtime = api
            .call(
                "POST",
                "api-keys",
                None,
                key,
                "",
                Some(json!({"scope": "runtime"})),
            )
            .await;
        let runtime_key = runtime.body["data"]["apiKey"].as_str().unwrap().to_owned();
        for (method, id, body) in [
            (
                "POST",
                None,
                Some(json!({"email": fresh_email("r"), "role": "viewer"})),
            ),
            ("GET", None, None),
            ("DELETE", Some(email.as_str()), None),
        ] {
            let refused = api
                .call(
                    method,
                    "operators",
                    id,
                    Some(&runtime_key),
                    "",
                    body.clone(),
                )
                .await;
            assert_eq!(refused.status, 403, "{method}: {}", refused.raw);
            assert_eq!(refused.code(), "insufficient_scope");
            let anonymous = api.call(method, "operators", id, None, "", body).await;
            assert_eq!(anonymous.status, 401, "{method}: {}", anonymous.raw);
        }

        // Another tenant's key neither sees nor touches this tenant's operator.
        let theirs = Some(other.api_key.as_str());
        let change = api
            .call(
                "PUT",
                "operators",
                Some(&email),
                theirs,
                "",
                Some(json!({"role": "viewer"})),
            )
            .await;
        assert_eq!(change.status, 404, "{}", change.raw);
        assert_eq!(change.code(), "operator_not_found");
        let remove = api
            .call("DELETE", "operators", Some(&email), theirs, "", None)
            .await;
        assert_eq!(remove.status, 404, "{}", remove.raw);
        let listed = api.call("GET", "operators", None, theirs, "", None).await;
        assert_eq!(listed.body["total"], 0, "{}", listed.raw);
        let their_log = api.call("GET", "audit-log", None, theirs, "", None).await;
        assert_eq!(their_log.body["total"], 0, "{}", their_log.raw);

        // The runtime key this test made is audited too; of operators, only
        // the one invite.
        let log = api.call("GET", "audit-log", None, key, "", None).await;
        let actions: Vec<_> = log.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["apiKeyCreated", "operatorInvited"], "{}", log.raw);
        let mine = api.call("GET", "operators", None, key, "", None).await;
        assert_eq!(mine.body["data"][0]["role"], "admin", "{}", mine.raw);
    }
}
