//! A denied or unlisted identifier gets exactly the answer a permitted one
//! gets, and nothing is sent to it.

use gatehouse::domain::flow::FlowSecurity;
use gatehouse::domain::OnboardingSettings;
use gatehouse_tests::{login_id, unique_email, Api, Endpoint, Moto, RegistrationApi, Tenant};
use serde_json::{json, Value};

/// The shape of a JSON value: keys and types, not values.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(b) => json!(b),
        Value::Null => Value::Null,
    }
}

#[tokio::test]
async fn denied_and_unlisted_identifiers_look_like_everyone_else() {
    let allowed = unique_email();
    let denied = unique_email();
    let tenant = Tenant::builder()
        .security(FlowSecurity {
            allow_list: vec![allowed.clone(), "@example.com".into()],
            deny_list: vec![denied.clone()],
        })
        .create()
        .await;
    let api = Api::new().await;
    let moto = Moto::new();
    let unlisted = format!("someone-{}@elsewhere.org", &unique_email()[5..15]);

    let mut replies = Vec::new();
    for email in [&allowed, &denied, &unlisted] {
        let reply = api
            .create(
                &tenant.api_key,
                json!({"projectFlow": tenant.flow, "email": email}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.raw);
        replies.push(reply);
    }
    assert_eq!(shape(&replies[0].body), shape(&replies[1].body));
    assert_eq!(shape(&replies[0].body), shape(&replies[2].body));
    for reply in &replies {
        assert_eq!(reply.body["data"]["sent"], true);
        assert_eq!(
            reply.body["data"]["appLogin"]["emailValidation"]["deliveryStatus"],
            "sent"
        );
    }
    assert_eq!(moto.emails_to(&allowed).await.len(), 1);
    assert!(moto.emails_to(&denied).await.is_empty());
    assert!(moto.emails_to(&unlisted).await.is_empty());

    // Guessing on a withheld login answers like any wrong code.
    let guess = api
        .validate(&login_id(&replies[1]), json!({"otp": "123456"}))
        .await;
    assert_eq!(guess.status, 403, "{}", guess.raw);
    assert_eq!(guess.code(), "otp_does_not_match");
    // A resend is withheld the same way.
    let resend = api.resend(&login_id(&replies[1]), None).await;
    assert_eq!(resend.status, 429, "cooldown applies alike: {}", resend.raw);

    // Onboarding: the same for registrations.
    let onboarding = Tenant::onboarding(OnboardingSettings::default())
        .security(FlowSecurity {
            allow_list: vec![],
            deny_list: vec!["@blocked.example".into()],
        })
        .create()
        .await;
    let registrations = RegistrationApi::new().await;
    let blocked = "ana@blocked.example";
    let start = |email: String| {
        let flow = onboarding.flow.clone();
        let registrations = &registrations;
        async move {
            registrations
                .call(
                    Endpoint::Create,
                    None,
                    None,
                    Some(json!({"projectFlow": flow, "email": email})),
                )
                .await
        }
    };
    let open = start(unique_email()).await;
    let closed = start(blocked.to_string()).await;
    assert_eq!(open.status, closed.status, "{}", closed.raw);
    assert_eq!(
        shape(&open.body["data"]["appRegistration"]),
        shape(&closed.body["data"]["appRegistration"])
    );
    assert_eq!(closed.body["data"]["sent"], true);
    assert!(moto.emails_to(blocked).await.is_empty());
}
