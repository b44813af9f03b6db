//! Analytics from counters, checked against a known set of registrations.

use gatehouse::domain::OnboardingSettings;
use gatehouse::domain::Timestamp;
use gatehouse_tests::api::ShiftedClock;
use gatehouse_tests::{Enrollment, Moto, RegistrationApi, Tenant};
use serde_json::Value;
use std::sync::Arc;

fn funnel<'a>(report: &'a Value, step: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == step)
        .unwrap_or_else(|| panic!("no {step} in {report}"))
}

#[tokio::test]
async fn analytics_count_statuses_funnel_and_time_to_complete() {
    let tenant = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let api = RegistrationApi::new().await;
    let moto = Moto::new();

    // One completes, one fails its document three times, one stops after
    // verifying its contacts.
    let done = Enrollment::start(&api, &tenant).await;
    let completed = done.complete(&api, &moto, &tenant.api_key).await;
    assert_eq!(
        completed.body["data"]["appRegistration"]["status"],
        "COMPLETED"
    );

    let failing = Enrollment::start(&api, &tenant).await;
    failing.verify_contacts(&api, &moto).await;
    failing.basic_information(&api).await;
    for _ in 0..3 {
        failing
            .result(&api, &tenant.api_key, "document", "failed")
            .await;
    }
    let stuck = Enrollment::start(&api, &tenant).await;
    stuck.verify_contacts(&api, &moto).await;

    let today = &Timestamp::now().to_string()[..10];
    let query = format!("projectFlow={}&from={today}&to={today}", tenant.flow);
    let reply = api.analytics(&tenant.api_key, &query).await;
    assert_eq!(reply.status, 200, "{}", reply.raw);
    let report = &reply.body["data"]["analytics"];
    assert_eq!(report["total"], 3, "{report}");
    assert_eq!(report["byStatus"]["COMPLETED"], 1);
    assert_eq!(report["byStatus"]["FAILED"], 1);
    assert_eq!(report["byStatus"]["ONGOING"], 1);
    assert_eq!(report["byStatus"]["STARTED"], 0);
    assert_eq!(report["byStatus"]["EXPIRED"], 0);
    let rate = report["successRate"].as_f64().unwrap();
    assert!((rate - 1.0 / 3.0).abs() < 1e-9, "{rate}");

    let sign_up = funnel(report, "signUpForm");
    assert_eq!(
        (sign_up["reached"].clone(), sign_up["passed"].clone()),
        (3.into(), 3.into())
    );
    let basic = funnel(report, "basicInformation");
    assert_eq!(basic["reached"], 3);
    assert_eq!(basic["passed"], 2);
    assert_eq!(basic["inProgress"], 1);
    let document = funnel(report, "document");
    assert_eq!(document["reached"], 2);
    assert_eq!(document["passed"], 1);
    assert_eq!(document["failed"], 1);
    assert_eq!(document["inProgress"], 0);
    let liveness = funnel(report, "liveness");
    assert_eq!(liveness["reached"], 1);
    assert_eq!(liveness["passed"], 1);
    assert_eq!(report["bottleneck"], "document");
    // One completion, well under a minute: the middle of the first bucket.
    assert_eq!(report["medianSecondsToComplete"], 30);

    // Days later the cohort is closed: the straggler counts as expired,
    // dropped off where it stood, though nobody synced it.
    let later = RegistrationApi::with_clock(Arc::new(ShiftedClock(3 * 86_400))).await;
    let reply = later.analytics(&tenant.api_key, &query).await;
    let report = &reply.body["data"]["analytics"];
    assert_eq!(report["byStatus"]["EXPIRED"], 1, "{report}");
    assert_eq!(report["byStatus"]["ONGOING"], 0);
    assert_eq!(funnel(report, "basicInformation")["droppedOff"], 1);
    assert_eq!(funnel(report, "basicInformation")["inProgress"], 0);

    // Syncing it after expiry moves the stored counters the same way.
    let synced = stuck.sync(&later, &tenant.api_key, None).await;
    assert_eq!(synced.body["data"]["appRegistration"]["status"], "EXPIRED");
    let reply = api.analytics(&tenant.api_key, &query).await;
    let report = &reply.body["data"]["analytics"];
    assert_eq!(report["byStatus"]["EXPIRED"], 1, "{report}");
    assert_eq!(report["byStatus"]["ONGOING"], 0);
    assert_eq!(funnel(report, "basicInformation")["droppedOff"], 1);

    // A range with no registrations is all zeros; another tenant sees nothing.
    let empty = api
        .analytics(
            &tenant.api_key,
            &format!("projectFlow={}&from=2020-01-01&to=2020-01-31", tenant.flow),
        )
        .await;
    assert_eq!(empty.body["data"]["analytics"]["total"], 0);
    assert!(empty.body["data"]["analytics"]["successRate"].is_null());
    let other = Tenant::onboarding(OnboardingSettings::default())
        .create()
        .await;
    let cross = api.analytics(&other.api_key, &query).await;
    assert_eq!(cross.status, 404, "{}", cross.raw);
}
