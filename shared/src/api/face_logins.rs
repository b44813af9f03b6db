//! Face login (Verifik's paths): `POST /v2/biometric-validations` starts a
//! face-first login, `/app-login` binds a session to an existing login
//! (the face after the codes, or a face added after a code login), and
//! `/validate` checks the session.
//!
//! Verifik's `/validate` takes `{image, os}`: one still frame, which proves
//! no liveness. Here it takes `{sessionId}`, and a still frame gets a 400
//! naming the session flow. The end user reads pass or fail with user-safe
//! codes; scores and internal reasons are for the tenant's API key.

use super::app_logins::login_view;
use super::listing::path_id;
use super::request::{
    bearer, json_object, json_object_up_to, language_field, optional_json_object, origin,
    reject_unknown_fields, Answer, Fields, Missing,
};
use super::response::{data, end_user_login};
use crate::domain::{Email, Phone};
use crate::error::{Error, Result};
use crate::ports::{Directory, IdentityPorts, Populate};
use crate::service::{Authenticator, FaceIdentifier, FaceLogins, StartFaceLogin, StartedFace};
use crate::settings::IdentityConfig;
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn validations() -> BTreeSet<Populate> {
    [
        Populate::EmailValidation,
        Populate::PhoneValidation,
        Populate::BiometricValidation,
    ]
    .into()
}

/// A started session, with what Amplify's FaceLivenessDetector needs.
fn started(started: &StartedFace, config: &IdentityConfig) -> Value {
    json!({
        "appLogin": end_user_login(login_view(&started.login, &validations())),
        "faceToken": started.face_token,
        "sessionId": started.session_id,
        "expiresAt": started.expires_at,
        "region": config.region,
        "identityPoolId": config.liveness_identity_pool,
    })
}

/// Verifik's `identifier` (an email, or an international phone), or our
/// `email` / `countryCode` + `phone`.
fn identifier(fields: &Fields) -> Result<FaceIdentifier> {
    if let Some(identifier) = fields.clipped("identifier", 254)? {
        return if identifier.contains('@') {
            Ok(FaceIdentifier::Email(Email::parse(&identifier)?))
        } else {
            Ok(FaceIdentifier::Phone(Phone::parse_international(
                &identifier,
            )?))
        };
    }
    if let Some(email) = fields.string("email")? {
        return Ok(FaceIdentifier::Email(Email::parse(&email)?));
    }
    match (fields.string("countryCode")?, fields.digits("phone")?) {
        (Some(cc), Some(number)) => Ok(FaceIdentifier::Phone(Phone::parse(&cc, &number)?)),
        _ => Err(Error::MissingParameters(vec![
            "identifier (or email, or countryCode+phone)".into(),
        ])),
    }
}

/// `POST /v2/biometric-validations` (public): `{identifier, projectFlow,
/// project?, type?: "login"}`.
pub async fn start<P: IdentityPorts>(
    faces: &FaceLogins<P>,
    config: &IdentityConfig,
    req: Request,
) -> Answer {
    let body = json_object(&req)?;
    reject_unknown_fields(
        &body,
        &[
            "identifier",
            "email",
            "countryCode",
            "phone",
            "project",
            "projectFlow",
            "type",
            "name",
            "language",
        ],
    )?;
    let fields = Fields::new(&body);
    let mut missing = Missing::default();
    let project_flow = missing.require("projectFlow", fields.string("projectFlow")?);
    missing.check()?;
    if let Some(kind) = fields.string("type")? {
        if kind != "login" {
            return Err(Error::invalid(
                crate::error::codes::INVALID_TYPE,
                "type must be login",
            ));
        }
    }
    let request = StartFaceLogin {
        project_flow: project_flow.unwrap_or_default(),
        project: fields.string("project")?,
        identifier: identifier(&fields)?,
        name: fields.clipped("name", 120)?,
        language: language_field(&fields)?,
    };
    let face = faces.start(request, &origin(&req)).await?;
    Ok(data(StatusCode::CREATED, started(&face, config)))
}

/// `POST /v2/biometric-validations/app-login` with a face-step token (the
/// face after the codes) or a sign-in token (add a face).
pub async fn start_for_login<P: IdentityPorts>(
    faces: &FaceLogins<P>,
    config: &IdentityConfig,
    req: Request,
) -> Answer {
    let caller = faces.caller(bearer(&req))?;
    let body = optional_json_object(&req)?;
    reject_unknown_fields(&body, &["type", "project", "projectFlow", "identifier"])?;
    let face = faces.start_for_login(&caller, &origin(&req)).await?;
    Ok(data(StatusCode::CREATED, started(&face, config)))
}

/// `POST /v2/biometric-validations/validate {sessionId}`
pub async fn validate<P: IdentityPorts>(faces: &FaceLogins<P>, req: Request) -> Answer {
    let caller = faces.caller(bearer(&req))?;
    // Large enough to read Verifik's still frame, and refuse it by name.
    let body = json_object_up_to(&req, super::identity::MAX_IMAGE_BODY_BYTES)?;
    if body.contains_key("image") && !body.contains_key("sessionId") {
        return Err(Error::invalid(
            "liveness_session_required",
            "a still image proves no liveness: start a session with POST \
             /v2/biometric-validations and submit its sessionId",
        ));
    }
    reject_unknown_fields(&body, &["sessionId", "os"])?;
    let fields = Fields::new(&body);
    let mut missing = Missing::default();
    let session_id = missing.require("sessionId", fields.clipped("sessionId", 64)?);
    missing.check()?;
    let checked = faces
        .validate(&caller, &session_id.unwrap_or_default(), &origin(&req))
        .await?;
    Ok(data(
        StatusCode::OK,
        json!({
            "appLogin": end_user_login(login_view(&checked.login, &validations())),
            "token": checked.token,
            "showFaceLivenessRecommendation": false,
        }),
    ))
}

/// `DELETE /v2/app-logins/{id}/biometrics` (API key): the tenant deletes
/// the login's frames and the face it enrolled.
pub async fn redact<A: Directory, P: IdentityPorts>(
    auth: &Authenticator<A>,
    faces: &FaceLogins<P>,
    req: Request,
) -> Answer {
    let client = auth.client(bearer(&req)).await?;
    let login = faces.redact(&client, &path_id(&req), &origin(&req)).await?;
    Ok(data(
        StatusCode::OK,
        json!({ "appLogin": login_view(&login, &validations()) }),
    ))
}
