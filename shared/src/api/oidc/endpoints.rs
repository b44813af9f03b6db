//! The provider's endpoints, each a function of its own.

use super::{
    bearer_error, cookie, form_params, oauth_error, oauth_json, page, project_of, redirect,
    request_params, session_cookie,
};
use crate::api::request::{bearer, Answer};
use crate::api::response::json;
use crate::domain::oidc::{OAuthError, Params, SESSION_COOKIE};
use crate::error::Error;
use crate::ports::{Directory, LoginStore, OidcStore};
use crate::service::oidc::{
    Authorized, Authorizer, ClientCredentials, Discovery, LoggedOut, OidcFailure, OidcTokens,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};

/// `GET /oidc/{project}/.well-known/openid-configuration`
pub async fn discovery<D: Directory>(discovery: &Discovery<D>, req: Request) -> Answer {
    let metadata = discovery.metadata(&project_of(&req)).await?;
    let mut response = json(StatusCode::OK, &metadata);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}

/// `GET|POST /oidc/{project}/oauth2/authorize`
pub async fn authorize<S: OidcStore, D: Directory, L: LoginStore>(
    authorizer: &Authorizer<S, D, L>,
    req: Request,
) -> Answer {
    let params = match request_params(&req) {
        Ok(params) => params,
        Err(e) => return Ok(refused_page(&e)),
    };
    let session = cookie(&req, SESSION_COOKIE);
    match authorizer
        .authorize(&project_of(&req), &params, session)
        .await?
    {
        Authorized::Redirect(to) => Ok(redirect(&to)),
        Authorized::Refused(e) => Ok(refused_page(&e)),
    }
}

fn refused_page(e: &OAuthError) -> Response<Body> {
    page(
        StatusCode::BAD_REQUEST,
        "This sign-in link is not valid",
        &format!(
            "The app that sent you here is not set up for it ({}: {}).",
            e.error, e.description
        ),
    )
}

/// `POST /oidc/{project}/session` with the hosted page's sign-in token:
/// the OP session cookie, on the issuer's path.
pub async fn open_session<S: OidcStore, D: Directory, L: LoginStore>(
    authorizer: &Authorizer<S, D, L>,
    req: Request,
) -> Answer {
    let project = project_of(&req);
    let token = bearer(&req).ok_or(Error::Unauthorized)?;
    let claims = authorizer
        .session(&project, token)
        .ok_or(Error::Unauthorized)?;
    let now = crate::domain::Timestamp::now().unix();
    let cookie = session_cookie(&project, token, (claims.exp - now).max(0))
        .ok_or_else(|| Error::internal("a token is a valid cookie value"))?;
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(header::SET_COOKIE, cookie);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// RFC 6749 section 2.3.1: `Basic` carries the form-encoded id and secret.
fn basic_credentials(req: &Request) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| OAuthError::invalid_client())?;
    let Some((scheme, encoded)) = text.split_once(' ') else {
        return Err(OAuthError::invalid_client());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client());
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(OAuthError::invalid_client)?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(OAuthError::invalid_client)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

fn credentials(req: &Request, form: &Params) -> Result<ClientCredentials, OAuthError> {
    Ok(ClientCredentials {
        basic: basic_credentials(req)?,
        client_id: form.one("client_id")?.map(str::to_string),
        client_secret: form.one("client_secret")?.map(str::to_string),
    })
}

/// A protocol failure as the endpoint's own error; ours as every error is.
fn failure(f: OidcFailure, render: fn(&OAuthError) -> Response<Body>) -> Answer {
    match f {
        OidcFailure::OAuth(e) => Ok(render(&e)),
        OidcFailure::Service(e) => Err(e),
    }
}

macro_rules! or_render {
    ($value:expr, $render:expr) => {
        match $value {
            Ok(v) => v,
            Err(e) => return failure(e.into(), $render),
        }
    };
}

