//! The calls Verifik's own web front end makes, with no API key (see
//! ../shared/reference/verifik-compat.md and docs/verifik.md "Using
//! Verifik's front end with Gatehouse"):
//! - `GET /v2/projects/kyc?id=`: the public face of a project;
//! - `POST /v2/{email,phone}-validations`: a code for a sign-in
//!   (`type: login`, public) or for an onboarding (`type: onboarding`, with
//!   the enrollee token);
//! - `POST /v2/{email,phone}-validations/validate`: checks it;
//! - `POST /v2/app-registrations/me` and `PUT /v2/app-registrations/{id}`.
//!
//! Errors keep `code`, and carry the same key in `message`, which that
//! front end looks up as a translation key; the sentence moves to `detail`.

use super::app_logins::login_view;
use super::app_registrations::{registration_view, Reader};
use super::request::{
    bearer, json_object, language_field, origin, path_param, reject_unknown, reject_unknown_fields,
    Answer, Fields, HandlerResult, Missing,
};
use super::response::{code_verified, data, end_user_login};
use crate::domain::ids::Record;
use crate::domain::{Channel, Email, FlowType, OneTimeCode, Phone, Registration, Timestamp};
use crate::error::{codes, Error, Result};
use crate::ports::{Populate, Ports};
use crate::service::registrations::{Caller, ContactCheck};
use crate::service::{CreateLogin, LoginRef, PublicProjects, Registrations, ValidateLogin};
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Request, RequestExt};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Verifik's front end translates `message`: the code goes there, the
/// sentence to `detail`. Success bodies are left as they are (they never
/// carry `message`, which that front end reads as "second factor needed").
pub fn with_translation_key(result: HandlerResult) -> HandlerResult {
    let mut response = result?;
    if response.status().is_success() {
        return Ok(response);
    }
    let Body::Text(text) = response.body() else {
        return Ok(response);
    };
    let Ok(Value::Object(mut body)) = serde_json::from_str::<Value>(text) else {
        return Ok(response);
    };
    if let (Some(code), Some(sentence)) = (body.get("code").cloned(), body.remove("message")) {
        body.insert("message".into(), code);
        body.insert("detail".into(), sentence);
    }
    *response.body_mut() = Body::Text(Value::Object(body).to_string());
    Ok(response)
}

/// `/v2/email-validations...` or `/v2/phone-validations...`.
fn channel_of_path(req: &Request) -> Channel {
    let path = req.raw_http_path();
    let path = if path.is_empty() {
        req.uri().path()
    } else {
        path
    };
    if path.contains("/phone-validations") {
        Channel::Phone
    } else {
        Channel::Email
    }
}

/// `GET /v2/projects/kyc?id=` (public)
pub async fn kyc<P: Ports>(projects: &PublicProjects<P>, req: Request) -> Answer {
    let params = req.query_string_parameters();
    reject_unknown(&params, &["id"])?;
    let id = params
        .first("id")
        .ok_or_else(|| Error::MissingParameters(vec!["id".into()]))?;
    let project = projects.kyc(id.trim(), &origin(&req)).await?;
    Ok(data(StatusCode::OK, project))
}

/// The email, or the phone, a Verifik form names.
enum Contact {
    Email(Email),
    Phone(Phone),
}

impl Contact {
    /// Reads the form's contact for `channel`, noting what is missing;
    /// parse it once `missing` is checked.
    fn read(fields: &Fields, channel: Channel, missing: &mut Missing) -> Result<RawContact> {
        Ok(match channel {
            Channel::Email => RawContact::Email(missing.require("email", fields.string("email")?)),
            Channel::Phone => RawContact::Phone(
                missing.require("countryCode", fields.string("countryCode")?),
                missing.require("phone", fields.digits("phone")?),
            ),
        })
    }

    fn identifier(&self) -> String {
        match self {
            Contact::Email(e) => e.as_str().to_string(),
            Contact::Phone(p) => p.e164.clone(),
        }
    }

    /// Whether the registration was started with this contact.
    fn belongs_to(&self, registration: &Registration) -> bool {
        match self {
            Contact::Email(e) => registration.email.as_deref() == Some(e.as_str()),
            Contact::Phone(p) => {
                registration.phone.as_deref() == Some(p.number.as_str())
                    && registration.country_code.as_deref() == Some(p.country_code.as_str())
            }
        }
    }
}

