//! `/v2/app-registrations`: onboarding sessions.
//!
//! Who may call what:
//! - create: anyone with an active onboarding flow id (the enrollee's
//!   browser), or the client's backend with its API key;
//! - get, sync, validate, resend, information: the client's API key, or the
//!   enrollee token of that one registration;
//! - verification-results, review, resume, list, analytics: the client's
//!   API key only.

use super::console;
use super::list_query::{self, day_start};
use super::listing::{self, path_id, records_envelope};
use super::request::{
    bearer, channel_field, json_object, language_field, optional_json_object, origin,
    reject_unknown, reject_unknown_fields, Answer, ContactFields, Fields, Missing,
};
use super::response::{conceal_withheld, data, populated_view};
use crate::domain::onboarding::ResultStatus;
use crate::domain::onboarding::StepName;
use crate::domain::operator::{Actor, OperatorRole};
use crate::domain::registration::{NewResult, ReviewDecision};
use crate::domain::{Channel, OneTimeCode, Registration, RegistrationStatus};
use crate::error::{codes, Error, Result};
use crate::ports::{ConsoleSessionStore, OperatorStore, Populate, Ports, RegistrationQuery};
use crate::service::auth::key_prefix;
use crate::service::console::ConsoleSessions;
use crate::service::operators::Acting;
use crate::service::registrations::{Caller, ContactCheck, Review, StartRegistration, SyncClaim};
use crate::service::Registrations;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::StatusCode;
use lambda_http::{Request, RequestExt};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// Who reads a registration. Security monitoring (red flags, failed
/// validations, the access log, the reviewer) is for the tenant's API key
/// only: the enrollee and anonymous callers never see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    Tenant,
    Enrollee,
}

impl Reader {
    pub fn of(caller: &Caller) -> Self {
        match caller {
            Caller::Client(_) => Reader::Tenant,
            Caller::Enrollee(_) => Reader::Enrollee,
        }
    }
}

/// Fields only the tenant reads.
const MONITORING: &[&str] = &[
    "redFlags",
    "failedValidations",
    "accessControlLog",
    "manualReview",
];

/// Renders a registration: validations not asked for in `populates[]` show
/// as ids; internal fields never appear. No code or hash is ever part of it.
pub fn registration_view(
    registration: &Registration,
    populates: &BTreeSet<Populate>,
    reader: Reader,
) -> Value {
    let mut hidden = vec!["verificationSession", "version"];
    if reader == Reader::Enrollee {
        hidden.extend_from_slice(MONITORING);
    }
    let view = populated_view(
        registration,
        populates,
        &[
            (Populate::EmailValidation, "emailValidation"),
            (Populate::PhoneValidation, "phoneValidation"),
        ],
        &hidden,
    );
    match reader {
        Reader::Tenant => view,
        Reader::Enrollee => {
            let mut view = conceal_withheld(view);
            super::response::enrollee_identity(&mut view);
            view
        }
    }
}

fn everything() -> BTreeSet<Populate> {
    [
        Populate::EmailValidation,
        Populate::PhoneValidation,
        Populate::AccessControlLog,
    ]
    .into()
}

fn validations() -> BTreeSet<Populate> {
    [Populate::EmailValidation, Populate::PhoneValidation].into()
}

fn step_param(fields: &Fields, name: &'static str) -> Result<Option<StepName>> {
    match fields.string(name)? {
        None => Ok(None),
        Some(raw) => StepName::parse(raw.trim()).map(Some).ok_or_else(|| {
            Error::invalid(
                "invalid_step",
                format!("{name} {raw:?} is not a step; use signUpForm, basicInformation, document, liveness, criminalHistory or form"),
            )
        }),
    }
}

fn name_field(fields: &Fields, name: &'static str) -> Result<Option<String>> {
    match fields.string(name)? {
        Some(v) if v.trim().chars().count() > 120 => Err(Error::invalid(
            codes::INVALID_PARAMETER,
            format!("{name} is longer than 120 characters"),
        )),
        other => Ok(other.map(|v| v.trim().to_string())),
    }
}

