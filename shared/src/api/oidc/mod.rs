//! The OpenID Connect provider's HTTP edge (docs/oidc.md): form bodies in,
//! RFC 6749 errors out, redirects, the session cookie, and the two pages a
//! browser may see (an error that must not redirect, and "signed out").

mod clients;
mod endpoints;

pub use clients::{
    create_client, delete_client, get_client, list_clients, rotate_secret, update_client,
};
pub use endpoints::{authorize, discovery, logout, open_session, revoke, token, userinfo};

use super::response::strict_transport;
use crate::domain::oidc::{OAuthError, Params};
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};

const MAX_FORM_BYTES: usize = 16 * 1024;

/// The pairs of the query string, as sent (repeats kept).
fn query_params(req: &Request) -> Params {
    Params(
        url::form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect(),
    )
}

fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// An `application/x-www-form-urlencoded` body (RFC 6749 section 3.2).
fn form_params(req: &Request) -> Result<Params, OAuthError> {
    let bytes = body_bytes(req);
    if bytes.len() > MAX_FORM_BYTES {
        return Err(OAuthError::invalid_request("the body is too large"));
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form && !bytes.is_empty() {
        return Err(OAuthError::invalid_request(
            "send the body as application/x-www-form-urlencoded",
        ));
    }
    Ok(Params(
        url::form_urlencoded::parse(bytes).into_owned().collect(),
    ))
}

/// A GET's query, or a POST's form (OpenID Connect Core 3.1.2.1: the
/// authorization and logout endpoints take both).
fn request_params(req: &Request) -> Result<Params, OAuthError> {
    if req.method() == lambda_http::http::Method::POST {
        form_params(req)
    } else {
        Ok(query_params(req))
    }
}

fn project_of(req: &Request) -> String {
    req.path_parameters()
        .first("project")
        .unwrap_or_default()
        .to_string()
}

fn no_store(headers: &mut lambda_http::http::HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    strict_transport(headers);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// A JSON answer of the token, revocation and userinfo endpoints: never cached.
fn oauth_json(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    no_store(headers);
    response
}

/// RFC 6749 section 5.2: `invalid_client` is a 401 with `WWW-Authenticate`.
fn oauth_error(error: &OAuthError) -> Response<Body> {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = oauth_json(
        status,
        &serde_json::json!({ "error": error.error, "error_description": error.description }),
    );
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Basic realm="gatehouse", charset="UTF-8""#),
        );
    }
    response
}

/// RFC 6750 section 3: a bearer token refused at userinfo.
fn bearer_error(error: &OAuthError) -> Response<Body> {
    let status = if error.error == "invalid_token" {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut response = oauth_json(
        status,
        &serde_json::json!({ "error": error.error, "error_description": error.description }),
    );
    let challenge = format!(
        r#"Bearer realm="gatehouse", error="{}", error_description="{}""#,
        error.error,
        error.description.replace('"', "'")
    );
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

fn redirect(to: &str) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::FOUND;
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(to) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    no_store(headers);
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A page for the browser: an error that may not go back to the client,
/// or the end of a logout. No script, no style from anywhere.
fn page(status: StatusCode, title: &str, text: &str) -> Response<Body> {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body><main><h1>{title}</h1><p>{text}</p></main></body></html>",
        title = escape(title),
        text = escape(text),
    );
    let mut response = Response::new(Body::Text(html));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    no_store(headers);
    response
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The session cookie: on the issuer's path only, never read by script,
/// sent on the top-level navigation back from a relying party (Lax).
fn session_cookie(project: &str, value: &str, max_age: i64) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{}={value}; Path=/oidc/{project}/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax",
        crate::domain::oidc::SESSION_COOKIE
    ))
    .ok()
}

/// `main` of the authorize and logout functions: browser navigations
/// (often a form POST from the client's own site), answered with a
/// redirect or a page, so no CORS guard; errors answered once, here.
pub async fn serve_navigation<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut + Sync,
    Fut: std::future::Future<Output = super::request::Answer> + Send,
{
    let handler = &handler;
    lambda_http::run(lambda_http::service_fn(move |req: Request| async move {
        super::request::respond(handler(req).await)
    }))
    .await
}
