//! `/v2/operators` and `/v2/audit-log`: the console's people and what was
//! done to them. An `admin` API key acts as an admin and the audit log names
//! it by its prefix; an operator's console session acts with its role.

use super::console::acting;
use super::listing::path_id;
use super::request::{reject_unknown, Answer};
use super::response::{data, json};
use super::tenant_config::body;
use crate::domain::operator::OperatorRole;
use crate::ports::{ConsoleSessionStore, Directory, OperatorStore};
use crate::service::console::Gate;
use crate::service::operators::Operators;
use lambda_http::http::StatusCode;
use lambda_http::{Request, RequestExt};
use serde::Deserialize;
use serde_json::json;

/// `POST /v2/operators`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOperator {
    email: String,
    role: OperatorRole,
}

/// `PUT /v2/operators/{email}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorChange {
    role: OperatorRole,
}

/// The email in the path, percent-decoded (`+` is a plus, not a space).
fn path_email(req: &Request) -> String {
    let raw = path_id(req);
    percent_encoding::percent_decode_str(&raw)
        .decode_utf8()
        .map(|e| e.into_owned())
        .unwrap_or(raw)
}

pub async fn invite<D: Directory, S: OperatorStore + ConsoleSessionStore>(
    gate: &Gate<D, S>,
    operators: &Operators<S>,
    req: Request,
) -> Answer {
    let (client, acting) = acting(gate, &req).await?;
    let request: NewOperator = body(&req)?;
    let invited = operators
        .invite(&client, &acting, &request.email, request.role)
        .await?;
    Ok(data(StatusCode::CREATED, invited))
}

pub async fn list<D: Directory, S: OperatorStore + ConsoleSessionStore>(
    gate: &Gate<D, S>,
    operators: &Operators<S>,
    req: Request,
) -> Answer {
    let (client, acting) = acting(gate, &req).await?;
    reject_unknown(&req.query_string_parameters(), &[])?;
    let listed = operators.list(&client, &acting).await?;
    Ok(json(
        StatusCode::OK,
        &json!({ "data": listed, "total": listed.len() }),
    ))
}

pub async fn change_role<D: Directory, S: OperatorStore + ConsoleSessionStore>(
    gate: &Gate<D, S>,
    operators: &Operators<S>,
    req: Request,
) -> Answer {
    let (client, acting) = acting(gate, &req).await?;
    let change: OperatorChange = body(&req)?;
    let changed = operators
        .change_role(&client, &acting, &path_email(&req), change.role)
        .await?;
    Ok(data(StatusCode::OK, changed))
}

pub async fn remove<D: Directory, S: OperatorStore + ConsoleSessionStore>(
    gate: &Gate<D, S>,
    operators: &Operators<S>,
    req: Request,
) -> Answer {
    let (client, acting) = acting(gate, &req).await?;
    let removed = operators
        .remove(&client, &acting, &path_email(&req))
        .await?;
    Ok(data(StatusCode::OK, removed))
}

/// `GET /v2/audit-log`: newest first, at most `AUDIT_PAGE` entries.
pub async fn audit_log<D: Directory, S: OperatorStore + ConsoleSessionStore>(
    gate: &Gate<D, S>,
    operators: &Operators<S>,
    req: Request,
) -> Answer {
    let (client, acting) = acting(gate, &req).await?;
    reject_unknown(&req.query_string_parameters(), &[])?;
    let entries = operators.audit_log(&client, &acting).await?;
    Ok(json(
        StatusCode::OK,
        &json!({ "data": entries, "total": entries.len() }),
    ))
}
