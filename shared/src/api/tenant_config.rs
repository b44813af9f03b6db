//! The client's configuration under an `admin` API key: `/v2/projects`,
//! `/v2/project-flows` and `/v2/api-keys`. These functions check the key
//! against the table on every call (no cache): a revoked key stops at once.

use super::request::{
    bearer, body_is_empty, json_object, number_param, path_param, reject_unknown, respond,
    HandlerResult,
};
use super::response::{data, json};
use crate::domain::tenant_config::{FlowFields, NewApiKey, ProjectFields};
use crate::error::{Error, Result};
use crate::ports::{ConfigStore, Directory};
use crate::service::tenant_config::Page;
use crate::service::{Authenticator, TenantConfig};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::StatusCode;
use lambda_http::{Request, RequestExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// The body as `T`; serde names the unknown or mistyped field. A `null`
/// is refused: an absent field is left unchanged, and no field is cleared
/// by accident.
fn body<T: DeserializeOwned>(req: &Request) -> Result<T> {
    let object = json_object(req)?;
    let nulls: Vec<&str> = object
        .iter()
        .filter(|(_, v)| v.is_null())
        .map(|(k, _)| k.as_str())
        .collect();
    if !nulls.is_empty() {
        return Err(Error::invalid(
            "invalid_field",
            format!(
                "null is not a value for: {}; leave a field out to keep it unchanged",
                nulls.join(", ")
            ),
        ));
    }
    serde_json::from_value(Value::Object(object))
        .map_err(|e| Error::invalid("invalid_field", e.to_string()))
}

fn paging(params: &QueryMap, extra: &[&str]) -> Result<(u32, u32)> {
    let mut known = vec!["page", "limit"];
    known.extend_from_slice(extra);
    reject_unknown(params, &known)?;
    Ok((
        number_param(params, "page", 1, 1..=100_000)?,
        number_param(params, "limit", 10, 1..=100)?,
    ))
}

fn list_response<T: Serialize>(
    page: Page<T>,
    page_no: u32,
    limit: u32,
) -> lambda_http::Response<lambda_http::Body> {
    json(
        StatusCode::OK,
        &json!({
            "data": page.items,
            "total": page.total,
            "limit": limit,
            "page": page_no,
            "pages": page.total.div_ceil(u64::from(limit)),
        }),
    )
}

fn id(req: &Request) -> String {
    path_param(req, "id").unwrap_or_default()
}

/// `POST /v2/projects`
pub async fn create_project<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> HandlerResult {
    respond(
        async {
            let client = auth.admin(bearer(&req)).await?;
            let project = admin.create_project(&client, body(&req)?).await?;
            Ok(data(StatusCode::CREATED, project))
        }
        .await,
    )
}

/// `GET /v2/projects`
pub async fn list_projects<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> HandlerResult {
    respond(
        async {
            let client = auth.admin(bearer(&req)).await?;
            let (page_no, limit) = paging(&req.query_string_parameters(), &[])?;
            let page = admin.list_projects(&client, page_no, limit).await?;
            Ok(list_response(page, page_no, limit))
        }
        .await,
    )
}

/// `GET /v2/projects/{id}`
pub async fn get_project<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> HandlerResult {
    respond(
        async {
            let client = auth.admin(bearer(&req)).await?;
            reject_unknown(&req.query_string_parameters(), &[])?;
            Ok(data(
                StatusCode::OK,
                admin.project(&client, &id(&req)).await?,
            ))
        }
        .await,
    )
}

/// `PUT /v2/projects/{id}`: changes the fields given.
pub async fn update_project<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> HandlerResult {
    respond(
        async {
            let client = auth.admin(bearer(&req)).await?;
            let fields: ProjectFields = body(&req)?;
            Ok(data(
                StatusCode::OK,
                admin.update_project(&client, &id(&req), fields).await?,
            ))
        }
        .await,
    )
}

/// `DELETE /v2/projects/{id}`: archives it and its flows.
pub async fn delete_project<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> HandlerResult {
    respond(
        async {
            let client = auth.admin(bearer(&req)).await?;
            Ok(data(
                StatusCode::OK,
                admin.archive_project(&client, &id(&req)).await?,
            ))
        }
        .await,
    )
}

/// `POST /v2/project-flows`
pub async fn create_flow<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> HandlerResult {
    respond(
        async {
            let client = auth.admin(bearer(&req)).await?;
            let flow = admin.create_flow(&client, body(&req)?).await?;
            Ok(data(StatusCode::CREATED, flow))
        }
        .await,
    )
}

/// `GET /v2/project-flows` (`where_project` narrows to one project)
pub async fn list_flows<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> HandlerResult {
    respond(
        async {
            let client = auth.admin(bearer(&req)).await?;
            let params = req.query_string_parameters();
            let (page_no, limit) = paging(&params, &["where_project"])?;
            let page = admin
                .list_flows(&client, params.first("where_project"), page_no, limit)
                .await?;
            Ok(list_response(page, page_no, limit))
        }
        .await,
    )
}

/// `GET /v2/project-flows/{id}`
pub async fn get_flow<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> HandlerResult {
    respond(
        async {
            let client = auth.admin(bearer(&req)).await?;
            reject_unknown(&req.query_string_parameters(), &[])?;
            Ok(data(StatusCode::OK, admin.flow(&client, &id(&req)).await?))
        }
        .await,
    )
}

/// `PUT /v2/project-flows/{id}`: changes the fields given.
pub async fn update_flow<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> HandlerResult {
    respond(
        async {
            let client = auth.admin(bearer(&req)).await?;
            let fields: FlowFields = body(&req)?;
            Ok(data(
                StatusCode::OK,
                admin.update_flow(&client, &id(&req), fields).await?,
            ))
        }
        .await,
    )
}

/// `DELETE /v2/project-flows/{id}`: archives it.
pub async fn delete_flow<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> HandlerResult {
    respond(
        async {
            let client = auth.admin(bearer(&req)).await?;
            Ok(data(
                StatusCode::OK,
                admin.archive_flow(&client, &id(&req)).await?,
            ))
        }
        .await,
    )
}

/// `POST /v2/api-keys`: the key is in this answer only.
pub async fn create_api_key<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> HandlerResult {
    respond(
        async {
            let client = auth.admin(bearer(&req)).await?;
            let request = if body_is_empty(&req) {
                NewApiKey::default()
            } else {
                body(&req)?
            };
            let (key, info) = admin.create_api_key(&client, request).await?;
            let mut value = serde_json::to_value(info).map_err(Error::internal)?;
            value["apiKey"] = json!(key);
            Ok(data(StatusCode::CREATED, value))
        }
        .await,
    )
}

/// `GET /v2/api-keys`: prefixes only.
pub async fn list_api_keys<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> HandlerResult {
    respond(
        async {
            let client = auth.admin(bearer(&req)).await?;
            reject_unknown(&req.query_string_parameters(), &[])?;
            let keys = admin.list_api_keys(&client).await?;
            Ok(json(
                StatusCode::OK,
                &json!({ "data": keys, "total": keys.len() }),
            ))
        }
        .await,
    )
}

/// `DELETE /v2/api-keys/{id}` where `id` is the key's 12-character prefix.
pub async fn revoke_api_key<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> HandlerResult {
    respond(
        async {
            let client = auth.admin(bearer(&req)).await?;
            Ok(data(
                StatusCode::OK,
                admin.revoke_api_key(&client, &id(&req)).await?,
            ))
        }
        .await,
    )
}
