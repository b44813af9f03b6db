//! Reading API Gateway requests: bearer keys, origin, path and JSON bodies.
//! Every malformed input becomes a 4xx naming the problem.

use super::error::error_response;
use crate::domain::login::RequestOrigin;
use crate::domain::{Channel, Email, Phone};
use crate::error::{codes, Error, Result};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::header;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

pub const MAX_BODY_BYTES: usize = 16 * 1024;

pub fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Whether the request comes from a page the stack served itself (the
/// hosted pages): its `Origin` is the scheme and `Host` it was sent to. Only
/// `https`, except on loopback (`make dev`, tests). A browser cannot send
/// another site's page with this `Origin`.
pub fn same_origin(req: &Request) -> bool {
    let header_text = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let (Some(origin), Some(host)) = (header_text(header::ORIGIN), header_text(header::HOST))
    else {
        return false;
    };
    let loopback = host.starts_with("127.0.0.1:") || host.starts_with("localhost:");
    origin.strip_prefix("https://") == Some(host)
        || (loopback && origin.strip_prefix("http://") == Some(host))
}

/// The caller's IP from the API Gateway request context, and user agent.
/// A hosted page's own requests carry no `web_origin`: the stack's own
/// origin is not a project's to allow or refuse.
pub fn origin(req: &Request) -> RequestOrigin {
    let ip_address = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.clone(),
        _ => None,
    };
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(256).collect());
    let web_origin = (!same_origin(req))
        .then(|| req.headers().get(header::ORIGIN))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .map(|o| o.chars().take(256).collect());
    RequestOrigin {
        ip_address,
        user_agent,
        web_origin,
    }
}

pub fn path_param(req: &Request, name: &str) -> Option<String> {
    req.path_parameters_ref()
        .and_then(|params| params.first(name))
        .map(str::to_string)
}

/// The body as a JSON object. It must be sent as `application/json`: a
/// `text/plain` body is what a cross-site form or `fetch` can send without
/// a CORS preflight. Duplicate keys, and control or format characters in
/// any string, are refused rather than silently resolved or stored.
pub fn json_object(req: &Request) -> Result<Map<String, Value>> {
    json_object_up_to(req, MAX_BODY_BYTES)
}

/// As `json_object`, for a body of up to `max_bytes` (images).
pub fn json_object_up_to(req: &Request, max_bytes: usize) -> Result<Map<String, Value>> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > max_bytes {
        return Err(Error::invalid(
            "body_too_large",
            format!("request body is over {max_bytes} bytes"),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid(
            "invalid_body",
            "request body must be a JSON object",
        ));
    }
    if !is_json(req) {
        return Err(Error::UnsupportedMediaType {
            message: "send the body as Content-Type: application/json".into(),
        });
    }
    match super::strict_json::parse(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::invalid(
            "invalid_body",
            "request body must be a JSON object",
        )),
        Err(e) => Err(Error::invalid(
            "invalid_json",
            format!("request body is not valid JSON: {e}"),
        )),
    }
}