/// `POST /oidc/{project}/oauth2/token`
pub async fn token<S: OidcStore>(tokens: &OidcTokens<S>, req: Request) -> Answer {
    let project = project_of(&req);
    let form = or_render!(form_params(&req), oauth_error);
    let grant_type = or_render!(form.one("grant_type"), oauth_error);
    let Some(grant_type) = grant_type else {
        return Ok(oauth_error(&OAuthError::invalid_request(
            "grant_type is required",
        )));
    };
    if !matches!(grant_type, "authorization_code" | "refresh_token") {
        return Ok(oauth_error(&OAuthError::new(
            "unsupported_grant_type",
            "grant_type is authorization_code or refresh_token",
        )));
    }
    let credentials = or_render!(credentials(&req, &form), oauth_error);
    let client = or_render!(
        tokens.authenticate(&project, &credentials).await,
        oauth_error
    );
    let issued = if grant_type == "authorization_code" {
        let code = or_render!(form.one("code"), oauth_error);
        let redirect_uri = or_render!(form.one("redirect_uri"), oauth_error);
        let verifier = or_render!(form.one("code_verifier"), oauth_error);
        let Some(code) = code else {
            return Ok(oauth_error(&OAuthError::invalid_request(
                "code is required",
            )));
        };
        tokens
            .exchange_code(&project, &client, code, redirect_uri, verifier)
            .await
    } else {
        let refresh = or_render!(form.one("refresh_token"), oauth_error);
        let scope = or_render!(form.one("scope"), oauth_error);
        let Some(refresh) = refresh else {
            return Ok(oauth_error(&OAuthError::invalid_request(
                "refresh_token is required",
            )));
        };
        tokens.refresh(&project, &client, refresh, scope).await
    };
    let issued = or_render!(issued, oauth_error);
    let body = serde_json::to_value(&issued).map_err(Error::internal)?;
    Ok(oauth_json(StatusCode::OK, &body))
}

/// `GET|POST /oidc/{project}/oauth2/userinfo`: the token in the
/// `Authorization` header or (POST) the form body, never both.
pub async fn userinfo<S: OidcStore>(tokens: &OidcTokens<S>, req: Request) -> Answer {
    let project = project_of(&req);
    let header_token = bearer(&req).map(str::to_string);
    let body_token = if req.method() == lambda_http::http::Method::POST {
        let form = or_render!(form_params(&req), bearer_error);
        or_render!(form.one("access_token"), bearer_error).map(str::to_string)
    } else {
        None
    };
    let token = match (header_token, body_token) {
        (Some(_), Some(_)) => {
            return Ok(bearer_error(&OAuthError::invalid_request(
                "send the access token once: in the header or the body",
            )))
        }
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => {
            return Ok(bearer_error(&OAuthError::new(
                "invalid_token",
                "an access token is required",
            )))
        }
    };
    let info = or_render!(tokens.userinfo(&project, &token).await, bearer_error);
    Ok(oauth_json(StatusCode::OK, &info))
}

/// `POST /oidc/{project}/oauth2/revoke` (RFC 7009): 200 for any token the
/// client may name, known or not.
pub async fn revoke<S: OidcStore>(tokens: &OidcTokens<S>, req: Request) -> Answer {
    let project = project_of(&req);
    let form = or_render!(form_params(&req), oauth_error);
    let token = or_render!(form.one("token"), oauth_error);
    or_render!(form.one("token_type_hint"), oauth_error);
    let credentials = or_render!(credentials(&req, &form), oauth_error);
    let client = or_render!(
        tokens.authenticate(&project, &credentials).await,
        oauth_error
    );
    let Some(token) = token else {
        return Ok(oauth_error(&OAuthError::invalid_request(
            "token is required",
        )));
    };
    or_render!(tokens.revoke(&project, &client, token).await, oauth_error);
    let mut response = Response::new(Body::Empty);
    super::no_store(response.headers_mut());
    Ok(response)
}

/// `GET|POST /oidc/{project}/oauth2/logout` (RP-Initiated Logout 1.0).
pub async fn logout<S: OidcStore>(tokens: &OidcTokens<S>, req: Request) -> Answer {
    let project = project_of(&req);
    let params = match request_params(&req) {
        Ok(p) => p,
        Err(e) => return Ok(logout_refused(&e)),
    };
    let read = |name: &str| params.one(name);
    let (hint, client_id, uri, state) = match (
        read("id_token_hint"),
        read("client_id"),
        read("post_logout_redirect_uri"),
        read("state"),
    ) {
        (Ok(h), Ok(c), Ok(u), Ok(s)) => (h, c, u, s),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return Ok(logout_refused(&e))
        }
    };
    let outcome = match tokens.logout(&project, hint, client_id, uri, state).await {
        Ok(outcome) => outcome,
        Err(OidcFailure::OAuth(e)) => return Ok(logout_refused(&e)),
        Err(OidcFailure::Service(e)) => return Err(e),
    };
    let mut response = match outcome {
        LoggedOut::Redirect(to) => redirect(&to),
        LoggedOut::Page => page(
            StatusCode::OK,
            "You are signed out",
            "You can close this page.",
        ),
    };
    if let Some(clear) = session_cookie(&project, "", 0) {
        response.headers_mut().insert(header::SET_COOKIE, clear);
    }
    Ok(response)
}

fn logout_refused(e: &OAuthError) -> Response<Body> {
    page(
        StatusCode::BAD_REQUEST,
        "This sign-out link is not valid",
        &format!("{}: {}", e.error, e.description),
    )
}
