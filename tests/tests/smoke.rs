use gatehouse_tests::{unique_email, Api, Moto, Tenant};
use serde_json::json;

#[tokio::test]
async fn smoke() {
    let tenant = Tenant::create().await;
    let api = Api::new().await;
    let email = unique_email();
    let r = api
        .create(
            &tenant.api_key,
            json!({"projectFlow": tenant.flow, "email": email}),
        )
        .await;
    println!("{} {}", r.status, r.raw);
    let code = Moto::new().latest_email_code(&email).await;
    let id = r.body["data"]["appLogin"]["_id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = api.validate(&id, json!({"otp": code})).await;
    println!("{} {}", v.status, v.raw);
    let l = api
        .list(
            Some(&tenant.api_key),
            "populates[]=emailValidation&populates[]=accessControlLog",
        )
        .await;
    println!("{} {}", l.status, l.raw);
    assert_eq!(v.status, 200);
}