/// `POST /v2/app-registrations`
pub async fn create<P: Ports>(registrations: &Registrations<P>, req: Request) -> Answer {
    let client = match bearer(&req) {
        Some(key) => Some(registrations.client(Some(key)).await?),
        None => None,
    };
    let reader = if client.is_some() {
        Reader::Tenant
    } else {
        Reader::Enrollee
    };
    let body = json_object(&req)?;
    reject_unknown_fields(
        &body,
        &[
            "projectFlow",
            "project",
            "email",
            "countryCode",
            "phone",
            "firstName",
            "lastName",
            "fullName",
            "language",
            "agreements",
        ],
    )?;
    let request = parse_create(&body)?;
    let started = registrations
        .start(client.as_ref(), request, &origin(&req))
        .await?;
    Ok(data(
        StatusCode::CREATED,
        json!({
            "appRegistration": registration_view(&started.registration, &everything(), reader),
            "token": started.token,
            "sent": started.sent,
        }),
    ))
}

fn parse_create(body: &Map<String, Value>) -> Result<StartRegistration> {
    let fields = Fields::new(body);
    let mut missing = Missing::default();
    let project_flow = missing.require("projectFlow", fields.string("projectFlow")?);
    let contacts = ContactFields::read(&fields, &mut missing)?;
    missing.check()?;
    let language = language_field(&fields)?.unwrap_or_else(|| "en".to_string());
    let (email, phone) = contacts.parse()?;
    // Verifik's front end sends the terms and privacy consent it showed.
    let agreements = match body.get("agreements") {
        None | Some(Value::Null) => None,
        Some(v @ (Value::Object(_) | Value::Array(_) | Value::Bool(_))) => {
            if v.to_string().len() > 2048 {
                return Err(Error::invalid(
                    codes::INVALID_PARAMETER,
                    "agreements is over 2 KiB",
                ));
            }
            Some(v.clone())
        }
        Some(_) => {
            return Err(Error::invalid(
                codes::INVALID_PARAMETER,
                "agreements must be an object, an array or a boolean",
            ))
        }
    };
    Ok(StartRegistration {
        project: fields.string("project")?,
        agreements,
        project_flow: project_flow.unwrap_or_default(),
        email,
        phone,
        first_name: name_field(&fields, "firstName")?,
        last_name: name_field(&fields, "lastName")?,
        full_name: name_field(&fields, "fullName")?,
        language,
    })
}

/// `GET /v2/app-registrations/{id}`
pub async fn get<P: Ports>(registrations: &Registrations<P>, req: Request) -> Answer {
    let caller = registrations.caller(bearer(&req)).await?;
    let params = req.query_string_parameters();
    let params = list_query::canonical(&params)?;
    reject_unknown(&params, &["populates[]"])?;
    let populates = listing::populates(&params, REGISTRATION_POPULATES)?;
    let registration = registrations.get(&caller, &path_id(&req)).await?;
    Ok(data(
        StatusCode::OK,
        registration_view(&registration, &populates, Reader::of(&caller)),
    ))
}

/// `GET /v2/app-registrations` (API key)
pub async fn list<P: Ports>(registrations: &Registrations<P>, req: Request) -> Answer {
    let client = registrations.client(bearer(&req)).await?;
    let query = parse_list_query(&req.query_string_parameters())?;
    let page = registrations.list(&client, &query).await?;
    Ok(records_envelope(
        page.map(|l| registration_view(&l, &query.populates, Reader::Tenant)),
        &query.start,
        query.limit,
    ))
}

/// What `populates[]` may name on a registration.
const REGISTRATION_POPULATES: &[Populate] = &[
    Populate::EmailValidation,
    Populate::PhoneValidation,
    Populate::AccessControlLog,
];

