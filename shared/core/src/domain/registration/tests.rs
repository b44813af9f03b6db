use super::analytics::delta;
use super::*;
use crate::domain::flow::{FlowStatus, FlowType, LoginSettings, OnboardingSettings};
use crate::domain::onboarding::ManualVerification;

fn flow(settings: OnboardingSettings) -> ProjectFlow {
    let now = Timestamp::now();
    ProjectFlow {
        id: "flow".into(),
        client: "client".into(),
        project: "project".into(),
        name: "onboarding".into(),
        flow_type: FlowType::Onboarding,
        status: FlowStatus::Active,
        redirect_url: None,
        redirect_mode: Default::default(),
        allowed_countries: vec![],
        login_settings: LoginSettings::default(),
        onboarding_settings: settings,
        security: Default::default(),
        webhook_url: None,
        webhook_secret: None,
        created_at: now,
        updated_at: now,
        archived_at: None,
    }
}

fn enrollee() -> Enrollee {
    Enrollee {
        email: Some(Email::parse("ana@example.com").unwrap()),
        phone: None,
        first_name: Some("Ana".into()),
        last_name: Some("Lopez".into()),
        full_name: None,
        language: "en".into(),
    }
}

fn pass(r: &mut Registration, step: StepName, now: Timestamp) {
    r.apply_result(
        &NewResult {
            step,
            status: ResultStatus::Passed,
            verifier: "acme-kyc".into(),
            reason: None,
            reference: None,
            document_name: None,
        },
        "client:c",
        now,
    );
}

fn fail(r: &mut Registration, step: StepName, now: Timestamp) {
    r.apply_result(
        &NewResult {
            step,
            status: ResultStatus::Failed,
            verifier: "acme-kyc".into(),
            reason: Some("blurry".into()),
            reference: None,
            document_name: None,
        },
        "client:c",
        now,
    );
}

fn set_step(r: &mut Registration, step: StepName, status: StepStatus) {
    r.step_mut(step).unwrap().status = status;
}

#[test]
fn status_follows_the_mandatory_steps() {
    let f = flow(OnboardingSettings::default());
    let now = Timestamp::now();
    let mut r = Registration::start(&f, &enrollee(), "s".into(), &RequestOrigin::default(), now);
    assert_eq!(r.status, RegistrationStatus::Started);
    assert_eq!(r.current_step, Some(StepName::SignUpForm));
    assert_eq!(r.full_name.as_deref(), Some("Ana Lopez"));

    set_step(&mut r, StepName::SignUpForm, StepStatus::Passed);
    r.recompute(&f, now);
    assert_eq!(r.status, RegistrationStatus::Ongoing);
    assert_eq!(r.current_step, Some(StepName::BasicInformation));

    r.submit_information(StepName::BasicInformation, Default::default(), now);
    pass(&mut r, StepName::Document, now);
    r.recompute(&f, now);
    assert_eq!(r.status, RegistrationStatus::Ongoing);
    pass(&mut r, StepName::Liveness, now);
    r.recompute(&f, now);
    assert_eq!(r.status, RegistrationStatus::Completed);
    assert_eq!(r.completed_at, Some(now));
    assert_eq!(r.current_step, None);

    // Final statuses never move, whatever arrives later.
    fail(&mut r, StepName::Liveness, now);
    r.recompute(&f, now.plus_seconds(10 * 86_400));
    assert_eq!(r.status, RegistrationStatus::Completed);
    assert!(r
        .red_flags
        .iter()
        .any(|f| f.code == RedFlagCode::ResultContradiction));
}

#[test]
fn a_mandatory_step_fails_only_after_its_attempts() {
    let f = flow(OnboardingSettings {
        max_attempts: 2,
        ..Default::default()
    });
    let now = Timestamp::now();
    let mut r = Registration::start(&f, &enrollee(), "s".into(), &RequestOrigin::default(), now);
    fail(&mut r, StepName::Document, now);
    r.recompute(&f, now);
    assert_eq!(r.status, RegistrationStatus::Ongoing);
    assert_eq!(
        r.step(StepName::Document).unwrap().status,
        StepStatus::Pending
    );
    fail(&mut r, StepName::Document, now);
    r.recompute(&f, now);
    assert_eq!(r.status, RegistrationStatus::Failed);
    assert_eq!(r.failed_validations.len(), 2);
    // A pass after failing for good does not revive the step.
    pass(&mut r, StepName::Document, now);
    assert_eq!(
        r.step(StepName::Document).unwrap().status,
        StepStatus::Failed
    );
}