/// A form's contact fields as given.
enum RawContact {
    Email(Option<String>),
    Phone(Option<String>, Option<String>),
}

impl RawContact {
    fn parse(self) -> Result<Contact> {
        Ok(match self {
            RawContact::Email(email) => Contact::Email(Email::parse(&email.unwrap_or_default())?),
            RawContact::Phone(cc, phone) => Contact::Phone(Phone::parse(
                &cc.unwrap_or_default(),
                &phone.unwrap_or_default(),
            )?),
        })
    }
}

/// `login` or `onboarding`; absent: a sign-in, unless an enrollee token says otherwise.
fn purpose(fields: &Fields) -> Result<Option<FlowType>> {
    match fields.keyword("type")?.as_deref() {
        None => Ok(None),
        Some("login") => Ok(Some(FlowType::Login)),
        Some("onboarding") => Ok(Some(FlowType::Onboarding)),
        Some(other) => Err(Error::invalid(
            codes::INVALID_TYPE,
            format!("type {other:?} must be login or onboarding"),
        )),
    }
}

/// The registration an onboarding form is for: the caller must hold its
/// enrollee token, and the flow and contact must be that registration's.
async fn enrollee_registration<P: Ports>(
    registrations: &Registrations<P>,
    req: &Request,
    flow_id: &str,
    contact: &Contact,
) -> Result<(Caller, Registration)> {
    let caller = registrations.caller(bearer(req)).await?;
    let Caller::Enrollee(claims) = &caller else {
        return Err(Error::Forbidden {
            code: "enrollee_token_required",
            message: "an onboarding code needs the enrollee token its registration returned".into(),
        });
    };
    if claims.project_flow != flow_id {
        return Err(Record::Flow.not_found());
    }
    let registration = registrations.get(&caller, &claims.sub.clone()).await?;
    if !contact.belongs_to(&registration) {
        return Err(Error::conflict(
            "contact_not_in_registration",
            "this email or phone is not the one the registration was started with",
        ));
    }
    Ok((caller, registration))
}

/// A validation as a Verifik form answers it, from a view whose withheld
/// sends are already concealed: nothing about the record's history
/// (attempts, IP) for an anonymous caller.
fn public_validation(validation: Option<&Value>, extra: Value) -> Value {
    let mut view = validation.cloned().unwrap_or_else(|| json!({}));
    if let Some(object) = view.as_object_mut() {
        for private in ["attempts", "maxAttempts", "ipAddress"] {
            object.remove(private);
        }
        if let Some(extra) = extra.as_object() {
            object.extend(extra.clone());
        }
    }
    view
}

const CREATE_FIELDS: &[&str] = &[
    "email",
    "countryCode",
    "phone",
    "project",
    "projectFlow",
    "type",
    "validationMethod",
    "language",
    "location",
    "phoneGateway",
    "emailGateway",
];

