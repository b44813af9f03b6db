//! One enrollee going through an onboarding, step by step, with the codes
//! read back from what moto sent.

use crate::api::{Endpoint, RegistrationApi, Reply};
use crate::{unique_co_mobile, unique_email, Moto, Tenant};
use serde_json::{json, Value};

pub struct Enrollment {
    pub id: String,
    /// The enrollee token the create call returned.
    pub token: String,
    pub email: String,
    /// National digits and E.164 of the Colombian mobile.
    pub phone: String,
    pub e164: String,
    pub created: Reply,
}

impl Enrollment {
    /// Starts a registration with a fresh email and phone.
    pub async fn start(api: &RegistrationApi, tenant: &Tenant) -> Enrollment {
        Self::start_with(api, tenant, &unique_email(), &unique_co_mobile()).await
    }

    pub async fn start_with(
        api: &RegistrationApi,
        tenant: &Tenant,
        email: &str,
        phone: &str,
    ) -> Enrollment {
        let created = api
            .call(
                Endpoint::Create,
                None,
                None,
                Some(json!({
                    "projectFlow": tenant.flow,
                    "email": email,
                    "countryCode": "+57",
                    "phone": phone,
                    "firstName": "Ana",
                    "lastName": "Lopez",
                })),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.raw);
        let data = &created.body["data"];
        Enrollment {
            id: data["appRegistration"]["_id"]
                .as_str()
                .expect("an id")
                .to_string(),
            token: data["token"].as_str().expect("a token").to_string(),
            email: email.to_string(),
            phone: phone.to_string(),
            e164: format!("+57{phone}"),
            created,
        }
    }

    pub async fn validate(&self, api: &RegistrationApi, kind: &str, otp: &str) -> Reply {
        api.call(
            Endpoint::Validate,
            Some(&self.id),
            Some(&self.token),
            Some(json!({"type": kind, "otp": otp})),
        )
        .await
    }

    /// Both contact codes, as received.
    pub async fn verify_contacts(&self, api: &RegistrationApi, moto: &Moto) -> Reply {
        let code = moto.latest_email_code(&self.email).await;
        let reply = self.validate(api, "email", &code).await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
        let code = moto.latest_sms_code(&self.e164).await;
        let reply = self.validate(api, "phone", &code).await;
        assert_eq!(reply.status, 200, "{}", reply.raw);
        reply
    }

    pub async fn basic_information(&self, api: &RegistrationApi) -> Reply {
        api.call(
            Endpoint::Information,
            Some(&self.id),
            Some(&self.token),
            Some(json!({"step": "basicInformation", "data": {
                "firstName": "Ana", "lastName": "Lopez", "dateOfBirth": "1990-04-01"
            }})),
        )
        .await
    }

    /// A verifier's result, reported with the client's API key.
    pub async fn result(
        &self,
        api: &RegistrationApi,
        api_key: &str,
        step: &str,
        status: &str,
    ) -> Reply {
        api.call(
            Endpoint::Results,
            Some(&self.id),
            Some(api_key),
            Some(json!({"step": step, "status": status, "verifier": "acme-kyc", "reason": if status == "failed" { "blurry image" } else { "ok" }})),
        )
        .await
    }

    /// Whether the registration's access-control log holds `event`.
    pub async fn has_logged(&self, api: &RegistrationApi, api_key: &str, event: &str) -> bool {
        let stored = api
            .get(api_key, &self.id, "populates[]=accessControlLog")
            .await;
        stored.body["data"]["accessControlLog"]
            .as_array()
            .unwrap_or_else(|| panic!("no access log in {}", stored.raw))
            .iter()
            .any(|e| e["event"] == event)
    }

    /// An operator's decision on a held registration.
    pub async fn review(&self, api: &RegistrationApi, bearer: &str, decision: &str) -> Reply {
        api.call(
            Endpoint::Review,
            Some(&self.id),
            Some(bearer),
            Some(json!({"decision": decision, "reviewer": "ops:maria", "reason": "documents checked by hand"})),
        )
        .await
    }

    pub async fn sync(&self, api: &RegistrationApi, bearer: &str, body: Option<Value>) -> Reply {
        api.call(Endpoint::Sync, Some(&self.id), Some(bearer), body)
            .await
    }

    /// Contacts, basic information, document and liveness all pass.
    pub async fn complete(&self, api: &RegistrationApi, moto: &Moto, api_key: &str) -> Reply {
        self.verify_contacts(api, moto).await;
        assert_eq!(self.basic_information(api).await.status, 200);
        assert_eq!(
            self.result(api, api_key, "document", "passed").await.status,
            200
        );
        assert_eq!(
            self.result(api, api_key, "liveness", "passed").await.status,
            200
        );
        self.sync(api, &self.token, None).await
    }
}
