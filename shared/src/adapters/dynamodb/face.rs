//! Face login's writes on a login item, and the face-failure counters.
//!
//! - A face step is one conditional update of the login, its condition the
//!   domain's `FaceGuard`: a replayed or concurrent submit of one session,
//!   or a second session started over a live one, fails it.
//! - A failed check also adds one to `LIMIT#{subject}` / `{window start}`
//!   for the identifier and the IP, in the same transaction, each on the
//!   condition that it stays under the limit. When a counter would reach
//!   the limit, that condition cancels the transaction, and a second one
//!   writes the same, the counts unconditionally and `LIMIT#{subject}` /
//!   `LOCK` with the lockout's end. So the usual failure is one write, a
//!   locking one two, and a failure is counted exactly when it is recorded.

use super::error::storage_error;
use super::limits::limit_key;
use super::listing::{status_partition, LOGINS};
use super::transact::{is_condition_failure, transact};
use super::{keys, number_attr, string_attr, Item};
use crate::domain::limits::FaceSubject;
use crate::domain::login::{FaceGuard, SessionGuard};
use crate::domain::{Login, Timestamp};
use crate::error::{Error, Result};
use crate::ports::{FaceFailure, FaceSaved};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

const LOCK_SK: &str = "LOCK";

fn value<T: serde::Serialize>(v: &T) -> Result<AttributeValue> {
    serde_dynamo::to_attribute_value(v).map_err(Error::internal)
}

/// The login's update, conditional on the guard.
fn login_update(table: &str, login: &Login, guard: &FaceGuard, ttl: Timestamp) -> Result<Update> {
    let mut set = vec![
        "#status = :status",
        "#steps = :steps",
        "#log = :log",
        "#bv = :bv",
        "#updatedAt = :now",
        "#ttl = :ttl",
    ];
    let mut values = HashMap::from([
        (":status".to_string(), value(&login.status)?),
        (":expected".to_string(), value(&guard.status)?),
        (":steps".to_string(), value(&login.steps)?),
        (":log".to_string(), value(&login.access_control_log)?),
        (":bv".to_string(), value(&login.biometric_validation)?),
        (
            ":now".to_string(),
            string_attr(login.updated_at.to_string()),
        ),
        (":ttl".to_string(), number_attr(ttl.unix())),
    ]);
    // A listed login moves to its status's list (registration sessions are
    // never listed).
    if login.registration.is_none() {
        set.push("gsi2pk = :statusList, gsi2sk = :place");
        values.insert(
            ":statusList".into(),
            string_attr(status_partition(
                &login.client,
                LOGINS,
                login.status.as_str(),
            )),
        );
        values.insert(
            ":place".into(),
            string_attr(format!("{}#{}", login.created_at, login.id)),
        );
    }
    if let Some(completed) = login.completed_at {
        set.push("completedAt = :completed");
        values.insert(":completed".into(), string_attr(completed.to_string()));
    }
    let mut names = HashMap::from([
        ("#status".to_string(), "status".to_string()),
        ("#steps".into(), "steps".into()),
        ("#log".into(), "accessControlLog".into()),
        ("#bv".into(), "biometricValidation".into()),
        ("#updatedAt".into(), "updatedAt".into()),
        ("#ttl".into(), "ttl".into()),
        ("#sid".into(), "sessionId".into()),
    ]);
    let session = match &guard.session {
        SessionGuard::Replaces(None) => "attribute_not_exists(#bv.#sid)",
        SessionGuard::Replaces(Some(previous)) => {
            values.insert(":sid".into(), string_attr(previous.clone()));
            "#bv.#sid = :sid"
        }
        SessionGuard::Uses(session) => {
            values.insert(":sid".into(), string_attr(session.clone()));
            names.insert("#used".into(), "usedAt".into());
            "#bv.#sid = :sid AND attribute_not_exists(#bv.#used)"
        }
    };
    Update::builder()
        .table_name(table)
        .key("pk", string_attr(keys::login(&login.id)))
        .key("sk", string_attr(keys::LOGIN_SK))
        .update_expression(format!("SET {}", set.join(", ")))
        .condition_expression(format!(
            "attribute_exists(pk) AND #status = :expected AND {session}"
        ))
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(Error::internal)
}

