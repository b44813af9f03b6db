//! Identity verification endpoints (Verifik's paths): the document, the
//! liveness session and its check, and the tenant's redaction.
//!
//! The enrollee (its token) or the client's backend (API key, naming the
//! registration with `appRegistrationId`) may submit; only the tenant reads
//! scores, internal reason codes and the document's fields. No image, crop
//! or score is ever part of an enrollee's answer or of a log line.

use super::app_registrations::{registration_view, Reader};
use super::listing::path_id;
use super::request::{
    bearer, json_object_up_to, origin, reject_unknown_fields, Answer, Fields, Missing,
};
use super::response::{data, enrollee_check};
use crate::domain::identity::StepCheck;
use crate::domain::onboarding::StepName;
use crate::domain::Registration;
use crate::error::{Error, Result};
use crate::ports::{IdentityPorts, Populate};
use crate::service::registrations::{DocumentImages, MAX_IMAGE_BYTES};
use crate::service::{Caller, IdentityChecks};
use crate::settings::IdentityConfig;
use base64::Engine;
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Lambda's synchronous payload limit: two images in base64 fit under it.
pub const MAX_IMAGE_BODY_BYTES: usize = 6 * 1024 * 1024;

/// The registration a call is about: the enrollee's own, or the one the
/// API key names.
fn registration_id(caller: &Caller, fields: &Fields) -> Result<String> {
    match caller {
        Caller::Enrollee(claims) => Ok(claims.sub.clone()),
        Caller::Client(_) => fields
            .string("appRegistrationId")?
            .map(|id| id.trim().to_string())
            .ok_or_else(|| Error::MissingParameters(vec!["appRegistrationId".into()])),
    }
}

/// Base64 image bytes, with or without a `data:image/...;base64,` prefix.
fn image_field(fields: &Fields, name: &'static str) -> Result<Option<Vec<u8>>> {
    let Some(text) = fields.long_string(name)? else {
        return Ok(None);
    };
    let encoded = match text.split_once(";base64,") {
        Some((prefix, rest)) if prefix.starts_with("data:") => rest,
        _ => text,
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| Error::invalid("invalid_image", format!("{name} is not valid base64")))?;
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(Error::TooLarge {
            code: "image_too_large",
            message: format!("{name} is larger than 5 MB"),
        });
    }
    Ok(Some(bytes))
}

/// A check as its reader may see it: the enrollee gets the outcome, the
/// user-safe codes and whether to retry; the tenant everything.
fn check_view(check: &StepCheck, reader: Reader) -> Value {
    let full = serde_json::to_value(check).unwrap_or(Value::Null);
    match reader {
        Reader::Tenant => full,
        Reader::Enrollee => enrollee_check(&full),
    }
}

/// A check's answer: the registration after it, and the check, each as the
/// caller may read them.
fn checked(
    caller: &Caller,
    registration: &Registration,
    key: &str,
    check: &StepCheck,
) -> lambda_http::Response<lambda_http::Body> {
    let reader = Reader::of(caller);
    data(
        StatusCode::OK,
        json!({
            "appRegistration": registration_view(registration, &validations(), reader),
            key: check_view(check, reader),
        }),
    )
}

fn validations() -> BTreeSet<Populate> {
    [Populate::EmailValidation, Populate::PhoneValidation].into()
}

/// `POST /v2/document-validations/app-registration`
pub async fn document<P: IdentityPorts>(checks: &IdentityChecks<P>, req: Request) -> Answer {
    let caller = checks.registrations().caller(bearer(&req)).await?;
    let body = json_object_up_to(&req, MAX_IMAGE_BODY_BYTES)?;
    reject_unknown_fields(&body, &["image", "backImage", "appRegistrationId"])?;
    let fields = Fields::new(&body);
    let id = registration_id(&caller, &fields)?;
    let origin = origin(&req);
    let images = match document_images(&fields) {
        Ok(images) => images,
        Err(error @ Error::MissingParameters(_)) => return Err(error),
        Err(error) => {
            return Err(checks
                .refused_upload(&caller, &id, StepName::Document, error, &origin)
                .await)
        }
    };
    let (registration, check) = checks.check_document(&caller, &id, images, &origin).await?;
    Ok(checked(
        &caller,
        &registration,
        "documentValidation",
        &check,
    ))
}