#[test]
fn optional_failures_do_not_fail_the_registration() {
    let mut settings = OnboardingSettings {
        max_attempts: 1,
        ..Default::default()
    };
    settings.steps.liveness = Requirement::Optional;
    let f = flow(settings);
    let now = Timestamp::now();
    let mut r = Registration::start(&f, &enrollee(), "s".into(), &RequestOrigin::default(), now);
    fail(&mut r, StepName::Liveness, now);
    r.recompute(&f, now);
    assert_eq!(r.status, RegistrationStatus::Ongoing);
}

/// A flow of contacts and basic information only, and a registration on it.
fn without_identity_steps(manual: ManualVerification) -> (ProjectFlow, Registration, Timestamp) {
    let mut settings = OnboardingSettings {
        manual_verification: manual,
        ..Default::default()
    };
    settings.steps.document = Requirement::Skip;
    settings.steps.liveness = Requirement::Skip;
    let f = flow(settings);
    let now = Timestamp::now();
    let r = Registration::start(&f, &enrollee(), "s".into(), &RequestOrigin::default(), now);
    (f, r, now)
}

#[test]
fn expiry_and_manual_verification() {
    let (f, mut r, now) = without_identity_steps(ManualVerification::OnRedFlags);
    let mut late = r.clone();
    assert!(late.recompute(&f, now.plus_seconds(86_400 + 1)));
    assert_eq!(late.status, RegistrationStatus::Expired);

    r.flag(RedFlagCode::IpVelocity, "many", now);
    set_step(&mut r, StepName::SignUpForm, StepStatus::Passed);
    r.submit_information(StepName::BasicInformation, Default::default(), now);
    r.recompute(&f, now);
    assert_eq!(r.status, RegistrationStatus::NeedsManualVerification);
    assert!(r.completed_at.is_none());

    // An approval completes it, and the counters move it from held to
    // completed with a time to complete; it cannot be decided twice, and
    // nothing recomputes it away, even after its lifetime.
    let held = r.clone();
    let decided_at = now.plus_seconds(90);
    let review = |decision| ManualReview {
        decision,
        reviewer: "ops".into(),
        reported_by: "client:c".into(),
        reason: None,
        decided_at,
    };
    assert!(r.settle_review(review(ReviewDecision::Approve)));
    assert_eq!(r.status, RegistrationStatus::Completed);
    assert_eq!(r.completed_at, Some(decided_at));
    let d = delta(Some(&held), &r);
    assert_eq!(d.get("status_NEEDS_MANUAL_VERIFICATION"), Some(&-1));
    assert_eq!(d.get("status_COMPLETED"), Some(&1));
    assert_eq!(d.get("ttc_120"), Some(&1));
    assert!(!r.settle_review(review(ReviewDecision::Reject)));
    assert!(!r.recompute(&f, now.plus_seconds(10 * 86_400)));
    assert_eq!(r.status, RegistrationStatus::Completed);

    let mut rejected = held.clone();
    assert!(rejected.settle_review(review(ReviewDecision::Reject)));
    assert_eq!(rejected.status, RegistrationStatus::Failed);
    assert!(!delta(Some(&held), &rejected)
        .keys()
        .any(|k| k.starts_with("ttc_")));
    let mut active =
        Registration::start(&f, &enrollee(), "s".into(), &RequestOrigin::default(), now);
    assert!(!active.settle_review(review(ReviewDecision::Approve)));
    assert_eq!(active.status, RegistrationStatus::Started);
}

#[test]
fn name_mismatch_raises_a_flag() {
    let f = flow(OnboardingSettings::default());
    let now = Timestamp::now();
    let mut r = Registration::start(&f, &enrollee(), "s".into(), &RequestOrigin::default(), now);
    r.apply_result(
        &NewResult {
            step: StepName::Document,
            status: ResultStatus::Passed,
            verifier: "v".into(),
            reason: None,
            reference: None,
            document_name: Some("LOPEZ GARCIA, ANA MARIA".into()),
        },
        "client:c",
        now,
    );
    assert!(r.red_flags.is_empty());
    r.apply_result(
        &NewResult {
            step: StepName::Document,
            status: ResultStatus::Passed,
            verifier: "v".into(),
            reason: None,
            reference: None,
            document_name: Some("John Smith".into()),
        },
        "client:c",
        now,
    );
    assert_eq!(r.red_flags[0].code, RedFlagCode::NameMismatch);
}

