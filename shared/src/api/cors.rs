//! Cross-origin browser access, decided by Gatehouse itself so that a local
//! run (`cargo lambda watch --disable-cors`) behaves as a deployed stack:
//! - a preflight (`OPTIONS`) from a listed origin gets 204 with the allowed
//!   methods and headers; from any other origin 403, without CORS headers;
//! - an answer to a listed origin names that origin (never `*`, never
//!   `Access-Control-Allow-Credentials`), with `Vary: Origin`;
//! - a request whose `Origin` is not listed is refused with 403 before its
//!   handler runs, so no cross-site form or beacon reaches a handler.
//!
//! A request without `Origin` (a server, curl) is not a browser's and passes,
//! as does one from the stack's own origin (the hosted pages).

use super::error::error_response;
use super::request::{respond, same_origin, Answer, HandlerResult};
use super::response::strict_transport;
use super::verifik::with_translation_key;
use crate::error::{codes, Error};
use crate::settings::CorsConfig;
use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{service_fn, Body, Request, Response};
use std::future::Future;

/// What Verifik's web client sends (`timeout` on every call) and what ours do.
const ALLOWED_HEADERS: &str = "authorization, content-type, timeout";
const ALLOWED_METHODS: &str = "GET, POST, PUT, DELETE";
/// Browsers cap this anyway (Chromium at 2 h); ten minutes keeps a changed
/// list effective soon.
const MAX_AGE_SECONDS: &str = "600";

pub struct Cors {
    config: CorsConfig,
}

impl Cors {
    pub fn new(config: CorsConfig) -> Self {
        Self { config }
    }

    /// The request's origin when it is one the stack answers.
    fn listed<'a>(&self, req: &'a Request) -> Option<&'a HeaderValue> {
        let origin = req.headers().get(header::ORIGIN)?;
        let text = origin.to_str().ok()?;
        self.config
            .origins
            .iter()
            .any(|o| o == text)
            .then_some(origin)
    }

    /// 403 naming the origin refused and the setting that would admit it.
    /// Behind a reverse proxy that sends the upstream's `Host` (nginx's
    /// default), the front end's origin is not the API's own: it must be
    /// listed too (docs/verifik.md "Using Verifik's front end").
    fn refused(req: &Request) -> Response<Body> {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .map(|o| o.chars().take(256).collect::<String>());
        let message = match origin {
            Some(origin) => format!(
                "the web origin {origin} may not call this API: add it to the stack's \
                 CorsAllowedOrigins parameter (GATEHOUSE_CORS_ORIGINS locally)"
            ),
            None => "a preflight needs an Origin".into(),
        };
        let mut response = error_response(&Error::Forbidden {
            code: codes::ORIGIN_NOT_ALLOWED,
            message,
        });
        vary(&mut response);
        response
    }

    /// `OPTIONS` on any path.
    pub fn preflight(&self, req: &Request) -> Response<Body> {
        let method_ok = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|m| m.to_str().ok())
            .is_some_and(|m| ALLOWED_METHODS.split(", ").any(|a| a == m));
        if !method_ok {
            let mut response = error_response(&Error::Forbidden {
                code: codes::ORIGIN_NOT_ALLOWED,
                message: format!("a preflight may ask for {ALLOWED_METHODS} only"),
            });
            vary(&mut response);
            return response;
        }
        let Some(origin) = self.listed(req) else {
            return Self::refused(req);
        };
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE_SECONDS),
        );
        vary(&mut response);
        strict_transport(response.headers_mut());
        response
    }

    /// Runs `handler` for a request with no `Origin` or a listed one, and
    /// names a listed origin in the answer.
    pub async fn guard<Fut>(
        &self,
        req: Request,
        handler: impl FnOnce(Request) -> Fut,
    ) -> HandlerResult
    where
        Fut: Future<Output = HandlerResult>,
    {
        if req.method() == Method::OPTIONS {
            return Ok(self.preflight(&req));
        }
        let origin = match req.headers().get(header::ORIGIN) {
            None => None,
            // The hosted pages call their own origin: not cross-origin.
            Some(_) if same_origin(&req) => None,
            Some(_) => match self.listed(&req) {
                Some(origin) => Some(origin.clone()),
                None => return Ok(Self::refused(&req)),
            },
        };
        let mut response = handler(req).await?;
        if let Some(origin) = origin {
            response
                .headers_mut()
                .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        vary(&mut response);
        strict_transport(response.headers_mut());
        Ok(response)
    }
}

/// Adds `Origin` to the answer's `Vary`, keeping what the handler put
/// there (the hosted assets vary by `Accept-Encoding`).
/// One header value: API Gateway's v2 answers carry one value per name.
fn vary(response: &mut Response<Body>) {
    let headers = response.headers_mut();
    let value = match headers.get(header::VARY).and_then(|v| v.to_str().ok()) {
        Some(earlier) => HeaderValue::from_str(&format!("{earlier}, Origin")).ok(),
        None => None,
    };
    headers.insert(
        header::VARY,
        value.unwrap_or(HeaderValue::from_static("Origin")),
    );
}

/// Every API function's `main`: the Lambda runtime loop with the stack's
/// CORS rules around `handler`, whose errors become their HTTP answers
/// here, once.
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut + Sync,
    Fut: Future<Output = Answer> + Send,
{
    serve_rendered(handler, respond).await
}

/// As `serve`, for the paths Verifik's own front end calls: an error's
/// `message` is its translation key (`verifik::with_translation_key`).
pub async fn serve_verifik<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut + Sync,
    Fut: Future<Output = Answer> + Send,
{
    serve_rendered(handler, |answer| with_translation_key(respond(answer))).await
}

async fn serve_rendered<F, Fut>(
    handler: F,
    render: fn(Answer) -> HandlerResult,
) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut + Sync,
    Fut: Future<Output = Answer> + Send,
{
    let cors = Cors::new(CorsConfig::from_env()?);
    let (cors, handler) = (&cors, &handler);
    lambda_http::run(service_fn(move |req: Request| async move {
        cors.guard(req, |req| async move { render(handler(req).await) })
            .await
    }))
    .await
}

/// The `OPTIONS` function: preflights for every path.
pub async fn serve_preflight() -> Result<(), lambda_http::Error> {
    let cors = Cors::new(CorsConfig::from_env()?);
    let cors = &cors;
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, lambda_http::Error>(cors.preflight(&req))
    }))
    .await
}