/// `application/json` or a `+json` type, with any parameters.
fn is_json(req: &Request) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A JSON object's fields, read with type checks that name the field.
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Self { map }
    }

    fn present(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// A string field; empty strings count as absent.
    pub fn string(&self, name: &'static str) -> Result<Option<String>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) if s.len() > 512 => Err(Error::invalid(
                codes::INVALID_PARAMETER,
                format!("{name} is too long"),
            )),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Error::invalid(
                codes::INVALID_PARAMETER,
                format!("{name} must be a string"),
            )),
        }
    }

    /// A string field of any length (base64 images; the body's own size
    /// limit bounds it), borrowed; empty strings count as absent.
    pub fn long_string(&self, name: &'static str) -> Result<Option<&'a str>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(Error::invalid(
                codes::INVALID_PARAMETER,
                format!("{name} must be a string"),
            )),
        }
    }

    /// A field that names one of a few values: present but empty is an
    /// error, not absent.
    pub fn keyword(&self, name: &'static str) -> Result<Option<String>> {
        match self.present(name) {
            Some(Value::String(s)) if s.is_empty() => Err(Error::invalid(
                codes::INVALID_PARAMETER,
                format!("{name} must not be empty"),
            )),
            _ => self.string(name),
        }
    }

    /// A free-text field, trimmed and cut to `max` characters: stored
    /// labels stay short whatever a caller sends.
    pub fn clipped(&self, name: &'static str, max: usize) -> Result<Option<String>> {
        Ok(self
            .string(name)?
            .map(|s| s.trim().chars().take(max).collect()))
    }

    /// A string or a whole number, as Verifik accepts `otp` and `phone`.
    pub fn digits(&self, name: &'static str) -> Result<Option<String>> {
        match self.present(name) {
            Some(Value::Number(num)) if num.is_u64() => Ok(Some(num.to_string())),
            Some(Value::Number(_)) => Err(Error::invalid(
                codes::INVALID_PARAMETER,
                format!("{name} must be a string of digits"),
            )),
            _ => self.string(name),
        }
    }
}

/// Collects every missing required field before failing, so the caller
/// learns all of them at once.
#[derive(Default)]
pub struct Missing(Vec<String>);

impl Missing {
    pub fn require<T>(&mut self, name: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.0.push(name.to_string());
        }
        value
    }

    pub fn check(&mut self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::MissingParameters(std::mem::take(&mut self.0)))
        }
    }
}

pub type HandlerResult = std::result::Result<Response<Body>, lambda_http::Error>;

/// What every handler returns: a response, or the domain error that
/// `respond` (applied once, in `cors::serve`) turns into one.
pub type Answer = Result<Response<Body>>;

/// A domain error becomes its HTTP answer.
pub fn answered(answer: Answer) -> Response<Body> {
    answer.unwrap_or_else(|e| error_response(&e))
}

/// `answered`, as the Lambda runtime takes it.
pub fn respond(answer: Answer) -> HandlerResult {
    Ok(answered(answer))
}

/// Fails on any query parameter not in `known`, and on a name without
/// `[]` given more than once (which value would count is not obvious).
pub fn reject_unknown(params: &QueryMap, known: &[&str]) -> Result<()> {
    reject_names(
        params.iter().map(|(k, _)| k),
        known,
        "unsupported_parameter",
        "unsupported query parameters",
    )?;
    let repeated: BTreeSet<&str> = params
        .iter()
        .map(|(k, _)| k)
        .filter(|k| !k.ends_with("[]") && params.all(k).is_some_and(|v| v.len() > 1))
        .collect();
    if repeated.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid(
            codes::INVALID_PARAMETER,
            format!(
                "given more than once: {}",
                repeated.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ))
    }
}

/// `type`: `email`, or `phone` (`sms`); an empty one is refused.
pub fn channel_field(fields: &Fields) -> Result<Option<Channel>> {
    match fields.keyword("type")?.as_deref() {
        None => Ok(None),
        Some("email") => Ok(Some(Channel::Email)),
        Some("phone") | Some("sms") => Ok(Some(Channel::Phone)),
        Some(other) => Err(Error::invalid(
            codes::INVALID_TYPE,
            format!("type {other:?} must be email or phone"),
        )),
    }
}