/// The registration list's own rules in Verifik's list language.
const LIST_RULES: list_query::ListRules = list_query::ListRules {
    field: list_query::OwnField {
        name: "where_currentStep",
        read: |step| StepName::parse(step).map(StepName::as_str),
        allowed: "signUpForm, basicInformation, document, liveness, criminalHistory or form",
    },
    status: |s| RegistrationStatus::parse(s).map(RegistrationStatus::as_str),
    status_names: "STARTED, ONGOING, COMPLETED, COMPLETED_WITHOUT_KYC, FAILED, NEEDS_MANUAL_VERIFICATION, EXPIRED",
    exists: &[Populate::EmailValidation, Populate::PhoneValidation],
};

pub fn parse_list_query(params: &QueryMap) -> Result<RegistrationQuery> {
    let params = &list_query::canonical(params)?;
    let filter = list_query::filter(params, &LIST_RULES)?;
    let paging = listing::paging(params)?;
    Ok(RegistrationQuery {
        start: listing::list_start(params, paging)?,
        limit: paging.limit,
        newest_first: listing::newest_first(params)?,
        populates: listing::populates(params, REGISTRATION_POPULATES)?,
        filter,
    })
}

/// `PUT /v2/app-registrations/{id}/sync`
pub async fn sync<P: Ports>(registrations: &Registrations<P>, req: Request) -> Answer {
    let caller = registrations.caller(bearer(&req)).await?;
    let body = optional_json_object(&req)?;
    reject_unknown_fields(&body, &["step", "status"])?;
    let fields = Fields::new(&body);
    let status = fields.string("status")?;
    let claim = if fields.string("step")?.as_deref() == Some("skipKYC") {
        Some(SyncClaim::SkipKyc)
    } else {
        match (step_param(&fields, "step")?, status) {
            (Some(step), Some(status)) => Some(SyncClaim::Step { step, status }),
            (None, None) => None,
            (Some(_), None) => return Err(Error::MissingParameters(vec!["status".into()])),
            (None, Some(_)) => return Err(Error::MissingParameters(vec!["step".into()])),
        }
    };
    let synced = registrations
        .sync(&caller, &path_id(&req), claim, &origin(&req))
        .await?;
    Ok(data(
        StatusCode::OK,
        json!({
            "appRegistration": registration_view(&synced.registration, &validations(), Reader::of(&caller)),
            "token": synced.token,
        }),
    ))
}

/// `POST /v2/app-registrations/{id}/validate` with `{type, otp}`
pub async fn validate<P: Ports>(registrations: &Registrations<P>, req: Request) -> Answer {
    let caller = registrations.caller(bearer(&req)).await?;
    let body = json_object(&req)?;
    reject_unknown_fields(&body, &["type", "otp"])?;
    let fields = Fields::new(&body);
    let mut missing = Missing::default();
    let channel = missing.require("type", channel_field(&fields)?);
    let otp = missing.require("otp", fields.digits("otp")?);
    missing.check()?;
    let check = ContactCheck {
        channel: channel.unwrap_or(Channel::Email),
        otp: OneTimeCode::parse(&otp.unwrap_or_default())?,
    };
    let registration = registrations
        .validate_contact(&caller, &path_id(&req), check, &origin(&req))
        .await?;
    Ok(data(
        StatusCode::OK,
        json!({ "appRegistration": registration_view(&registration, &validations(), Reader::of(&caller)) }),
    ))
}

/// `POST /v2/app-registrations/{id}/resend` with an optional `{type}`
pub async fn resend<P: Ports>(registrations: &Registrations<P>, req: Request) -> Answer {
    let caller = registrations.caller(bearer(&req)).await?;
    let body = optional_json_object(&req)?;
    reject_unknown_fields(&body, &["type"])?;
    let channel = channel_field(&Fields::new(&body))?;
    let registration = registrations
        .resend(&caller, &path_id(&req), channel, &origin(&req))
        .await?;
    Ok(data(
        StatusCode::OK,
        json!({
            "appRegistration": registration_view(&registration, &validations(), Reader::of(&caller)),
            "sent": true,
        }),
    ))
}

