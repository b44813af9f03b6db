//! The hosted pages' authorisation grants in DynamoDB Local: single use
//! under a race, expiry by TTL, and no token at rest.

use gatehouse::adapters::dynamodb::{CallCounter, DynamoLoginStore};
use gatehouse::api::request::answered;
use gatehouse::domain::authorization::{AuthorizationCode, AuthorizationGrant};
use gatehouse::domain::Timestamp;
use gatehouse::ports::LoginStore;
use gatehouse::wiring;
use gatehouse_tests::api::{aws_through, event, Reply};
use gatehouse_tests::{stack_var, Tenant};
use serde_json::json;

const BACK: &str = "https://app.example.com/back";

fn grant(code: &AuthorizationCode, token: &str) -> AuthorizationGrant {
    grant_for("client-a", code, token)
}

fn grant_for(client: &str, code: &AuthorizationCode, token: &str) -> AuthorizationGrant {
    let now = Timestamp::now();
    AuthorizationGrant {
        id: code.grant_id(),
        client: client.into(),
        project: "project-a".into(),
        project_flow: "flow-a".into(),
        login_id: "login-a".into(),
        registration_id: None,
        redirect_uri: BACK.into(),
        sealed_token: code.seal(token),
        token_expires_at: now.plus_seconds(3600),
        created_at: now,
        expires_at: now.plus_seconds(60),
    }
}

#[tokio::test]
async fn of_two_exchanges_at_once_exactly_one_gets_the_grant() {
    let calls = CallCounter::default();
    let aws = aws_through(None, &calls).await;
    let table = stack_var("GATEHOUSE_TABLE");
    let store = DynamoLoginStore::new(aws.dynamodb.clone(), &table);
    let code = AuthorizationCode::generate();
    let token = "header.payload-of-a-token.signature";
    store.save_grant(&grant(&code, token)).await.expect("saved");
    assert_eq!(calls.take(), vec!["PutItem"]);

    // At rest: the code's hash as the key, the TTL, and no token or code.
    let item = aws
        .dynamodb
        .get_item()
        .table_name(&table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("GRANT#{}", code.grant_id())),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("GRANT".into()),
        )
        .send()
        .await
        .expect("read back")
        .item
        .expect("stored");
    let at_rest = format!("{item:?}");
    assert!(!at_rest.contains(token) && !at_rest.contains(code.as_str()));
    assert!(item.contains_key("ttl"));
    // A second grant under the same id is refused, not overwritten.
    assert!(store.save_grant(&grant(&code, "another")).await.is_err());

    let id = code.grant_id();
    let (first, second) = tokio::join!(store.take_grant(&id), store.take_grant(&id));
    let won: Vec<_> = [first.expect("took"), second.expect("took")]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(won.len(), 1);
    assert_eq!(code.open(&won[0].sealed_token).as_deref(), Some(token));
    assert!(store.take_grant(&id).await.expect("took").is_none());
}

/// `POST /v2/hosted/token` as docs/hosted-pages.md "Hosted pages" says: once a JSON body
/// names a code, every refusal spends it (an empty, missing or wrong
/// `redirectUri`, an unknown field); only a body that is not JSON, or names
/// no code, leaves it.
#[tokio::test]
async fn a_refused_exchange_spends_the_code_unless_the_body_is_not_json() {
    let tenant = Tenant::create().await;
    let aws = wiring::Aws::load().await.expect("AWS config");
    let (auth, exchanges) = wiring::code_exchanges(&aws).expect("config");
    let store = DynamoLoginStore::new(aws.dynamodb.clone(), stack_var("GATEHOUSE_TABLE"));
    let token = "header.payload-of-a-token.signature";
    let exchange = |body: String| {
        let req = event(
            "198.18.9.9",
            "POST",
            "/v2/hosted/token",
            "",
            None,
            Some(&tenant.api_key),
            Some(&body),
        );
        let (auth, exchanges) = (&auth, &exchanges);
        async move {
            Reply::from_response(answered(
                gatehouse::api::hosted::exchange(auth, exchanges, req).await,
            ))
        }
    };
    let issue = || async {
        let code = AuthorizationCode::generate();
        store
            .save_grant(&grant_for(&tenant.client, &code, token))
            .await
            .expect("saved");
        code
    };

    let spending = [
        (json!({"redirectUri": ""}), 400, "MissingParameter"),
        (json!({}), 400, "MissingParameter"),
        (
            json!({"redirectUri": "https://app.example.com/other"}),
            400,
            "invalid_grant",
        ),
        (json!({"redirectUri": 7}), 400, "invalid_parameter"),
        (
            json!({"redirectUri": BACK, "scope": "x"}),
            400,
            "unknown_field",
        ),
    ];
    for (mut body, status, code_name) in spending {
        let code = issue().await;
        body["code"] = json!(code.as_str());
        let refused = exchange(body.to_string()).await;
        assert_eq!(
            (refused.status, refused.code()),
            (status, code_name),
            "{body}: {}",
            refused.raw
        );
        let after = exchange(json!({"code": code.as_str(), "redirectUri": BACK}).to_string()).await;
        assert_eq!(after.code(), "invalid_grant", "{body} left the code usable");
    }

    // Not JSON, or no code: nothing to spend, and the code still works.
    let code = issue().await;
    for body in [
        format!("{{\"code\": \"{}\"", code.as_str()),
        "{}".to_string(),
    ] {
        let refused = exchange(body).await;
        assert_eq!(refused.status, 400, "{}", refused.raw);
    }
    let exchanged = exchange(json!({"code": code.as_str(), "redirectUri": BACK}).to_string()).await;
    assert_eq!(exchanged.status, 200, "{}", exchanged.raw);
    assert_eq!(exchanged.body["data"]["token"], token);
}