fn document_images(fields: &Fields) -> Result<DocumentImages> {
    let mut missing = Missing::default();
    let front = missing.require("image", image_field(fields, "image")?);
    missing.check()?;
    Ok(DocumentImages {
        front: front.unwrap_or_default(),
        back: image_field(fields, "backImage")?,
    })
}

/// `POST /v2/biometric-validations/app-registration/session`
pub async fn liveness_session<P: IdentityPorts>(
    checks: &IdentityChecks<P>,
    config: &IdentityConfig,
    req: Request,
) -> Answer {
    let caller = checks.registrations().caller(bearer(&req)).await?;
    let body = super::request::optional_json_object(&req)?;
    reject_unknown_fields(&body, &["appRegistrationId"])?;
    let id = registration_id(&caller, &Fields::new(&body))?;
    let started = checks.start_liveness(&caller, &id, &origin(&req)).await?;
    Ok(data(
        StatusCode::CREATED,
        json!({
            "sessionId": started.session_id,
            "expiresAt": started.expires_at,
            // What Amplify's FaceLivenessDetector needs: the region, and the
            // identity pool whose guest role may only start this session.
            "region": config.region,
            "identityPoolId": config.liveness_identity_pool,
        }),
    ))
}

/// `POST /v2/biometric-validations/app-registration`: `{sessionId}`.
/// Verifik's `{image, os}` is one still frame, which proves no liveness: it
/// gets a 400 naming the session flow, unless the flow sends such
/// registrations to manual review (`stillFrame: manualReview`).
pub async fn liveness<P: IdentityPorts>(checks: &IdentityChecks<P>, req: Request) -> Answer {
    let caller = checks.registrations().caller(bearer(&req)).await?;
    let body = json_object_up_to(&req, MAX_IMAGE_BODY_BYTES)?;
    let fields = Fields::new(&body);
    if body.contains_key("image") && !body.contains_key("sessionId") {
        // Refused unless the flow sends such registrations to a person.
        reject_unknown_fields(&body, &["image", "os", "appRegistrationId"])?;
        let id = registration_id(&caller, &fields)?;
        let origin = origin(&req);
        // A frame that is no image is judged after the flow's setting:
        // where still frames are refused, it spends nothing either.
        let frame = match image_field(&fields, "image") {
            Ok(Some(frame)) => Ok(frame),
            Ok(None) => return Err(Error::MissingParameters(vec!["image".into()])),
            Err(error) => Err(error),
        };
        let (registration, check) = checks
            .check_still_frame(&caller, &id, frame, &origin)
            .await?;
        return Ok(checked(
            &caller,
            &registration,
            "biometricValidation",
            &check,
        ));
    }
    reject_unknown_fields(&body, &["sessionId", "appRegistrationId"])?;
    let mut missing = Missing::default();
    let session_id = missing.require("sessionId", fields.clipped("sessionId", 64)?);
    missing.check()?;
    let session_id = session_id.unwrap_or_default();
    let id = registration_id(&caller, &fields)?;
    let (registration, check) = checks
        .check_liveness(&caller, &id, &session_id, &origin(&req))
        .await?;
    Ok(checked(
        &caller,
        &registration,
        "biometricValidation",
        &check,
    ))
}

/// `POST /v2/face-recognition/compare/app-registration`: the decision only.
pub async fn compare<P: IdentityPorts>(checks: &IdentityChecks<P>, req: Request) -> Answer {
    let caller = checks.registrations().caller(bearer(&req)).await?;
    let body = super::request::optional_json_object(&req)?;
    reject_unknown_fields(&body, &["appRegistrationId"])?;
    let id = registration_id(&caller, &Fields::new(&body))?;
    let decision = checks.face_decision(&caller, &id).await?;
    Ok(data(StatusCode::OK, json!({ "decision": decision })))
}

/// `DELETE /v2/app-registrations/{id}/biometrics` (API key)
pub async fn redact<P: IdentityPorts>(checks: &IdentityChecks<P>, req: Request) -> Answer {
    let caller = checks.registrations().caller(bearer(&req)).await?;
    let registration = checks
        .redact(&caller, &path_id(&req), &origin(&req))
        .await?;
    Ok(data(
        StatusCode::OK,
        json!({ "appRegistration": registration_view(&registration, &validations(), Reader::of(&caller)) }),
    ))
}
