//! The hosted sign-in and sign-up pages (`GET /sign-in/{project}`, `GET
//! /sign-up/{project}`) and their two assets, compiled into the binary: no
//! bucket, no AWS client, nothing read per request. The page is a shell;
//! its script reads the project's public face (`GET /v2/projects/kyc`) and
//! calls the same public API any front end calls, from the stack's own
//! origin. Then `POST /v2/hosted/authorizations` turns the user's token
//! into a redirect with a one-time code, which the customer's backend
//! exchanges at `POST /v2/hosted/token` (service/hosted.rs).

use super::request::{
    bearer, json_object, path_param, reject_unknown_fields, Answer, Fields, Missing,
};
use super::response::data;
use crate::domain::authorization::RedirectMode;
use crate::error::{codes, Error};
use crate::ports::{Directory, LoginStore};
use crate::service::{Authenticator, CodeExchanges, HostedRedirects};
use crate::settings::HostedPagesConfig;
use flate2::write::GzEncoder;
use flate2::Compression;
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use std::io::Write;
use std::sync::OnceLock;

const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("app.css");
static SCRIPT_GZ: OnceLock<Vec<u8>> = OnceLock::new();
static STYLE_GZ: OnceLock<Vec<u8>> = OnceLock::new();

/// Pages are never cached (each carries this deployment's settings);
/// assets briefly, as a new deployment may change them.
const PAGE_CACHE: &str = "no-store";
const ASSET_CACHE: &str = "public, max-age=300";

/// What the pages may load and reach: their own two assets and API, the
/// project's logo over https, and the camera. Nothing inline, no frames.
fn content_security_policy(config: &HostedPagesConfig) -> String {
    let local = config.local_liveness_origin.as_deref().unwrap_or("");
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data: blob:; \
         connect-src 'self' {local}; media-src 'self' blob: mediastream:; form-action 'none'; \
         frame-ancestors 'none'; base-uri 'none'"
    )
    .replace("  ", " ")
}

/// `text` gzipped, once per container (API Gateway's HTTP APIs do not
/// compress; the script is 38 KB raw and about 10 KB gzipped).
fn gzipped(text: &'static str, cell: &'static OnceLock<Vec<u8>>) -> &'static [u8] {
    cell.get_or_init(|| {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder
            .write_all(text.as_bytes())
            .and_then(|()| encoder.finish())
            .expect("gzip into memory cannot fail")
    })
}

fn accepts_gzip(req: &Request) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.trim().split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// One embedded text, gzipped when the browser takes it.
fn text_answer(
    req: &Request,
    text: &'static str,
    cell: &'static OnceLock<Vec<u8>>,
    content_type: &'static str,
    cache: &'static str,
) -> Response<Body> {
    let gzip = accepts_gzip(req);
    let body = if gzip {
        Body::Binary(gzipped(text, cell).to_vec())
    } else {
        Body::Text(text.to_string())
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    if gzip {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn page(config: &HostedPagesConfig) -> Result<Response<Body>, Error> {
    let liveness = match &config.local_liveness_origin {
        Some(origin) => format!("local {origin}"),
        None => "amplify".to_string(),
    };
    let html = PAGE.replace("{{liveness}}", &liveness);
    let mut response = Response::new(Body::Text(html));
    let csp = HeaderValue::from_str(&content_security_policy(config)).map_err(Error::internal)?;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PAGE_CACHE));
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(self), microphone=(), geolocation=()"),
    );
    Ok(response)
}

/// A project id as every record id is: a ULID.
fn is_record_id(id: &str) -> bool {
    id.len() == 26 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `GET /sign-in/{project}`, `GET /sign-up/{project}`, `GET /hosted/{asset}`.
pub async fn serve(config: &HostedPagesConfig, req: Request) -> Answer {
    if let Some(asset) = path_param(&req, "asset") {
        return match asset.as_str() {
            "app.js" => Ok(text_answer(
                &req,
                SCRIPT,
                &SCRIPT_GZ,
                "text/javascript; charset=utf-8",
                ASSET_CACHE,
            )),
            "app.css" => Ok(text_answer(
                &req,
                STYLE,
                &STYLE_GZ,
                "text/css; charset=utf-8",
                ASSET_CACHE,
            )),
            _ => Err(Error::not_found("asset_not_found", "no such asset")),
        };
    }
    let project = path_param(&req, "project").unwrap_or_default();
    if !is_record_id(&project) {
        return Err(Error::not_found(
            codes::PROJECT_NOT_FOUND,
            "no project with this id",
        ));
    }
    page(config)
}

/// `POST /v2/hosted/authorizations` with the user's sign-in token:
/// `{redirectUri, state?}` → where to send the browser.
pub async fn authorize<S: LoginStore, D: Directory>(
    redirects: &HostedRedirects<S, D>,
    req: Request,
) -> Answer {
    let body = json_object(&req)?;
    reject_unknown_fields(&body, &["redirectUri", "state"])?;
    let fields = Fields::new(&body);
    let mut missing = Missing::default();
    let redirect_uri = missing.require("redirectUri", fields.string("redirectUri")?);
    missing.check()?;
    let state = fields.string("state")?;
    let authorized = redirects
        .authorize(
            bearer(&req),
            &redirect_uri.unwrap_or_default(),
            state.as_deref(),
        )
        .await?;
    Ok(data(
        StatusCode::CREATED,
        json!({
            "redirectTo": authorized.redirect_to,
            "mode": match authorized.mode {
                RedirectMode::Code => "code",
                RedirectMode::Token => "token",
            },
            "expiresAt": authorized.code_expires_at,
        }),
    ))
}

/// `POST /v2/hosted/token` (API key): `{code, redirectUri}` → the token.
pub async fn exchange<A: Directory, S: LoginStore>(
    auth: &Authenticator<A>,
    exchanges: &CodeExchanges<S>,
    req: Request,
) -> Answer {
    let client = auth.client(bearer(&req)).await?;
    // A body that is not a JSON object, or names no code, spends nothing.
    let body = json_object(&req)?;
    let fields = Fields::new(&body);
    let Some(code) = fields.clipped("code", 128)? else {
        return Err(Error::MissingParameters(vec!["code".into()]));
    };
    // From here on, every refusal spends the code: a missing, empty or
    // wrong redirectUri, or an unknown field.
    let redirect_uri = reject_unknown_fields(&body, &["code", "redirectUri"])
        .and_then(|()| fields.string("redirectUri"))
        .and_then(|uri| uri.ok_or_else(|| Error::MissingParameters(vec!["redirectUri".into()])));
    let redirect_uri = match redirect_uri {
        Ok(uri) => uri,
        Err(refusal) => {
            exchanges.spend(&client, &code).await?;
            return Err(refusal);
        }
    };
    let exchanged = exchanges.exchange(&client, &code, &redirect_uri).await?;
    let grant = &exchanged.grant;
    Ok(data(
        StatusCode::OK,
        json!({
            "token": exchanged.token,
            "tokenType": "Bearer",
            "expiresAt": grant.token_expires_at,
            "appLogin": grant.login_id,
            "appRegistration": grant.registration_id,
            "project": grant.project,
            "projectFlow": grant.project_flow,
        }),
    ))
}
