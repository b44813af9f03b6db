//! `/console/api/*`: operators sign in with an email code and get an
//! HttpOnly, Secure, SameSite=Strict session cookie. The sign-in calls come
//! only from the console's own pages (same origin); every change a session
//! makes carries its CSRF token in `X-CSRF-Token`.

use super::request::{
    bearer, json_object, origin, reject_unknown_fields, same_origin, Answer, Fields,
};
use super::response::{data, json};
use crate::domain::console::SESSION_SECONDS;
use crate::domain::console::{csrf_token, ConsoleSession, COOKIE_NAME, CSRF_HEADER};
use crate::domain::operator::Operator;
use crate::domain::ClientId;
use crate::error::{Error, Result};
use crate::ports::{CodePorts, ConsoleSessionStore, Directory, OperatorStore};
use crate::service::console::{ConsoleSessions, ConsoleSignIn, Gate};
use crate::service::operators::Acting;
use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;

fn cross_origin() -> Error {
    Error::Forbidden {
        code: "cross_origin_refused",
        message: "the console signs in only from its own pages".into(),
    }
}

/// The session token in the request's `Cookie` header(s), if any.
pub fn session_cookie(req: &Request) -> Option<&str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim())
}

fn set_cookie(response: &mut Response<Body>, value: &str, max_age: i64) {
    let cookie = format!(
        "{COOKIE_NAME}={value}; Path=/; Max-Age={max_age}; Secure; HttpOnly; SameSite=Strict"
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
}

fn operator_view(
    session: &ConsoleSession,
    operator: &Operator,
    cookie_token: &str,
) -> serde_json::Value {
    json!({
        "email": operator.email,
        "client": operator.client,
        "role": operator.role,
        "expiresAt": session.expires_at,
        "csrfToken": csrf_token(cookie_token),
    })
}

/// `POST /console/api/sign-in` `{"email"}`: 202 whether or not the email
/// is an operator's, and a code only if it is.
pub async fn sign_in<P: CodePorts, O: OperatorStore + ConsoleSessionStore>(
    console: &ConsoleSignIn<P, O>,
    req: Request,
) -> Answer {
    if !same_origin(&req) {
        return Err(cross_origin());
    }
    let body = json_object(&req)?;
    reject_unknown_fields(&body, &["email"])?;
    let fields = Fields::new(&body);
    let email = fields
        .string("email")?
        .ok_or_else(|| Error::MissingParameters(vec!["email".into()]))?;
    console.start(&email, &origin(&req)).await?;
    Ok(data(
        StatusCode::ACCEPTED,
        json!({ "sent": "if this email is an operator's, a code is on its way" }),
    ))
}

/// `POST /console/api/sign-in/verify` `{"email", "code", "client"?}`: the
/// session cookie, and the CSRF token for the page.
pub async fn verify<P: CodePorts, O: OperatorStore + ConsoleSessionStore>(
    console: &ConsoleSignIn<P, O>,
    req: Request,
) -> Answer {
    if !same_origin(&req) {
        return Err(cross_origin());
    }
    let body = json_object(&req)?;
    reject_unknown_fields(&body, &["email", "code", "client"])?;
    let fields = Fields::new(&body);
    let mut missing = Vec::new();
    let email = fields.string("email")?;
    let code = fields.string("code")?;
    for (name, value) in [("email", &email), ("code", &code)] {
        if value.is_none() {
            missing.push(name.to_string());
        }
    }
    let (Some(email), Some(code)) = (email, code) else {
        return Err(Error::MissingParameters(missing));
    };
    let tenant = fields.string("client")?;
    let signed_in = console
        .verify(&email, code.trim(), tenant.as_deref(), &origin(&req))
        .await?;
    let mut view = operator_view(
        &signed_in.issued.session,
        &signed_in.operator,
        &signed_in.issued.cookie_token,
    );
    view["tenants"] = json!(signed_in.tenants);
    let mut response = data(StatusCode::OK, view);
    set_cookie(
        &mut response,
        &signed_in.issued.cookie_token,
        SESSION_SECONDS,
    );
    Ok(response)
}

/// `GET /console/api/session`: who is signed in, and the CSRF token, so a
/// reloaded page can carry on; 401 sends the page back to sign-in.
pub async fn session<O: OperatorStore + ConsoleSessionStore>(
    sessions: &ConsoleSessions<O>,
    req: Request,
) -> Answer {
    let token = session_cookie(&req);
    let (session, operator) = sessions.authenticate(token, None, false).await?;
    Ok(data(
        StatusCode::OK,
        operator_view(&session, &operator, token.unwrap_or_default()),
    ))
}

/// `DELETE /console/api/session`: signs out, with the CSRF token; the
/// cookie is cleared.
pub async fn sign_out<O: OperatorStore + ConsoleSessionStore>(
    sessions: &ConsoleSessions<O>,
    req: Request,
) -> Answer {
    let (session, _) = authenticated(sessions, &req).await?;
    sessions.sign_out(&session).await?;
    let mut response = json(StatusCode::OK, &json!({ "data": { "signedOut": true } }));
    set_cookie(&mut response, "", 0);
    Ok(response)
}

/// The request's session and operator: a method other than GET or HEAD is
/// a change and must carry the CSRF token.
pub async fn authenticated<O: OperatorStore + ConsoleSessionStore>(
    sessions: &ConsoleSessions<O>,
    req: &Request,
) -> Result<(ConsoleSession, Operator)> {
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD);
    let csrf = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    sessions
        .authenticate(session_cookie(req), csrf, changes)
        .await
}

/// Who a request acts as, through `gate`: its API key, or else its
/// console session (with the CSRF token on a change).
pub async fn acting<D: Directory, O: OperatorStore + ConsoleSessionStore>(
    gate: &Gate<D, O>,
    req: &Request,
) -> Result<(ClientId, Acting)> {
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD);
    let csrf = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    gate.acting(bearer(req), session_cookie(req), csrf, changes)
        .await
}