/// `POST /v2/email-validations` and `POST /v2/phone-validations`
pub async fn create<P: Ports>(registrations: &Registrations<P>, req: Request) -> Answer {
    let channel = channel_of_path(&req);
    let body = json_object(&req)?;
    reject_unknown_fields(&body, CREATE_FIELDS)?;
    let fields = Fields::new(&body);
    let mut missing = Missing::default();
    let flow_id = missing.require("projectFlow", fields.string("projectFlow")?);
    let raw = Contact::read(&fields, channel, &mut missing)?;
    missing.check()?;
    let flow_id = flow_id.unwrap_or_default();
    match fields.string("validationMethod")?.as_deref() {
        None | Some("verificationCode") => {}
        Some(other) => {
            return Err(Error::invalid(
                codes::INVALID_PARAMETER,
                format!("validationMethod {other:?}: only verificationCode is supported"),
            ))
        }
    }
    if channel == Channel::Phone && fields.string("phoneGateway")?.as_deref() == Some("whatsapp") {
        return Err(Error::invalid(
            codes::CHANNEL_NOT_ENABLED,
            "codes go by SMS; WhatsApp is not supported",
        ));
    }
    let contact = raw.parse()?;
    let language = language_field(&fields)?;
    let project = fields.string("project")?;
    let origin = origin(&req);
    let now = Timestamp::now();
    let kind = purpose(&fields)?;
    if kind == Some(FlowType::Onboarding) {
        let (caller, registration) =
            enrollee_registration(registrations, &req, &flow_id, &contact).await?;
        let registration = registrations
            .ensure_code(&caller, &registration.id, channel, &origin)
            .await?;
        let view = registration_view(
            &registration,
            &[Populate::EmailValidation, Populate::PhoneValidation].into(),
            Reader::Enrollee,
        );
        return Ok(data(
            StatusCode::OK,
            public_validation(
                view.get(channel.validation_name()),
                json!({"type": "onboarding", "appRegistration": registration.id,
                       "projectFlow": flow_id, "updatedAt": now}),
            ),
        ));
    }
    let (email, phone) = match contact {
        Contact::Email(e) => (Some(e), None),
        Contact::Phone(p) => (None, Some(p)),
    };
    let (login, cooldown) = registrations
        .codes()
        .send
        .create_public(
            CreateLogin {
                project_flow: flow_id.clone(),
                email,
                phone,
                name: None,
                language,
            },
            project.as_deref(),
            &origin,
        )
        .await?;
    let view = end_user_login(login_view(
        &login,
        &[Populate::EmailValidation, Populate::PhoneValidation].into(),
    ));
    let mut response = data(
        StatusCode::OK,
        public_validation(
            view.get(channel.validation_name()),
            json!({"type": "login", "project": login.project, "projectFlow": flow_id,
                   "updatedAt": now}),
        ),
    );
    // When a resend will be taken: the hosted page's countdown.
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(cooldown));
    Ok(response)
}

/// `POST /v2/email-validations/validate` and `POST /v2/phone-validations/validate`
pub async fn validate<P: Ports>(registrations: &Registrations<P>, req: Request) -> Answer {
    let channel = channel_of_path(&req);
    let body = json_object(&req)?;
    let fields = Fields::new(&body);
    let mut missing = Missing::default();
    let flow_id = missing.require("projectFlow", fields.string("projectFlow")?);
    let raw = Contact::read(&fields, channel, &mut missing)?;
    let otp = missing.require("otp", fields.digits("otp")?);
    missing.check()?;
    let flow_id = flow_id.unwrap_or_default();
    let otp = OneTimeCode::parse(&otp.unwrap_or_default())?;
    let contact = raw.parse()?;
    let kind = match purpose(&fields)? {
        Some(kind) => kind,
        // Verifik's sign-up sends no type, but the enrollee token of
        // a registration on this very flow.
        None => match registrations.caller(bearer(&req)).await {
            Ok(Caller::Enrollee(claims)) if claims.project_flow == flow_id => FlowType::Onboarding,
            _ => FlowType::Login,
        },
    };
    let origin = origin(&req);
    if kind == FlowType::Onboarding {
        let (caller, registration) =
            enrollee_registration(registrations, &req, &flow_id, &contact).await?;
        let registration = registrations
            .validate_contact(
                &caller,
                &registration.id,
                ContactCheck { channel, otp },
                &origin,
            )
            .await?;
        let view = registration_view(
            &registration,
            &[Populate::EmailValidation, Populate::PhoneValidation].into(),
            Reader::Enrollee,
        );
        let validation = view.get(channel.validation_name()).cloned();
        return Ok(data(
            StatusCode::OK,
            json!({
                "_id": validation.as_ref().and_then(|v| v.get("_id")).cloned(),
                "status": validation.as_ref().and_then(|v| v.get("status")).cloned(),
                "type": "onboarding",
                "appRegistration": view,
            }),
        ));
    }
    let validated = registrations
        .codes()
        .check
        .validate(
            ValidateLogin {
                login: LoginRef::Identifier {
                    project_flow: flow_id,
                    channel,
                    identifier: contact.identifier(),
                },
                channel: Some(channel),
                otp,
            },
            &origin,
        )
        .await?;
    let login = end_user_login(login_view(
        &validated.login,
        &[Populate::EmailValidation, Populate::PhoneValidation].into(),
    ));
    let status = login
        .get(channel.validation_name())
        .and_then(|v| v.get("status"))
        .cloned();
    Ok(data(
        StatusCode::OK,
        code_verified(
            json!({ "appLogin": login, "status": status }),
            validated.token.as_deref(),
            validated.face_token.as_deref(),
            validated.login.recommends_face(),
        ),
    ))
}