/// `POST /v2/app-registrations/{id}/resume` (API key): a fresh 30-minute
/// enrollee token for an active registration, for a resume link.
pub async fn resume<P: Ports>(registrations: &Registrations<P>, req: Request) -> Answer {
    let caller = registrations.caller(bearer(&req)).await?;
    reject_unknown_fields(&optional_json_object(&req)?, &[])?;
    let resumed = registrations
        .resume(&caller, &path_id(&req), &origin(&req))
        .await?;
    Ok(data(
        StatusCode::OK,
        json!({
            "appRegistration": registration_view(&resumed.registration, &validations(), Reader::of(&caller)),
            "token": resumed.token,
            "expiresIn": resumed.expires_in,
        }),
    ))
}

/// `PUT /v2/app-registrations/{id}/information` with `{step, data}`
pub async fn information<P: Ports>(registrations: &Registrations<P>, req: Request) -> Answer {
    let caller = registrations.caller(bearer(&req)).await?;
    let body = json_object(&req)?;
    reject_unknown_fields(&body, &["step", "data"])?;
    let fields = Fields::new(&body);
    let mut missing = Missing::default();
    let step = missing.require("step", step_param(&fields, "step")?);
    let data_field = missing.require("data", body.get("data").filter(|v| !v.is_null()));
    missing.check()?;
    let Some(Value::Object(submitted)) = data_field.cloned() else {
        return Err(Error::invalid(
            codes::INVALID_PARAMETER,
            "data must be a JSON object",
        ));
    };
    let registration = registrations
        .submit_information(
            &caller,
            &path_id(&req),
            step.unwrap_or(StepName::Form),
            submitted,
            &origin(&req),
        )
        .await?;
    Ok(data(
        StatusCode::OK,
        json!({ "appRegistration": registration_view(&registration, &validations(), Reader::of(&caller)) }),
    ))
}

/// `POST /v2/app-registrations/{id}/verification-results` (API key)
pub async fn results<P: Ports>(registrations: &Registrations<P>, req: Request) -> Answer {
    let caller = registrations.caller(bearer(&req)).await?;
    let body = json_object(&req)?;
    reject_unknown_fields(
        &body,
        &[
            "step",
            "status",
            "verifier",
            "reason",
            "reference",
            "documentName",
        ],
    )?;
    let fields = Fields::new(&body);
    let mut missing = Missing::default();
    let step = missing.require("step", step_param(&fields, "step")?);
    let status = missing.require("status", fields.string("status")?);
    let verifier = missing.require("verifier", fields.clipped("verifier", 64)?);
    missing.check()?;
    let status = match status.as_deref().map(str::trim) {
        Some("passed") => ResultStatus::Passed,
        Some("failed") => ResultStatus::Failed,
        _ => {
            return Err(Error::invalid(
                "invalid_status",
                "status must be passed or failed",
            ))
        }
    };
    let result = NewResult {
        step: step.unwrap_or(StepName::Document),
        status,
        verifier: verifier.unwrap_or_default(),
        reason: fields.clipped("reason", 200)?,
        reference: fields.clipped("reference", 128)?,
        document_name: name_field(&fields, "documentName")?,
    };
    let registration = registrations
        .report_result(&caller, &path_id(&req), result, &origin(&req))
        .await?;
    Ok(data(
        StatusCode::OK,
        json!({ "appRegistration": registration_view(&registration, &validations(), Reader::of(&caller)) }),
    ))
}

