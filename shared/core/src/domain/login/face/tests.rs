use super::*;
use crate::domain::flow::{LoginSettings, ProjectFlow};
use crate::domain::login::LoginContacts;
use crate::domain::{Channel, Email};

fn face(confidence: f32) -> DetectedFace {
    DetectedFace {
        left: 0.2,
        top: 0.2,
        width: 0.5,
        height: 0.5,
        confidence,
    }
}

fn search(best: Option<(&str, f32)>, runner_up: Option<f32>) -> SearchResult {
    SearchResult {
        best: best.map(|(u, s)| (u.to_string(), s)),
        runner_up,
    }
}

fn internal(check: &FaceCheck) -> Vec<&str> {
    check
        .internal_reason_codes
        .iter()
        .map(String::as_str)
        .collect()
}

#[test]
fn liveness_needs_the_score_and_one_usable_face() {
    let settings = FaceLoginSettings::default();
    assert!(judge_liveness(Some(80.0), &[face(99.0)], &settings).passed_check());
    let low = judge_liveness(Some(79.9), &[face(99.0)], &settings);
    assert_eq!(internal(&low), ["liveness_below_threshold"]);
    assert_eq!(low.reason_codes, [LIVENESS_NOT_PROVEN]);
    assert_eq!(
        internal(&judge_liveness(None, &[face(99.0)], &settings)),
        ["liveness_not_completed"]
    );
    assert_eq!(
        internal(&judge_liveness(Some(99.0), &[face(50.0)], &settings)),
        ["no_face"]
    );
    assert_eq!(
        internal(&judge_liveness(
            Some(99.0),
            &[face(99.0), face(95.0)],
            &settings
        )),
        ["multiple_faces"]
    );
}

#[test]
fn a_login_match_is_the_enrolled_user_above_the_score_and_clear_of_the_next() {
    let settings = FaceLoginSettings::default();
    let judge = |s: SearchResult| judge_login_match(&s, "u-ana", true, &settings);
    assert!(judge(search(Some(("u-ana", 95.0)), None)).passed_check());
    assert!(judge(search(Some(("u-ana", 99.0)), Some(94.0))).passed_check());
    assert_eq!(
        internal(&judge(search(Some(("u-ana", 94.9)), None))),
        ["below_threshold"]
    );
    assert_eq!(
        internal(&judge(search(Some(("u-ana", 99.0)), Some(94.1)))),
        ["ambiguous"]
    );
    assert_eq!(
        internal(&judge(search(Some(("u-bob", 99.0)), None))),
        ["other_user"]
    );
    assert_eq!(internal(&judge(search(None, None))), ["no_match"]);
    let refused = judge_login_match(
        &search(Some(("u-ana", 99.0)), None),
        "u-ana",
        false,
        &settings,
    );
    assert_eq!(internal(&refused), ["identifier_refused"]);
    assert_eq!(refused.reason_codes, [FACE_NOT_RECOGNIZED]);
    // Every failure tells the user the same thing.
    for failed in [
        judge(search(None, None)),
        judge(search(Some(("u-bob", 99.0)), None)),
        judge(search(Some(("u-ana", 99.0)), Some(98.0))),
    ] {
        assert_eq!(failed.reason_codes, [FACE_NOT_RECOGNIZED]);
    }
}

#[test]
fn an_enrolment_is_refused_for_a_face_another_user_holds() {
    let settings = FaceLoginSettings::default();
    let judge = |s: SearchResult| judge_enrolment(&s, "u-ana", &settings);
    assert!(judge(search(None, None)).passed_check());
    assert!(judge(search(Some(("u-ana", 99.0)), Some(60.0))).passed_check());
    assert!(judge(search(Some(("u-bob", 94.0)), None)).passed_check());
    assert!(!judge(search(Some(("u-bob", 95.0)), None)).passed_check());
    assert!(!judge(search(Some(("u-ana", 99.0)), Some(97.0))).passed_check());
}