pub fn number_param(
    params: &QueryMap,
    name: &str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32> {
    let Some(raw) = params.first(name) else {
        return Ok(default);
    };
    match raw.trim().parse::<u32>() {
        Ok(v) if range.contains(&v) => Ok(v),
        _ => Err(Error::invalid(
            codes::INVALID_PARAMETER,
            format!(
                "{name} must be a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

/// The rule for bodies that may be left out: an empty body is `{}`;
/// anything else must be a JSON object.
pub fn optional_json_object(req: &Request) -> Result<Map<String, Value>> {
    if body_is_empty(req) {
        Ok(Map::new())
    } else {
        json_object(req)
    }
}

pub fn body_is_empty(req: &Request) -> bool {
    match req.body() {
        Body::Empty => true,
        Body::Text(t) => t.trim().is_empty(),
        Body::Binary(b) => b.iter().all(u8::is_ascii_whitespace),
        _ => true,
    }
}

/// `email` and/or `countryCode` + `phone`, as both create calls take them.
pub struct ContactFields {
    email: Option<String>,
    country_code: Option<String>,
    phone: Option<String>,
}

impl ContactFields {
    /// Reads the fields, noting in `missing` what a valid pair lacks.
    pub fn read(fields: &Fields, missing: &mut Missing) -> Result<Self> {
        let email = fields.string("email")?;
        let phone = fields.digits("phone")?;
        let country_code = fields.string("countryCode")?;
        match (&phone, &country_code) {
            (Some(_), None) => {
                missing.require::<()>("countryCode", None);
            }
            (None, Some(_)) => {
                missing.require::<()>("phone", None);
            }
            (None, None) if email.is_none() => {
                missing.require::<()>("email or countryCode+phone", None);
            }
            _ => {}
        }
        Ok(Self {
            email,
            country_code,
            phone,
        })
    }

    /// Validates and normalises them; call after `Missing::check`.
    pub fn parse(self) -> Result<(Option<Email>, Option<Phone>)> {
        let email = self.email.as_deref().map(Email::parse).transpose()?;
        let phone = match (self.country_code, self.phone) {
            (Some(cc), Some(number)) => Some(Phone::parse(&cc, &number)?),
            _ => None,
        };
        Ok((email, phone))
    }
}

/// Fails on any name not in `known`; `what` says where they came from.
fn reject_names<'a>(
    names: impl Iterator<Item = &'a str>,
    known: &[&str],
    code: &'static str,
    what: &str,
) -> Result<()> {
    let unknown: Vec<&str> = names.filter(|k| !known.contains(k)).collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid(
            code,
            format!(
                "{what}: {}; expected some of: {}",
                unknown.join(", "),
                known.join(", ")
            ),
        ))
    }
}

/// Fails on any body field not in `known`.
pub fn reject_unknown_fields(body: &Map<String, Value>, known: &[&str]) -> Result<()> {
    reject_names(
        body.keys().map(String::as_str),
        known,
        "unknown_field",
        "unknown fields",
    )
}

/// `language`: an ISO 639-1 code (`en`, `es`, …), lowercased.
pub fn language_field(fields: &Fields) -> Result<Option<String>> {
    match fields.string("language")? {
        None => Ok(None),
        Some(l) => {
            let l = l.trim().to_ascii_lowercase();
            if l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()) {
                Ok(Some(l))
            } else {
                Err(Error::invalid(
                    "invalid_language",
                    "language must be a two-letter ISO 639-1 code such as en or es",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same_origin;
    use lambda_http::http::header;
    use lambda_http::{Body, Request};

    fn request(origin: Option<&str>, host: Option<&str>) -> Request {
        let mut builder = lambda_http::http::Request::builder().uri("/v2/hosted/authorizations");
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        if let Some(host) = host {
            builder = builder.header(header::HOST, host);
        }
        builder.body(Body::Empty).unwrap()
    }

    #[test]
    fn only_a_page_of_the_stacks_own_origin_is_same_origin() {
        let api = "auth.example.com";
        assert!(same_origin(&request(
            Some("https://auth.example.com"),
            Some(api)
        )));
        assert!(same_origin(&request(
            Some("http://127.0.0.1:9000"),
            Some("127.0.0.1:9000")
        )));
        for (origin, host) in [
            (Some("http://auth.example.com"), Some(api)),
            (Some("https://evil.example"), Some(api)),
            (Some("https://auth.example.com.evil.example"), Some(api)),
            (Some("https://auth.example.com:8443"), Some(api)),
            (Some("http://127.0.0.1:9001"), Some("127.0.0.1:9000")),
            (Some("null"), Some(api)),
            (None, Some(api)),
            (Some("https://auth.example.com"), None),
        ] {
            assert!(!same_origin(&request(origin, host)), "{origin:?} {host:?}");
        }
    }
}
