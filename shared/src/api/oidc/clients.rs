//! `/v2/oauth-clients` under an `admin` API key: a client's secret is in
//! the answer that makes it (creation or rotation) and nowhere else.

use crate::api::listing::{envelope, path_id};
use crate::api::request::{bearer, body_is_empty, reject_unknown, Answer};
use crate::api::response::data;
use crate::api::tenant_config::{body, paging};
use crate::domain::oidc::{ClientFields, OAuthClient};
use crate::domain::Timestamp;
use crate::error::{Error, Result};
use crate::ports::{ConfigStore, Directory, OidcStore, Page};
use crate::service::oidc::OAuthClients;
use crate::service::Authenticator;
use lambda_http::http::StatusCode;
use lambda_http::{Request, RequestExt};
use serde::Deserialize;
use serde_json::{json, Value};

fn view(client: &OAuthClient) -> Result<Value> {
    serde_json::to_value(client.view(Timestamp::now())).map_err(Error::internal)
}

fn with_secret(client: &OAuthClient, secret: Option<String>) -> Result<Value> {
    let mut value = view(client)?;
    if let Some(secret) = secret {
        value["client_secret"] = json!(secret);
    }
    Ok(value)
}

/// `POST /v2/oauth-clients`
pub async fn create_client<D: Directory, S: OidcStore, C: ConfigStore>(
    auth: &Authenticator<D>,
    clients: &OAuthClients<S, C>,
    req: Request,
) -> Answer {
    let tenant = auth.admin(bearer(&req)).await?;
    let fields: ClientFields = body(&req)?;
    let (client, secret) = clients.create(&tenant, fields).await?;
    Ok(data(StatusCode::CREATED, with_secret(&client, secret)?))
}

/// `GET /v2/oauth-clients` (`where_project` narrows to one project)
pub async fn list_clients<D: Directory, S: OidcStore, C: ConfigStore>(
    auth: &Authenticator<D>,
    clients: &OAuthClients<S, C>,
    req: Request,
) -> Answer {
    let tenant = auth.admin(bearer(&req)).await?;
    let params = req.query_string_parameters();
    let paging = paging(&params, &["where_project"])?;
    let page = clients
        .list(
            &tenant,
            params.first("where_project"),
            paging.page,
            paging.limit,
        )
        .await?;
    let items = page.items.iter().map(view).collect::<Result<Vec<_>>>()?;
    let page = Page {
        items,
        total: page.total,
        total_capped: page.total_capped,
        next: page.next,
    };
    Ok(envelope(page, paging))
}

/// `GET /v2/oauth-clients/{id}`
pub async fn get_client<D: Directory, S: OidcStore, C: ConfigStore>(
    auth: &Authenticator<D>,
    clients: &OAuthClients<S, C>,
    req: Request,
) -> Answer {
    let tenant = auth.admin(bearer(&req)).await?;
    reject_unknown(&req.query_string_parameters(), &[])?;
    let client = clients.get(&tenant, &path_id(&req)).await?;
    Ok(data(StatusCode::OK, view(&client)?))
}

/// `PUT /v2/oauth-clients/{id}`: changes the fields given.
pub async fn update_client<D: Directory, S: OidcStore, C: ConfigStore>(
    auth: &Authenticator<D>,
    clients: &OAuthClients<S, C>,
    req: Request,
) -> Answer {
    let tenant = auth.admin(bearer(&req)).await?;
    let fields: ClientFields = body(&req)?;
    let client = clients.update(&tenant, &path_id(&req), fields).await?;
    Ok(data(StatusCode::OK, view(&client)?))
}

/// `DELETE /v2/oauth-clients/{id}`: archives it; its tokens stop refreshing.
pub async fn delete_client<D: Directory, S: OidcStore, C: ConfigStore>(
    auth: &Authenticator<D>,
    clients: &OAuthClients<S, C>,
    req: Request,
) -> Answer {
    let tenant = auth.admin(bearer(&req)).await?;
    let client = clients.archive(&tenant, &path_id(&req)).await?;
    Ok(data(StatusCode::OK, view(&client)?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Rotation {
    grace_seconds: Option<i64>,
}

/// `POST /v2/oauth-clients/{id}/secret`: a new secret, shown once; the old
/// one works for `graceSeconds` more (a day unless given).
pub async fn rotate_secret<D: Directory, S: OidcStore, C: ConfigStore>(
    auth: &Authenticator<D>,
    clients: &OAuthClients<S, C>,
    req: Request,
) -> Answer {
    let tenant = auth.admin(bearer(&req)).await?;
    let rotation: Rotation = if body_is_empty(&req) {
        Rotation::default()
    } else {
        body(&req)?
    };
    let (client, secret) = clients
        .rotate_secret(&tenant, &path_id(&req), rotation.grace_seconds)
        .await?;
    Ok(data(StatusCode::OK, with_secret(&client, Some(secret))?))
}
