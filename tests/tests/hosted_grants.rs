//! The hosted pages' authorisation grants in DynamoDB Local: single use
//! under a race, expiry by TTL, and no token at rest.

use gatehouse::adapters::dynamodb::{CallCounter, DynamoLoginStore};
use gatehouse::domain::authorization::{AuthorizationCode, AuthorizationGrant};
use gatehouse::domain::Timestamp;
use gatehouse::ports::LoginStore;
use gatehouse_tests::api::aws_through;
use gatehouse_tests::stack_var;

fn grant(code: &AuthorizationCode, token: &str) -> AuthorizationGrant {
    let now = Timestamp::now();
    AuthorizationGrant {
        id: code.grant_id(),
        client: "client-a".into(),
        project: "project-a".into(),
        project_flow: "flow-a".into(),
        login_id: "login-a".into(),
        registration_id: None,
        redirect_uri: "https://app.example.com/back".into(),
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