/// One more failure on a subject's counter; `under_limit` adds the
/// condition that the count stays below the lockout's threshold.
fn failure_count(
    table: &str,
    subject: &FaceSubject,
    failure: &FaceFailure,
    under_limit: bool,
) -> Result<Update> {
    let (start, end) = failure.lockout.window(failure.now);
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(limit_key(&subject.key, &start.to_string())))
        .update_expression("ADD #count :one SET #ttl = :ttl")
        .expression_attribute_names("#count", "count")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":one", number_attr(1))
        .expression_attribute_values(":ttl", number_attr(end.unix() + 60));
    if under_limit {
        update = update
            .condition_expression("attribute_not_exists(#count) OR #count < :last")
            .expression_attribute_values(":last", number_attr(subject.limit.saturating_sub(1)));
    }
    update.build().map_err(Error::internal)
}

fn lock(table: &str, subject: &FaceSubject, until: Timestamp) -> Result<Put> {
    Put::builder()
        .table_name(table)
        .set_item(Some(limit_key(&subject.key, LOCK_SK)))
        .item("until", string_attr(until.to_string()))
        .item("ttl", number_attr(until.unix() + 60))
        .build()
        .map_err(Error::internal)
}

pub(super) async fn save_face(
    client: &Client,
    table: &str,
    login: &Login,
    guard: &FaceGuard,
    ttl: Timestamp,
    failure: Option<&FaceFailure>,
) -> Result<FaceSaved> {
    let update = login_update(table, login, guard, ttl)?;
    let Some(failure) = failure else {
        // One item: a plain conditional update, at half a transaction's cost.
        let result = client
            .update_item()
            .table_name(table)
            .set_key(Some(update.key))
            .update_expression(update.update_expression)
            .set_condition_expression(update.condition_expression)
            .set_expression_attribute_names(update.expression_attribute_names)
            .set_expression_attribute_values(update.expression_attribute_values)
            .send()
            .await;
        return match result {
            Ok(_) => Ok(FaceSaved::Saved { locked_until: None }),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(FaceSaved::Refused)
            }
            Err(e) => Err(storage_error(e)),
        };
    };
    let mut items = vec![TransactWriteItem::builder().update(update.clone()).build()];
    for subject in &failure.subjects {
        let count = failure_count(table, subject, failure, true)?;
        items.push(TransactWriteItem::builder().update(count).build());
    }
    let reasons = match transact(client, items).await? {
        Ok(()) => return Ok(FaceSaved::Saved { locked_until: None }),
        Err(reasons) => reasons,
    };
    if reasons.first().is_some_and(is_condition_failure) {
        return Ok(FaceSaved::Refused);
    }
    // This failure reaches the limit for the subjects whose condition failed.
    let until = failure.now.plus_seconds(failure.lockout.lockout_seconds);
    let mut items = vec![TransactWriteItem::builder().update(update).build()];
    for (i, subject) in failure.subjects.iter().enumerate() {
        let count = failure_count(table, subject, failure, false)?;
        items.push(TransactWriteItem::builder().update(count).build());
        if reasons.get(i + 1).is_some_and(is_condition_failure) {
            items.push(
                TransactWriteItem::builder()
                    .put(lock(table, subject, until)?)
                    .build(),
            );
            tracing::warn!(subject = %subject_kind(&subject.key), "face checks locked out");
        }
    }
    Ok(match transact(client, items).await? {
        Ok(()) => FaceSaved::Saved {
            locked_until: Some(until),
        },
        Err(_) => FaceSaved::Refused,
    })
}

pub(super) async fn face_lockout(
    client: &Client,
    table: &str,
    subjects: &[FaceSubject],
) -> Result<Option<Timestamp>> {
    if subjects.is_empty() {
        return Ok(None);
    }
    let keys: Vec<Item> = subjects
        .iter()
        .map(|s| limit_key(&s.key, LOCK_SK))
        .collect();
    let out = client
        .batch_get_item()
        .request_items(
            table,
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .projection_expression("#until")
                .expression_attribute_names("#until", "until")
                .build()
                .map_err(Error::internal)?,
        )
        .send()
        .await
        .map_err(storage_error)?;
    // Two small items come back whole but under throttling; then the check
    // fails closed rather than skip a lock.
    if out.unprocessed_keys.as_ref().is_some_and(|u| !u.is_empty()) {
        return Err(Error::Unavailable("face lockout could not be read".into()));
    }
    Ok(out
        .responses
        .unwrap_or_default()
        .remove(table)
        .unwrap_or_default()
        .iter()
        .filter_map(|item| item.get("until")?.as_s().ok())
        .filter_map(|until| Timestamp::parse(until))
        .max())
}

/// `FACE#IDENT` or `FACE#IP`: never the identifier or address in a log.
fn subject_kind(subject: &str) -> &str {
    subject.splitn(3, '#').take(2).last().unwrap_or_default()
}