/// Verifik's `populates` for `POST /v2/app-registrations/me`.
const ME_POPULATES: &[&str] = &[
    "project",
    "projectFlow",
    "emailValidation",
    "phoneValidation",
    "informationValidation",
];

/// `POST /v2/app-registrations/me` with the enrollee token and an optional
/// `{populates: [...]}`: the caller's own registration, as the enrollee
/// reads it, with its project's and flow's public faces when asked.
pub async fn me<P: Ports>(registrations: &Registrations<P>, req: Request) -> Answer {
    let caller = registrations.caller(bearer(&req)).await?;
    let Caller::Enrollee(claims) = &caller else {
        return Err(Error::Forbidden {
            code: "enrollee_token_required",
            message: "`me` is the enrollee's own registration: send its enrollee token".into(),
        });
    };
    let body = super::request::optional_json_object(&req)?;
    reject_unknown_fields(&body, &["populates"])?;
    let asked: BTreeSet<String> = match body.get("populates") {
        None | Some(Value::Null) => BTreeSet::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .filter(|s| ME_POPULATES.contains(s))
                    .map(str::to_string)
                    .ok_or_else(|| {
                        Error::invalid(
                            codes::INVALID_POPULATE,
                            format!("populates takes some of: {}", ME_POPULATES.join(", ")),
                        )
                    })
            })
            .collect::<Result<_>>()?,
        Some(_) => {
            return Err(Error::invalid(
                codes::INVALID_POPULATE,
                "populates must be an array",
            ))
        }
    };
    let registration = registrations.get(&caller, &claims.sub.clone()).await?;
    let validations: BTreeSet<Populate> = [
        ("emailValidation", Populate::EmailValidation),
        ("phoneValidation", Populate::PhoneValidation),
    ]
    .into_iter()
    .filter(|(name, _)| asked.contains(*name))
    .map(|(_, p)| p)
    .collect();
    let mut view = registration_view(&registration, &validations, Reader::Enrollee);
    if asked.contains("project") || asked.contains("projectFlow") {
        if let Some(public) = registrations.public_project(&registration).await? {
            if asked.contains("projectFlow") {
                view["projectFlow"] = public
                    .project_flows
                    .first()
                    .map(|f| json!(f))
                    .unwrap_or(Value::Null);
            }
            if asked.contains("project") {
                view["project"] = json!(public);
            }
        }
    }
    if asked.contains("informationValidation") {
        view["informationValidation"] = json!(registration.information);
    }
    Ok(data(StatusCode::OK, view))
}

/// `PUT /v2/app-registrations/{id}` with `{emailValidation}` and/or
/// `{phoneValidation}`: Verifik links a validation made apart to the
/// registration. Gatehouse makes a registration's validations with it, so
/// this checks that the ids are that registration's own and answers it.
pub async fn link<P: Ports>(registrations: &Registrations<P>, req: Request) -> Answer {
    let caller = registrations.caller(bearer(&req)).await?;
    let body = json_object(&req)?;
    reject_unknown_fields(&body, &["emailValidation", "phoneValidation"])?;
    let fields = Fields::new(&body);
    let id = path_param(&req, "id").unwrap_or_default();
    let registration = registrations.get(&caller, &id).await?;
    for (name, code, held) in [
        (
            "emailValidation",
            codes::EMAIL_VALIDATION_NOT_FOUND,
            &registration.email_validation,
        ),
        (
            "phoneValidation",
            codes::PHONE_VALIDATION_NOT_FOUND,
            &registration.phone_validation,
        ),
    ] {
        if let Some(given) = fields.string(name)? {
            if held.as_ref().map(|v| v.id.as_str()) != Some(given.trim()) {
                return Err(Error::not_found(
                    code,
                    "no such validation on this registration",
                ));
            }
        }
    }
    let reader = Reader::of(&caller);
    Ok(data(
        StatusCode::OK,
        registration_view(
            &registration,
            &[Populate::EmailValidation, Populate::PhoneValidation].into(),
            reader,
        ),
    ))
}