/// `POST /v2/app-registrations/{id}/review`: approve or reject a
/// registration held in NEEDS_MANUAL_VERIFICATION, by API key (which names
/// the `reviewer`) or by a `reviewer` or `admin` operator's console session
/// (with its CSRF token; the reviewer is the operator).
pub async fn review<P: Ports, O: OperatorStore + ConsoleSessionStore>(
    registrations: &Registrations<P>,
    sessions: &ConsoleSessions<O>,
    req: Request,
) -> Answer {
    let operator = if bearer(&req).is_none() && console::session_cookie(&req).is_some() {
        let (_, operator) = console::authenticated(sessions, &req).await?;
        Acting::operator(&operator).require(OperatorRole::Reviewer)?;
        Some(operator)
    } else {
        None
    };
    let caller = match &operator {
        Some(operator) => Caller::Client(operator.client.clone()),
        None => registrations.caller(bearer(&req)).await?,
    };
    let body = json_object(&req)?;
    reject_unknown_fields(&body, &["decision", "reviewer", "reason"])?;
    let fields = Fields::new(&body);
    let mut missing = Missing::default();
    let decision = missing.require("decision", fields.string("decision")?);
    let reviewer = match &operator {
        Some(operator) => {
            if body.contains_key("reviewer") {
                return Err(Error::invalid(
                    "reviewer_is_the_operator",
                    "a console session reviews as its operator; leave reviewer out",
                ));
            }
            Some(operator.email.as_str().to_owned())
        }
        None => missing.require("reviewer", fields.clipped("reviewer", 64)?),
    };
    missing.check()?;
    let decision = match decision.as_deref().map(str::trim) {
        Some("approve") => ReviewDecision::Approve,
        Some("reject") => ReviewDecision::Reject,
        _ => {
            return Err(Error::invalid(
                "invalid_decision",
                "decision must be approve or reject",
            ))
        }
    };
    let actor = match &operator {
        Some(operator) => Acting::operator(operator).actor,
        None => Actor::ApiKey(key_prefix(bearer(&req).unwrap_or_default())),
    };
    let registration = registrations
        .review(
            &caller,
            actor,
            &path_id(&req),
            Review {
                decision,
                reviewer: reviewer.unwrap_or_default(),
                reason: fields.clipped("reason", 200)?,
            },
            &origin(&req),
        )
        .await?;
    Ok(data(
        StatusCode::OK,
        json!({ "appRegistration": registration_view(&registration, &validations(), Reader::of(&caller)) }),
    ))
}

/// `GET /v2/app-registrations/analytics?projectFlow=&from=&to=` (API key)
pub async fn analytics<P: Ports>(registrations: &Registrations<P>, req: Request) -> Answer {
    let client = registrations.client(bearer(&req)).await?;
    let params = req.query_string_parameters();
    reject_unknown(&params, &["projectFlow", "from", "to"])?;
    let mut missing = Missing::default();
    let flow = missing.require("projectFlow", params.first("projectFlow"));
    let from = missing.require("from", params.first("from"));
    let to = missing.require("to", params.first("to"));
    missing.check()?;
    let (from, to) = (
        from.unwrap_or_default().trim(),
        to.unwrap_or_default().trim(),
    );
    let bad_day = |name: &str| {
        Error::invalid(
            codes::INVALID_PARAMETER,
            format!("{name} must be a date: YYYY-MM-DD"),
        )
    };
    let start = day_start(from).ok_or_else(|| bad_day("from"))?;
    let end = day_start(to).ok_or_else(|| bad_day("to"))?;
    let days = (end.unix() - start.unix()) / 86_400 + 1;
    let most = crate::service::registrations::MAX_ANALYTICS_DAYS;
    if !(1..=most).contains(&days) {
        return Err(Error::invalid(
            "invalid_range",
            format!("from must not be after to, and the range is at most {most} days"),
        ));
    }
    let flow = flow.unwrap_or_default().trim().to_string();
    let report = registrations.analytics(&client, &flow, from, to).await?;
    Ok(data(
        StatusCode::OK,
        json!({ "projectFlow": flow, "from": from, "to": to, "analytics": report }),
    ))
}
