//! `/v2/app-logins`. Verifik's `/v2/{email,phone}-validations` forms are in
//! `api::verifik`.

use super::list_query;
use super::listing::{self, path_id, records_envelope};
use super::request::{
    bearer, channel_field, json_object, language_field, optional_json_object, origin, path_param,
    reject_unknown, Answer, ContactFields, Fields, Missing,
};
use super::response::{code_verified, data, end_user_login, populated_view};
use crate::domain::ids::Record;
use crate::domain::login::{LoginStatus, LoginType};
use crate::domain::{Login, OneTimeCode};
use crate::error::Result;
use crate::ports::{CodePorts, Directory, LoginQuery, LoginStore, Populate};
use crate::service::{
    Authenticator, CodeChecker, CodeSender, CreateLogin, LoginReader, LoginRef, ValidateLogin,
};
use lambda_http::http::StatusCode;
use lambda_http::{Request, RequestExt};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Renders a login the way Verifik does: references not asked for in
/// `populates[]` show as ids. Code hashes are never part of a `Login`.
pub fn login_view(login: &Login, populates: &BTreeSet<Populate>) -> Value {
    populated_view(
        login,
        populates,
        &[
            (Populate::EmailValidation, "emailValidation"),
            (Populate::PhoneValidation, "phoneValidation"),
            (Populate::BiometricValidation, "biometricValidation"),
        ],
        &[],
    )
}

fn everything() -> BTreeSet<Populate> {
    [
        Populate::EmailValidation,
        Populate::PhoneValidation,
        Populate::BiometricValidation,
        Populate::AccessControlLog,
    ]
    .into()
}

fn validations_only() -> BTreeSet<Populate> {
    [
        Populate::EmailValidation,
        Populate::PhoneValidation,
        Populate::BiometricValidation,
    ]
    .into()
}

/// `POST /v2/app-logins` (API key)
pub async fn create<A: Directory, P: CodePorts>(
    auth: &Authenticator<A>,
    sender: &CodeSender<P>,
    req: Request,
) -> Answer {
    let client = auth.client(bearer(&req)).await?;
    let body = json_object(&req)?;
    let request = parse_create(&body)?;
    let sent = sender.create(&client, request, &origin(&req)).await?;
    let status = if sent.existing {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(data(
        status,
        json!({
            "appLogin": login_view(&sent.login, &everything()),
            "existing": sent.existing,
            "sent": true,
        }),
    ))
}

fn parse_create(body: &serde_json::Map<String, Value>) -> Result<CreateLogin> {
    let fields = Fields::new(body);
    let mut missing = Missing::default();
    let project_flow = missing.require("projectFlow", fields.string("projectFlow")?);
    let contacts = ContactFields::read(&fields, &mut missing)?;
    missing.check()?;
    let name = fields.clipped("name", 120)?;
    let language = language_field(&fields)?;
    let (email, phone) = contacts.parse()?;
    Ok(CreateLogin {
        project_flow: project_flow.unwrap_or_default(),
        email,
        phone,
        name,
        language,
    })
}

/// `GET /v2/app-logins/{id}` (API key)
pub async fn get<A: Directory, S: LoginStore>(
    auth: &Authenticator<A>,
    reader: &LoginReader<S>,
    req: Request,
) -> Answer {
    let client = auth.client(bearer(&req)).await?;
    let params = req.query_string_parameters();
    let params = list_query::canonical(&params)?;
    let populates = listing::populates(&params, LOGIN_POPULATES)?;
    reject_unknown(&params, &["populates[]"])?;
    let login = reader.get(&client, &path_id(&req)).await?;
    Ok(data(StatusCode::OK, login_view(&login, &populates)))
}

/// `GET /v2/app-logins` (API key), with seed 001's query language.
pub async fn list<A: Directory, S: LoginStore>(
    auth: &Authenticator<A>,
    reader: &LoginReader<S>,
    req: Request,
) -> Answer {
    let client = auth.client(bearer(&req)).await?;
    let query = parse_list_query(&req.query_string_parameters())?;
    let page = reader.list(&client, &query).await?;
    Ok(records_envelope(
        page.map(|l| login_view(&l, &query.populates)),
        &query.start,
        query.limit,
    ))
}

/// What `populates[]` may name on a login.
const LOGIN_POPULATES: &[Populate] = &[
    Populate::EmailValidation,
    Populate::PhoneValidation,
    Populate::BiometricValidation,
    Populate::AccessControlLog,
];

/// The login list's own rules in Verifik's list language.
const LIST_RULES: list_query::ListRules = list_query::ListRules {
    field: list_query::OwnField {
        name: "where_type",
        read: |t| LoginType::parse(t).map(LoginType::as_str),
        allowed: "email, phone, emailAndPhone or faceLiveness",
    },
    status: |s| LoginStatus::parse(s).map(LoginStatus::as_str),
    status_names: "pending, validated or failed",
    exists: &[
        Populate::EmailValidation,
        Populate::PhoneValidation,
        Populate::BiometricValidation,
    ],
};

pub fn parse_list_query(
    params: &lambda_http::aws_lambda_events::query_map::QueryMap,
) -> Result<LoginQuery> {
    let params = &list_query::canonical(params)?;
    let filter = list_query::filter(params, &LIST_RULES)?;
    let paging = listing::paging(params)?;
    Ok(LoginQuery {
        start: listing::list_start(params, paging)?,
        limit: paging.limit,
        newest_first: listing::newest_first(params)?,
        populates: listing::populates(params, LOGIN_POPULATES)?,
        filter,
    })
}

/// `POST /v2/app-logins/{id}/validate` (public: end users call it).
pub async fn validate<S: LoginStore>(verifier: &CodeChecker<S>, req: Request) -> Answer {
    let body = json_object(&req)?;
    let request = parse_validate(&req, &body)?;
    let validated = verifier.validate(request, &origin(&req)).await?;
    Ok(data(
        StatusCode::OK,
        code_verified(
            json!({
                "appLogin": end_user_login(login_view(&validated.login, &validations_only())),
            }),
            validated.token.as_deref(),
            validated.face_token.as_deref(),
            validated.login.recommends_face(),
        ),
    ))
}

fn parse_validate(req: &Request, body: &serde_json::Map<String, Value>) -> Result<ValidateLogin> {
    let fields = Fields::new(body);
    let mut missing = Missing::default();
    let otp = missing.require("otp", fields.digits("otp")?);
    missing.check()?;
    Ok(ValidateLogin {
        login: LoginRef::Id(path_param(req, "id").unwrap_or_default()),
        channel: channel_field(&fields)?,
        otp: OneTimeCode::parse(&otp.unwrap_or_default())?,
    })
}

/// `POST /v2/app-logins/{id}/resend` (public)
pub async fn resend<P: CodePorts>(sender: &CodeSender<P>, req: Request) -> Answer {
    // An empty body is fine here: it means every pending channel.
    let channel = channel_field(&Fields::new(&optional_json_object(&req)?))?;
    let id = path_param(&req, "id").unwrap_or_default();
    if !crate::domain::ids::is_plausible_id(&id) {
        return Err(Record::Login.not_found());
    }
    let login = sender.resend(&id, None, channel, &origin(&req)).await?;
    Ok(data(
        StatusCode::OK,
        json!({ "appLogin": login_view(&login, &validations_only()), "sent": true }),
    ))
}
