use super::*;
use time::macros::date;

fn face(confidence: f32) -> DetectedFace {
    DetectedFace {
        left: 0.1,
        top: 0.1,
        width: 0.2,
        height: 0.2,
        confidence,
    }
}

fn zone(expiry: Date, birth: Date) -> Result<ReadDocument, ReadFailure> {
    Ok(ReadDocument {
        kind: "passport",
        issuing_country: "USA".into(),
        surname: "COLLINS".into(),
        given_names: "EILEEN".into(),
        document_number: "X12345678".into(),
        nationality: "USA".into(),
        birth_date: birth,
        sex: Some('F'),
        expiry_date: expiry,
    })
}

const TODAY: Date = date!(2026 - 11 - 27);

#[test]
fn a_valid_document_with_one_face_passes() {
    let reasons = judge_document(
        &zone(date!(2030 - 01 - 01), date!(1956 - 11 - 19)),
        &[face(99.0), face(60.0)],
        &IdentitySettings::default(),
        TODAY,
    );
    assert!(reasons.is_empty(), "{reasons:?}");
}

#[test]
fn expiry_is_checked_to_the_day() {
    let settings = IdentitySettings::default();
    let birth = date!(1990 - 01 - 01);
    assert!(judge_document(&zone(TODAY, birth), &[face(99.0)], &settings, TODAY).is_empty());
    assert_eq!(
        judge_document(
            &zone(date!(2026 - 11 - 26), birth),
            &[face(99.0)],
            &settings,
            TODAY
        ),
        vec![Reason::DocumentExpired]
    );
}

#[test]
fn minimum_age_counts_whole_years() {
    let settings = IdentitySettings {
        minimum_age: Some(18),
        ..Default::default()
    };
    let expiry = date!(2030 - 01 - 01);
    let eighteen_today = date!(2008 - 11 - 27);
    let eighteen_tomorrow = date!(2008 - 11 - 28);
    assert!(judge_document(
        &zone(expiry, eighteen_today),
        &[face(99.0)],
        &settings,
        TODAY
    )
    .is_empty());
    assert_eq!(
        judge_document(
            &zone(expiry, eighteen_tomorrow),
            &[face(99.0)],
            &settings,
            TODAY
        ),
        vec![Reason::Underage]
    );
}

#[test]
fn faces_are_counted_by_usable_quality() {
    let settings = IdentitySettings::default();
    let ok = zone(date!(2030 - 01 - 01), date!(1990 - 01 - 01));
    assert_eq!(
        judge_document(&ok, &[], &settings, TODAY),
        vec![Reason::NoFace]
    );
    assert_eq!(
        judge_document(&ok, &[face(89.9)], &settings, TODAY),
        vec![Reason::NoFace]
    );
    assert_eq!(
        judge_document(&ok, &[face(95.0), face(92.0)], &settings, TODAY),
        vec![Reason::MultipleFaces]
    );
}

#[test]
fn thresholds_hold_on_both_sides() {
    let settings = IdentitySettings::default();
    let one = [face(99.0)];
    assert!(judge_face(Some(80.0), &one, Some(90.0), &settings).is_empty());
    assert_eq!(
        judge_face(Some(79.9), &one, Some(90.0), &settings),
        vec![Reason::LivenessBelowThreshold]
    );
    assert_eq!(
        judge_face(Some(99.0), &one, Some(89.9), &settings),
        vec![Reason::FaceMismatch]
    );
    assert_eq!(
        judge_face(None, &one, None, &settings),
        vec![Reason::LivenessNotCompleted]
    );
}

#[test]
fn the_enrollee_sees_user_safe_codes_once() {
    let check = StepCheck::new(
        StepName::Document,
        &[Reason::MrzCheckDigit, Reason::DocumentNumberMissing],
        2,
        Timestamp::now(),
    );
    assert_eq!(check.reason_codes, vec!["document_unreadable"]);
    assert_eq!(
        check.internal_reason_codes,
        vec!["mrz_check_digit", "document_number_missing"]
    );
    assert!(check.retryable);
    let expired = StepCheck::new(
        StepName::Document,
        &[Reason::DocumentExpired],
        2,
        Timestamp::now(),
    );
    assert!(!expired.retryable, "a retake cannot renew a document");
    let last = StepCheck::new(
        StepName::Liveness,
        &[Reason::FaceMismatch],
        0,
        Timestamp::now(),
    );
    assert!(!last.retryable, "no attempts left");
}

#[test]
fn document_numbers_are_masked() {
    assert_eq!(mask_document_number("X12345678"), "*****5678");
    assert_eq!(mask_document_number("123"), "123");
}

#[test]
fn face_users_name_no_contact() {
    let id = face_user_id("client", "ana@example.com");
    assert!(id.starts_with("u-") && id.len() == 42);
    assert!(!id.contains("example"));
    assert_ne!(id, face_user_id("other", "ana@example.com"));
}