#[test]
fn deltas_sum_to_the_current_state() {
    let f = flow(OnboardingSettings::default());
    let now = Timestamp::now();
    let mut r = Registration::start(&f, &enrollee(), "s".into(), &RequestOrigin::default(), now);
    let mut total = delta(None, &r);
    let mut apply = |before: &Registration, after: &Registration| {
        for (k, v) in delta(Some(before), after) {
            *total.entry(k).or_insert(0) += v;
        }
        total.clone()
    };
    let before = r.clone();
    set_step(&mut r, StepName::SignUpForm, StepStatus::Passed);
    r.recompute(&f, now.plus_seconds(30));
    apply(&before, &r);
    let before = r.clone();
    r.submit_information(StepName::BasicInformation, Default::default(), now);
    pass(&mut r, StepName::Document, now);
    pass(&mut r, StepName::Liveness, now);
    r.recompute(&f, now.plus_seconds(400));
    let total = apply(&before, &r);
    assert_eq!(total["started"], 1);
    assert_eq!(total["status_COMPLETED"], 1);
    assert_eq!(total.get("status_STARTED").copied().unwrap_or(0), 0);
    assert_eq!(total.get("status_ONGOING").copied().unwrap_or(0), 0);
    assert_eq!(total["passed_document"], 1);
    assert_eq!(total["reached_liveness"], 1);
    assert_eq!(total.get("current_liveness").copied().unwrap_or(0), 0);
    assert_eq!(total["ttc_600"], 1);

    let report = AnalyticsReport::from_days(
        &[DayCounters {
            day: r.cohort_day(),
            counters: total,
        }],
        86_400,
        now,
    );
    assert_eq!(report.total, 1);
    assert_eq!(report.success_rate, Some(1.0));
    assert_eq!(report.median_seconds_to_complete, Some(450));
}

#[test]
fn closed_cohorts_count_stragglers_as_dropped_off() {
    let counters: BTreeMap<String, i64> = [
        ("started", 3),
        ("status_ONGOING", 2),
        ("status_COMPLETED", 1),
        ("current_document", 2),
        ("reached_document", 3),
        ("passed_document", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let day = DayCounters {
        day: "2026-01-01".into(),
        counters,
    };
    let now = Timestamp::parse("2026-01-10T00:00:00Z").unwrap();
    let report = AnalyticsReport::from_days(std::slice::from_ref(&day), 86_400, now);
    assert_eq!(report.by_status[&RegistrationStatus::Expired], 2);
    assert_eq!(report.by_status[&RegistrationStatus::Ongoing], 0);
    let document = report
        .steps
        .iter()
        .find(|s| s.step == StepName::Document)
        .unwrap();
    assert_eq!(document.dropped_off, 2);
    assert_eq!(report.bottleneck, Some(StepName::Document));
    // While the cohort is open, they are still in progress.
    let early = Timestamp::parse("2026-01-01T12:00:00Z").unwrap();
    let report = AnalyticsReport::from_days(&[day], 86_400, early);
    assert_eq!(report.by_status[&RegistrationStatus::Ongoing], 2);
}

use std::collections::BTreeMap;

#[test]
fn an_unproven_liveness_waits_for_a_person_whatever_the_flow_says() {
    let (f, mut r, now) = without_identity_steps(ManualVerification::Never);
    set_step(&mut r, StepName::SignUpForm, StepStatus::Passed);
    r.submit_information(StepName::BasicInformation, Default::default(), now);
    let mut flagged = r.clone();
    r.flag(RedFlagCode::IpVelocity, "many", now);
    r.recompute(&f, now);
    assert_eq!(
        r.status,
        RegistrationStatus::Completed,
        "other flags follow the flow"
    );
    flagged.flag(RedFlagCode::LivenessNotProven, "a still frame", now);
    flagged.recompute(&f, now);
    assert_eq!(flagged.status, RegistrationStatus::NeedsManualVerification);
}
