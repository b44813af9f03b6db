//! `GET /.well-known/jwks.json`: the public keys that verify Gatehouse's
//! tokens, for relying parties' JOSE libraries (RFC 7517). Public and
//! cacheable; a library that meets an unknown `kid` fetches it again, which
//! is what makes a rotation seamless (docs/rotation.md "Rotating the signing key").

use super::request::HandlerResult;
use super::response::json;
use crate::domain::token::TokenIssuer;
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::Request;

/// Five minutes: short against a rotation's settling time (the lifetime of
/// the longest token), long enough that relying parties rarely ask.
const CACHE_CONTROL: &str = "public, max-age=300";

pub async fn keys(tokens: &TokenIssuer, _req: Request) -> HandlerResult {
    let mut response = json(StatusCode::OK, &tokens.jwks());
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jwk-set+json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    Ok(response)
}
