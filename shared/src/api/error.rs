//! The one mapping from domain errors to HTTP.

use super::response::json;
use crate::error::{codes, Error};
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde_json::json;

fn cause_chain(err: &Error) -> String {
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}

pub fn error_response(err: &Error) -> Response<Body> {
    let (status, body) = match err {
        Error::InvalidInput { code, message } => (
            StatusCode::BAD_REQUEST,
            json!({"code": code, "message": message}),
        ),
        Error::MissingParameters(missing) => (
            StatusCode::BAD_REQUEST,
            json!({"code": "MissingParameter", "message": err.to_string(), "missing": missing}),
        ),
        Error::Unauthorized => (
            StatusCode::UNAUTHORIZED,
            json!({"code": "Unauthorized", "message": err.to_string()}),
        ),
        Error::Forbidden { code, message } => (
            StatusCode::FORBIDDEN,
            json!({"code": code, "message": message}),
        ),
        Error::NotFound { code, message } => (
            StatusCode::NOT_FOUND,
            json!({"code": code, "message": message}),
        ),
        Error::Conflict { code, message } => (
            StatusCode::CONFLICT,
            json!({"code": code, "message": message}),
        ),
        Error::Expired { code, message } => (
            StatusCode::PRECONDITION_FAILED,
            json!({"code": code, "message": message}),
        ),
        Error::UnsupportedMediaType { message } => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            json!({"code": "unsupported_media_type", "message": message}),
        ),
        Error::TooLarge { code, message } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"code": code, "message": message}),
        ),
        Error::CodeMismatch { attempts_remaining } => (
            StatusCode::FORBIDDEN,
            json!({
                "code": codes::OTP_DOES_NOT_MATCH,
                "message": "the code does not match",
                "attemptsRemaining": attempts_remaining,
            }),
        ),
        Error::TooManyRequests { code, message, .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            json!({"code": code, "message": message}),
        ),
        Error::Delivery {
            channel, login_id, ..
        } => (
            StatusCode::BAD_GATEWAY,
            json!({
                "code": "code_delivery_failed",
                "message": format!("the code could not be sent by {channel}; ask for a new one"),
                "loginId": login_id,
            }),
        ),
        Error::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"code": "service_unavailable", "message": "a backing service is unavailable; try again"}),
        ),
        Error::Internal(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"code": codes::INTERNAL_ERROR, "message": "internal error"}),
        ),
    };
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), error = %cause_chain(err), "request failed");
    } else {
        tracing::info!(
            status = status.as_u16(),
            code = body["code"].as_str().unwrap_or_default(),
            "request rejected"
        );
    }
    let mut response = json(status, &body);
    let headers = response.headers_mut();
    match err {
        Error::Unauthorized => {
            headers.insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        Error::TooManyRequests {
            retry_after: Some(seconds),
            ..
        } => {
            headers.insert(header::RETRY_AFTER, header::HeaderValue::from(*seconds));
        }
        Error::Unavailable(_) => {
            headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        _ => {}
    }
    response
}
