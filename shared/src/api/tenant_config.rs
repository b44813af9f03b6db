//! The client's configuration under an `admin` API key: `/v2/projects`,
//! `/v2/project-flows` and `/v2/api-keys`. These functions check the key
//! against the table on every call (no cache): a revoked key stops at once.

use super::listing::{self, envelope, path_id, Paging};
use super::request::{bearer, body_is_empty, json_object, reject_unknown, Answer};
use super::response::{data, json};
use crate::domain::tenant_config::{FlowFields, NewApiKey, ProjectFields};
use crate::domain::ClientId;
use crate::error::{Error, Result};
use crate::ports::{ConfigStore, Directory};
use crate::service::auth::key_prefix;
use crate::service::operators::Acting;
use crate::service::{Authenticator, TenantConfig};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::StatusCode;
use lambda_http::{Request, RequestExt};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// The body as `T`; serde names the unknown or mistyped field. A `null`
/// is refused: an absent field is left unchanged, and no field is cleared
/// by accident.
pub(crate) fn body<T: DeserializeOwned>(req: &Request) -> Result<T> {
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

pub(crate) fn paging(params: &QueryMap, extra: &[&str]) -> Result<Paging> {
    let mut known = vec!["page", "limit"];
    known.extend_from_slice(extra);
    reject_unknown(params, &known)?;
    listing::paging(params)
}

/// `POST /v2/projects`
pub async fn create_project<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> Answer {
    let client = auth.admin(bearer(&req)).await?;
    let project = admin.create_project(&client, body(&req)?).await?;
    Ok(data(StatusCode::CREATED, project))
}

/// `GET /v2/projects`
pub async fn list_projects<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> Answer {
    let client = auth.admin(bearer(&req)).await?;
    let paging = paging(&req.query_string_parameters(), &[])?;
    let page = admin
        .list_projects(&client, paging.page, paging.limit)
        .await?;
    Ok(envelope(page, paging))
}

/// `GET /v2/projects/{id}`
pub async fn get_project<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> Answer {
    let client = auth.admin(bearer(&req)).await?;
    reject_unknown(&req.query_string_parameters(), &[])?;
    Ok(data(
        StatusCode::OK,
        admin.project(&client, &path_id(&req)).await?,
    ))
}

/// `PUT /v2/projects/{id}`: changes the fields given.
pub async fn update_project<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> Answer {
    let client = auth.admin(bearer(&req)).await?;
    let fields: ProjectFields = body(&req)?;
    Ok(data(
        StatusCode::OK,
        admin
            .update_project(&client, &path_id(&req), fields)
            .await?,
    ))
}

/// `DELETE /v2/projects/{id}`: archives it and its flows.
pub async fn delete_project<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> Answer {
    let client = auth.admin(bearer(&req)).await?;
    Ok(data(
        StatusCode::OK,
        admin.archive_project(&client, &path_id(&req)).await?,
    ))
}

/// `POST /v2/project-flows`
pub async fn create_flow<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> Answer {
    let client = auth.admin(bearer(&req)).await?;
    let flow = admin.create_flow(&client, body(&req)?).await?;
    Ok(data(StatusCode::CREATED, flow))
}

/// `GET /v2/project-flows` (`where_project` narrows to one project)
pub async fn list_flows<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> Answer {
    let client = auth.admin(bearer(&req)).await?;
    let params = req.query_string_parameters();
    let paging = paging(&params, &["where_project"])?;
    let page = admin
        .list_flows(
            &client,
            params.first("where_project"),
            paging.page,
            paging.limit,
        )
        .await?;
    Ok(envelope(page, paging))
}

/// `GET /v2/project-flows/{id}`
pub async fn get_flow<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> Answer {
    let client = auth.admin(bearer(&req)).await?;
    reject_unknown(&req.query_string_parameters(), &[])?;
    Ok(data(
        StatusCode::OK,
        admin.flow(&client, &path_id(&req)).await?,
    ))
}

/// `PUT /v2/project-flows/{id}`: changes the fields given.
pub async fn update_flow<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> Answer {
    let client = auth.admin(bearer(&req)).await?;
    let fields: FlowFields = body(&req)?;
    Ok(data(
        StatusCode::OK,
        admin.update_flow(&client, &path_id(&req), fields).await?,
    ))
}

/// `DELETE /v2/project-flows/{id}`: archives it.
pub async fn delete_flow<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> Answer {
    let client = auth.admin(bearer(&req)).await?;
    Ok(data(
        StatusCode::OK,
        admin.archive_flow(&client, &path_id(&req)).await?,
    ))
}

/// The tenant and the admin key acting for it, as the audit log names it.
pub(crate) async fn admin_key<D: Directory>(
    auth: &Authenticator<D>,
    req: &Request,
) -> Result<(ClientId, Acting)> {
    let client = auth.admin(bearer(req)).await?;
    let prefix = key_prefix(bearer(req).unwrap_or_default());
    Ok((client, Acting::admin_key(&prefix)))
}

/// `POST /v2/api-keys`: the key is in this answer only.
pub async fn create_api_key<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> Answer {
    let (client, acting) = admin_key(auth, &req).await?;
    let request = if body_is_empty(&req) {
        NewApiKey::default()
    } else {
        body(&req)?
    };
    let (key, info) = admin.create_api_key(&client, acting.actor, request).await?;
    let mut value = serde_json::to_value(info).map_err(Error::internal)?;
    value["apiKey"] = json!(key);
    Ok(data(StatusCode::CREATED, value))
}

/// `GET /v2/api-keys`: prefixes only.
pub async fn list_api_keys<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> Answer {
    let client = auth.admin(bearer(&req)).await?;
    reject_unknown(&req.query_string_parameters(), &[])?;
    let keys = admin.list_api_keys(&client).await?;
    Ok(json(
        StatusCode::OK,
        &json!({ "data": keys, "total": keys.len() }),
    ))
}

/// `DELETE /v2/api-keys/{id}` where `id` is the key's 12-character prefix.
pub async fn revoke_api_key<D: Directory, C: ConfigStore>(
    auth: &Authenticator<D>,
    admin: &TenantConfig<C>,
    req: Request,
) -> Answer {
    let (client, acting) = admin_key(auth, &req).await?;
    Ok(data(
        StatusCode::OK,
        admin
            .revoke_api_key(&client, acting.actor, &path_id(&req))
            .await?,
    ))
}