#[test]
fn face_liveness_reads_verifiks_switch_or_our_settings() {
    let read = |json: &str| -> LoginSettings { serde_json::from_str(json).unwrap() };
    assert_eq!(read(r#"{"faceLiveness": false}"#).face_liveness, None);
    assert_eq!(
        read(r#"{"faceLiveness": true}"#).face_liveness,
        Some(FaceLoginSettings::default())
    );
    let custom = read(r#"{"faceLiveness": {"searchMargin": 10}}"#).face_liveness;
    assert_eq!(custom.map(|f| f.search_margin), Some(10.0));
    let out_of_range = read(r#"{"faceLiveness": {"searchMinScore": 50}}"#);
    assert!(out_of_range.validate().is_err());
}

fn second_factor_flow() -> ProjectFlow {
    ProjectFlow::login_for_tests(LoginSettings {
        requires_2fa: true,
        face_liveness: Some(FaceLoginSettings::default()),
        ..LoginSettings::default()
    })
}

#[test]
fn a_second_factor_login_stays_pending_after_its_code_until_the_face_passes() {
    let now = Timestamp::now();
    let origin = RequestOrigin::default();
    let contacts = LoginContacts {
        email: Some(Email::parse("ana@example.com").unwrap()),
        phone: None,
    };
    let mut login = Login::start(&second_factor_flow(), "x".into(), &contacts, &origin, now);
    assert!(login.face_pending());
    let event = origin.event(AccessEventKind::ChannelValidated, Some(Channel::Email), now);
    let success = login.success(Channel::Email, event, now, now);
    assert!(!success.completes_login);
    login.apply_success(&success);
    assert_eq!(login.status, LoginStatus::Pending);
    assert_eq!(login.amr(), ["email"]);

    let verdict = FaceVerdict {
        liveness: FaceCheck::passed(),
        face_match: Some(FaceCheck::passed()),
        scores: FaceScores::default(),
    };
    login.apply_face(&verdict, &origin, now);
    assert_eq!(login.status, LoginStatus::Validated);
    assert_eq!(login.amr(), ["email", "face"]);
    let step = &login.steps[login.step_index(StepType::BiometricVerification).unwrap()];
    assert_eq!(step.status, StepStatus::Completed);
}

#[test]
fn a_failed_face_fails_a_sign_in_but_not_an_enrolment() {
    let now = Timestamp::now();
    let origin = RequestOrigin::default();
    let failed = FaceVerdict {
        liveness: judge_liveness(Some(10.0), &[face(99.0)], &FaceLoginSettings::default()),
        face_match: None,
        scores: FaceScores::default(),
    };
    let mut login = Login::start_face(
        &second_factor_flow(),
        "x".into(),
        "ana@example.com".into(),
        &origin,
        now,
    );
    login.apply_face(&failed, &origin, now);
    assert_eq!(login.status, LoginStatus::Failed);
    assert!(login.amr().is_empty());

    let mut signed_in = login.clone();
    signed_in.status = LoginStatus::Validated;
    signed_in.biometric_validation = Some(BiometricValidation::new(
        FacePurpose::Enrolment,
        "ana@example.com".into(),
        &origin,
        now,
    ));
    signed_in.apply_face(&failed, &origin, now);
    assert_eq!(signed_in.status, LoginStatus::Validated);
}

#[test]
fn the_guard_refuses_a_used_or_replaced_session() {
    let now = Timestamp::now();
    let origin = RequestOrigin::default();
    let mut login = Login::start_face(
        &second_factor_flow(),
        "x".into(),
        "ana@example.com".into(),
        &origin,
        now,
    );
    let start = FaceGuard {
        status: LoginStatus::Pending,
        session: SessionGuard::Replaces(None),
    };
    assert!(start.holds_on(&login));
    login
        .biometric_validation
        .as_mut()
        .unwrap()
        .bind("s1".into(), now);
    assert!(!start.holds_on(&login));
    let submit = FaceGuard {
        status: LoginStatus::Pending,
        session: SessionGuard::Uses("s1".into()),
    };
    assert!(submit.holds_on(&login));
    login.biometric_validation.as_mut().unwrap().used_at = Some(now);
    assert!(!submit.holds_on(&login));
    let face = login.biometric_validation.as_ref().unwrap();
    assert!(face.usable_session("s1", now).is_err());
    assert!(face.usable_session("s2", now).is_err());
}

#[test]
fn a_face_is_added_only_soon_after_the_code() {
    let now = Timestamp::now();
    let origin = RequestOrigin::default();
    let contacts = LoginContacts {
        email: Some(Email::parse("ana@example.com").unwrap()),
        phone: None,
    };
    let mut flow = second_factor_flow();
    flow.login_settings.requires_2fa = false;
    let mut login = Login::start(&flow, "x".into(), &contacts, &origin, now);
    assert!(!login.enrolment_open(now), "not before the code");
    let event = origin.event(AccessEventKind::ChannelValidated, Some(Channel::Email), now);
    login.apply_success(&login.success(Channel::Email, event, now, now));
    assert!(login.recommends_face());
    assert!(login.enrolment_open(now.plus_seconds(ENROLMENT_WINDOW_SECONDS)));
    assert!(!login.enrolment_open(now.plus_seconds(ENROLMENT_WINDOW_SECONDS + 1)));
}
