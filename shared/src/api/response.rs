use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

pub fn json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response<Body> {
    let text = serde_json::to_string(body)
        .unwrap_or_else(|_| r#"{"code":"internal_error","message":"internal error"}"#.into());
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    strict_transport(headers);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    response
}

/// HSTS: browsers reach this host over HTTPS only, for a year. Every
/// answer carries it: JSON, pages, assets, preflights and refusals.
pub fn strict_transport(headers: &mut header::HeaderMap) {
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        header::HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    );
}

/// `{"data": ...}`
pub fn data<T: Serialize>(status: StatusCode, value: T) -> Response<Body> {
    json(status, &serde_json::json!({ "data": value }))
}

/// For answers to end users: a code the security lists withheld reads as
/// sent, exactly like any other (docs/limits.md "No enumeration").
pub fn conceal_withheld(mut view: serde_json::Value) -> serde_json::Value {
    for field in ["emailValidation", "phoneValidation"] {
        if let Some(status) = view
            .get_mut(field)
            .and_then(|v| v.get_mut("deliveryStatus"))
        {
            if status == "withheld" {
                *status = serde_json::Value::from("sent");
            }
        }
    }
    view
}

/// A login as its end user may read it: withheld codes read as sent, and
/// the face check shows pass or fail with user-safe codes only; no score,
/// no internal reason, no face id.
pub fn end_user_login(view: serde_json::Value) -> serde_json::Value {
    let mut view = conceal_withheld(view);
    if let Some(face) = view
        .get_mut("biometricValidation")
        .and_then(|v| v.as_object_mut())
    {
        face.remove("scores");
        face.remove("faceIds");
        for check in ["liveness", "match"] {
            if let Some(check) = face.get_mut(check).and_then(|c| c.as_object_mut()) {
                check.remove("internalReasonCodes");
            }
        }
    }
    view
}

/// What the answer to a verified code adds to the login: the token once the
/// login is validated; the face-step token and a `message` when the face is
/// still owed (Verifik's front end reads a truthy `message` as "second
/// factor needed", so a plain success never carries one).
pub fn code_verified(
    mut answer: serde_json::Value,
    token: Option<&str>,
    face_token: Option<&str>,
    recommends_face: bool,
) -> serde_json::Value {
    answer["token"] = serde_json::json!(token);
    answer["showFaceLivenessRecommendation"] = serde_json::json!(recommends_face);
    if let Some(face_token) = face_token {
        answer["faceToken"] = serde_json::json!(face_token);
        answer["message"] = serde_json::json!("biometric_verification_required");
    }
    answer
}

/// Renders a record the way Verifik does: each validation not asked for in
/// `populates[]` shows as its id, and the access-control log only when
/// asked for. `hidden` fields never show.
pub fn populated_view(
    record: &impl Serialize,
    populates: &std::collections::BTreeSet<crate::ports::Populate>,
    validations: &[(crate::ports::Populate, &str)],
    hidden: &[&str],
) -> serde_json::Value {
    let mut value = serde_json::to_value(record).unwrap_or(serde_json::Value::Null);
    let Some(object) = value.as_object_mut() else {
        return value;
    };
    for field in hidden {
        object.remove(*field);
    }
    for (populate, field) in validations {
        if !populates.contains(populate) {
            let id = object.get(*field).and_then(|v| v.get("_id")).cloned();
            object.insert((*field).into(), id.unwrap_or(serde_json::Value::Null));
        }
    }
    if !populates.contains(&crate::ports::Populate::AccessControlLog) {
        object.remove("accessControlLog");
    }
    value
}

/// One identity check as the enrollee may read it: the outcome, the
/// user-safe codes and whether to retry; never a score or an internal code.
pub fn enrollee_check(full: &serde_json::Value) -> serde_json::Value {
    let mut safe = serde_json::Map::new();
    for key in ["step", "status", "reasonCodes", "retryable", "checkedAt"] {
        if let Some(value) = full.get(key) {
            safe.insert(key.into(), value.clone());
        }
    }
    serde_json::Value::Object(safe)
}

/// What the enrollee may read of `identityVerification`: the checks'
/// outcomes only.
pub fn enrollee_identity(view: &mut serde_json::Value) {
    let Some(object) = view.as_object_mut() else {
        return;
    };
    let Some(identity) = object.remove("identityVerification") else {
        return;
    };
    let checks: Vec<serde_json::Value> = identity
        .get("checks")
        .and_then(serde_json::Value::as_array)
        .map(|checks| checks.iter().map(enrollee_check).collect())
        .unwrap_or_default();
    object.insert(
        "identityVerification".into(),
        serde_json::json!({ "checks": checks }),
    );
}
