//! App Logins in DynamoDB.
//!
//! A login is one item (`LOGIN#{id}`/`LOGIN`) that also holds its code
//! hashes under `otp.<channel>.hash`, an attribute no reader ever returns.
//! While pending, its `ttl` is the code expiry, so abandoned sessions are
//! swept; once finished or attacked, `ttl` moves to the retention horizon.
//! A pointer item (`FLOW#{flow}`/`ACTIVE#{channel}#{identifier}`) finds the
//! pending login of an identifier, for re-sends and Verifik's validate form.

use super::error::storage_error;
use super::limits::{charge_update, limit_key, tally_validated};
use super::listing::{self, status_keys, status_partition, Fields, ListRead, LOGINS};
use super::transact::{is_condition_failure, refused_charge, transact};
use super::{batch_get, from_item, keys, list_place, number_attr, string_attr, to_item, Item};
use crate::domain::limits::LimitCharge;
use crate::domain::login::{AttemptRejected, ChannelFailure, ChannelSuccess, CodeReplacement};
use crate::domain::login::{StepType, ValidationStatus};
use crate::domain::{Channel, ClientId, CodeHash, Login, Timestamp};
use crate::error::{Error, Result};
use crate::ports::{
    AttemptOutcome, CreateOutcome, LoginPage, LoginQuery, LoginStore, NewCode, Page,
    ReplaceOutcome, SuccessOutcome,
};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

const COUNT_UPDATE: &str =
    "SET #v.#attempts = #v.#attempts + :one, #v.#updatedAt = :now, #updatedAt = :now";
const COUNT_CONDITION: &str =
    "#status = :pending AND #v.#status = :pending AND #v.#attempts < #v.#max";
/// A sign-in counts only on a sign-in session, a registration's check only
/// on that registration's: no attempt is spent on the wrong kind.
const SIGN_IN_SESSION: &str = "attribute_not_exists(#reg)";
const REGISTRATION_SESSION: &str = "#reg = :reg";
const REPLACE_UPDATE: &str = "SET #otp.#ch = :code, #v.#expiresAt = :expires, #v.#sentAt = :now, \
    #v.#delivery = :sent, #v.#updatedAt = :now, #updatedAt = :now, #log = list_append(#log, :events), #ttl = :ttl";
const REPLACE_CONDITION: &str =
    "#status = :pending AND #v.#status = :pending AND #v.#attempts < #v.#max \
    AND (#v.#sentAt <= :edge OR #v.#delivery = :failed)";
const POINTER_OWNED: &str = "attribute_not_exists(pk) OR login = :self";
const DELIVERY_FAILED_UPDATE: &str =
    "SET #v.#delivery = :failed, #log = list_append(#log, :events), #updatedAt = :now";

#[derive(Clone)]
pub struct DynamoLoginStore {
    client: Client,
    table: String,
}

/// Expression attribute names shared by every login update.
fn names(channel: Channel) -> HashMap<String, String> {
    [
        ("#status", "status"),
        ("#v", channel.validation_name()),
        ("#attempts", "attempts"),
        ("#max", "maxAttempts"),
        ("#updatedAt", "updatedAt"),
        ("#expiresAt", "expiresAt"),
        ("#sentAt", "sentAt"),
        ("#delivery", "deliveryStatus"),
        ("#log", "accessControlLog"),
        ("#steps", "steps"),
        ("#ts", "timestamp"),
        ("#otp", "otp"),
        ("#ch", channel.as_str()),
        ("#ttl", "ttl"),
        ("#reg", "registration"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// DynamoDB rejects unused placeholders: keep the ones the expressions use.
fn names_used_by(
    mut names: HashMap<String, String>,
    expressions: &[&str],
) -> HashMap<String, String> {
    names.retain(|k, _| expressions.iter().any(|e| e.contains(k.as_str())));
    names
}

fn value<T: serde::Serialize>(v: &T) -> Result<AttributeValue> {
    serde_dynamo::to_attribute_value(v).map_err(Error::internal)
}

fn hash_of(item: &Item, channel: Channel) -> Option<CodeHash> {
    let otp = item.get("otp")?.as_m().ok()?;
    let entry = otp.get(channel.as_str())?.as_m().ok()?;
    entry.get("hash")?.as_s().ok().map(|h| CodeHash(h.clone()))
}

fn code_entry(hash: &CodeHash) -> AttributeValue {
    AttributeValue::M(HashMap::from([(
        "hash".to_string(),
        string_attr(hash.0.clone()),
    )]))
}

/// Where a login keeps what list filters look at.
const LOGIN_FIELDS: Fields = Fields {
    kind: LOGINS,
    email: &["emailValidation", "email"],
    login_type: Some("type"),
    current_step: None,
};

/// A login or registration code session as an item, code hashes included.
/// Registration sessions are not listed with App Logins: no `gsi1` keys.
pub(crate) fn session_item(login: &Login, codes: &[NewCode], ttl: Timestamp) -> Result<Item> {
    let mut item = to_item(login)?;
    item.insert("pk".into(), string_attr(keys::login(&login.id)));
    item.insert("sk".into(), string_attr(keys::LOGIN_SK));
    if login.registration.is_none() {
        item.insert(
            "gsi1pk".into(),
            string_attr(keys::tenant_list(&login.client, LOGINS)),
        );
        let place = format!("{}#{}", login.created_at, login.id);
        item.insert("gsi1sk".into(), string_attr(place.clone()));
        item.extend(status_keys(
            &login.client,
            LOGINS,
            login.status.as_str(),
            place,
        ));
    }
    item.insert("nameLower".into(), string_attr(login.name.to_lowercase()));
    if let Some(phone) = login
        .phone_validation
        .as_ref()
        .and_then(|v| listing::phone_digits(v.country_code.as_deref(), v.phone.as_deref()))
    {
        item.insert(listing::PHONE_DIGITS.into(), phone);
    }
    item.insert("ttl".into(), number_attr(ttl.unix()));
    let otp = codes
        .iter()
        .map(|c| (c.channel.as_str().to_string(), code_entry(&c.hash)))
        .collect();
    item.insert("otp".into(), AttributeValue::M(otp));
    Ok(item)
}

impl DynamoLoginStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn login_key(&self, id: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_string(), string_attr(keys::login(id))),
            ("sk".to_string(), string_attr(keys::LOGIN_SK)),
        ])
    }

    fn pointer_put(
        &self,
        login: &Login,
        channel: Channel,
        identifier: &str,
        expires_at: Timestamp,
        now: Timestamp,
        stale_owner: Option<&str>,
    ) -> Result<TransactWriteItem> {
        let mut condition =
            "attribute_not_exists(pk) OR expiresAt < :now OR login = :self".to_string();
        let mut values = HashMap::from([
            (":now".to_string(), string_attr(now.to_string())),
            (":self".to_string(), string_attr(login.id.clone())),
        ]);
        if let Some(stale) = stale_owner {
            condition.push_str(" OR login = :stale");
            values.insert(":stale".into(), string_attr(stale));
        }
        let put = Put::builder()
            .table_name(&self.table)
            .item("pk", string_attr(keys::flow(&login.project_flow)))
            .item("sk", string_attr(keys::active(channel, identifier)))
            .item("login", string_attr(login.id.clone()))
            .item("expiresAt", string_attr(expires_at.to_string()))
            .item("ttl", number_attr(expires_at.unix()))
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(Error::internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Deletes a pointer only if it still points at `login_id`.
    fn pointer_delete(
        &self,
        flow: &str,
        channel: Channel,
        identifier: &str,
        login_id: &str,
    ) -> Result<Delete> {
        Delete::builder()
            .table_name(&self.table)
            .key("pk", string_attr(keys::flow(flow)))
            .key("sk", string_attr(keys::active(channel, identifier)))
            .condition_expression(POINTER_OWNED)
            .expression_attribute_values(":self", string_attr(login_id))
            .build()
            .map_err(Error::internal)
    }

    /// Releases the pointers of a finished login; a pointer already taken
    /// by a newer login is left alone.
    async fn release_pointers(
        &self,
        flow: &str,
        identifiers: &[(Channel, String)],
        login_id: &str,
    ) {
        for (channel, identifier) in identifiers {
            let result = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("pk", string_attr(keys::flow(flow)))
                .key("sk", string_attr(keys::active(*channel, identifier)))
                .condition_expression(POINTER_OWNED)
                .expression_attribute_values(":self", string_attr(login_id))
                .send()
                .await;
            if let Err(e) = result {
                tracing::debug!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(e), "pointer kept");
            }
        }
    }
}

impl LoginStore for DynamoLoginStore {
    #[tracing::instrument(skip_all, fields(login_id = %login.id))]
    async fn create(
        &self,
        login: &Login,
        codes: &[NewCode],
        ttl: Timestamp,
        stale_owner: Option<&str>,
        charges: &[LimitCharge],
    ) -> Result<CreateOutcome> {
        let login_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(session_item(login, codes, ttl)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(Error::internal)?;
        let mut items = vec![TransactWriteItem::builder().put(login_put).build()];
        for code in codes {
            let expires_at = login
                .validation(code.channel)
                .map(|v| v.expires_at)
                .unwrap_or(ttl);
            items.push(self.pointer_put(
                login,
                code.channel,
                &code.identifier,
                expires_at,
                login.created_at,
                stale_owner,
            )?);
        }
        let first_charge = items.len();
        for charge in charges {
            match charge_update(&self.table, charge)? {
                Some(update) => items.push(TransactWriteItem::builder().update(update).build()),
                None => return Ok(CreateOutcome::Limited(charge.clone())),
            }
        }
        match transact(&self.client, items).await? {
            Ok(()) => Ok(CreateOutcome::Created),
            Err(reasons) => {
                if let Some(charge) = refused_charge(&reasons, first_charge, charges) {
                    return Ok(CreateOutcome::Limited(charge));
                }
                let holder = reasons
                    .iter()
                    .skip(1)
                    .take(first_charge - 1)
                    .filter(|r| is_condition_failure(r))
                    .find_map(|r| {
                        r.item()
                            .and_then(|i| i.get("login"))
                            .and_then(|v| v.as_s().ok())
                            .cloned()
                    });
                match holder {
                    Some(login_id) => Ok(CreateOutcome::ActiveLoginExists { login_id }),
                    None => Err(Error::internal(format!(
                        "login create cancelled: {reasons:?}"
                    ))),
                }
            }
        }
    }

    #[tracing::instrument(skip_all, fields(key = %charge.key))]
    async fn charge(&self, charge: &LimitCharge) -> Result<bool> {
        let Some(update) = charge_update(&self.table, charge)? else {
            return Ok(false);
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(update.key))
            .update_expression(update.update_expression)
            .set_condition_expression(update.condition_expression)
            .set_expression_attribute_names(update.expression_attribute_names)
            .set_expression_attribute_values(update.expression_attribute_values)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(ctx))
                if matches!(
                    ctx.err(),
                    UpdateItemError::ConditionalCheckFailedException(_)
                ) =>
            {
                Ok(false)
            }
            Err(other) => Err(storage_error(other)),
        }
    }

    /// One GetItem for an unsharded tally (the default limits), one
    /// BatchGetItem for a sharded one.
    #[tracing::instrument(skip(self))]
    async fn sms_tally(&self, keys: &[String], window: &str) -> Result<(u64, u64)> {
        let items = match keys {
            [key] => self
                .client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(limit_key(key, window)))
                .consistent_read(true)
                .send()
                .await
                .map_err(storage_error)?
                .item
                .into_iter()
                .collect(),
            _ => {
                let keys = keys.iter().map(|key| limit_key(key, window)).collect();
                batch_get(&self.client, &self.table, keys).await?
            }
        };
        let number = |item: &Item, name: &str| -> u64 {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Ok(items.iter().fold((0, 0), |(sent, verified), item| {
            (
                sent + number(item, "count"),
                verified + number(item, "validated"),
            )
        }))
    }

    #[tracing::instrument(skip(self))]
    async fn get(&self, id: &str) -> Result<Option<Login>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(self.login_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(storage_error)?;
        out.item.map(from_item).transpose()
    }

    #[tracing::instrument(skip(self, identifier))]
    async fn find_active(
        &self,
        flow_id: &str,
        channel: Channel,
        identifier: &str,
    ) -> Result<Option<String>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", string_attr(keys::flow(flow_id)))
            .key("sk", string_attr(keys::active(channel, identifier)))
            .consistent_read(true)
            .send()
            .await
            .map_err(storage_error)?;
        Ok(out
            .item
            .and_then(|i| i.get("login").and_then(|v| v.as_s().ok()).cloned()))
    }

    #[tracing::instrument(skip(self, now))]
    async fn count_attempt(
        &self,
        id: &str,
        channel: Channel,
        registration: Option<&str>,
        now: Timestamp,
    ) -> Result<AttemptOutcome> {
        let kind = if registration.is_some() {
            REGISTRATION_SESSION
        } else {
            SIGN_IN_SESSION
        };
        let condition = format!("{COUNT_CONDITION} AND {kind}");
        let mut values = HashMap::from([
            (":one".to_string(), number_attr(1)),
            (":now".to_string(), string_attr(now.to_string())),
            (":pending".to_string(), string_attr("pending")),
        ]);
        if let Some(registration) = registration {
            values.insert(":reg".into(), string_attr(registration));
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.login_key(id)))
            .update_expression(COUNT_UPDATE)
            .condition_expression(&condition)
            .set_expression_attribute_names(Some(names_used_by(
                names(channel),
                &[COUNT_UPDATE, &condition],
            )))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let old = match result {
            Ok(out) => {
                let item = out.attributes.unwrap_or_default();
                let hash = hash_of(&item, channel)
                    .ok_or_else(|| Error::internal("pending validation without a code hash"))?;
                return Ok(AttemptOutcome::Counted {
                    login: Box::new(from_item(item)?),
                    hash,
                });
            }
            Err(SdkError::ServiceError(ctx))
                if matches!(
                    ctx.err(),
                    UpdateItemError::ConditionalCheckFailedException(_)
                ) =>
            {
                match ctx.into_err() {
                    UpdateItemError::ConditionalCheckFailedException(ex) => ex.item,
                    other => return Err(Error::internal(other)),
                }
            }
            Err(other) => return Err(storage_error(other)),
        };
        let Some(old) = old else {
            return Ok(AttemptOutcome::Rejected(AttemptRejected::NotFound));
        };
        let mut login: Login = from_item(old)?;
        if login.registration.as_deref() != registration {
            return Ok(AttemptOutcome::Rejected(AttemptRejected::NotFound));
        }
        // The domain's guard, run on the item the condition refused, says why.
        let why = login
            .count_attempt(channel, now)
            .err()
            .unwrap_or(AttemptRejected::Exhausted);
        Ok(AttemptOutcome::Rejected(why))
    }

    #[tracing::instrument(skip_all, fields(login_id = %login.id, channel = %success.channel))]
    async fn record_success(
        &self,
        login: &Login,
        success: &ChannelSuccess,
    ) -> Result<SuccessOutcome> {
        let step = login
            .step_index(StepType::for_channel(success.channel))
            .ok_or_else(|| Error::internal("login without a step for its channel"))?;
        let mut set = vec![
            "#v.#status = :validated".to_string(),
            "#v.#updatedAt = :now".into(),
            format!("#steps[{step}].#status = :completed"),
            format!("#steps[{step}].#ts = :now"),
            "#log = list_append(#log, :events)".into(),
            "#updatedAt = :now".into(),
        ];
        let mut names = names(success.channel);
        let mut values = HashMap::from([
            (":validated".to_string(), string_attr("validated")),
            (":pending".to_string(), string_attr("pending")),
            (":completed".to_string(), string_attr("completed")),
            (":now".to_string(), string_attr(success.now.to_string())),
            (
                ":events".to_string(),
                AttributeValue::L(vec![value(&success.event)?]),
            ),
        ]);
        let mut condition = vec![
            "#status = :pending".to_string(),
            "#v.#status = :pending".into(),
        ];
        for (i, other) in success.other_channels.iter().enumerate() {
            let placeholder = format!("#o{i}");
            names.insert(placeholder.clone(), other.validation_name().to_string());
            condition.push(if success.completes_login {
                format!("{placeholder}.#status = :validated")
            } else {
                format!("{placeholder}.#status <> :validated")
            });
        }
        let remove = if success.completes_login {
            set.push("#status = :validated".into());
            if login.registration.is_none() {
                set.push("gsi2pk = :statusList, gsi2sk = :place".into());
                values.insert(
                    ":statusList".into(),
                    string_attr(status_partition(&login.client, LOGINS, "validated")),
                );
                values.insert(
                    ":place".into(),
                    string_attr(format!("{}#{}", login.created_at, login.id)),
                );
            }
            set.push("completedAt = :now".into());
            set.push("#ttl = :ttl".into());
            values.insert(":ttl".into(), number_attr(success.ttl.unix()));
            "REMOVE #otp".to_string()
        } else {
            "REMOVE #otp.#ch".to_string()
        };
        let expression = format!("SET {} {remove}", set.join(", "));
        let condition = condition.join(" AND ");
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(self.login_key(&login.id)))
            .set_expression_attribute_names(Some(names_used_by(names, &[&expression, &condition])))
            .update_expression(expression)
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(Error::internal)?;
        let pointer = self.pointer_delete(
            &login.project_flow,
            success.channel,
            &success.identifier,
            &login.id,
        )?;
        let tally = match &success.sms_tally {
            Some((key, window)) => Some(
                TransactWriteItem::builder()
                    .update(tally_validated(&self.table, key, window)?)
                    .build(),
            ),
            None => None,
        };
        let mut items = vec![TransactWriteItem::builder().update(update.clone()).build()];
        items.extend(tally.clone());
        if login.registration.is_none() {
            items.push(TransactWriteItem::builder().delete(pointer).build());
        }
        match transact(&self.client, items).await? {
            Ok(()) => Ok(SuccessOutcome::Recorded),
            Err(reasons) if reasons.first().is_some_and(is_condition_failure) => {
                Ok(SuccessOutcome::Raced)
            }
            Err(_) => {
                // Only the pointer moved on (a newer login holds it): record
                // the success without touching it.
                let mut items = vec![TransactWriteItem::builder().update(update).build()];
                items.extend(tally);
                match transact(&self.client, items).await? {
                    Ok(()) => Ok(SuccessOutcome::Recorded),
                    Err(_) => Ok(SuccessOutcome::Raced),
                }
            }
        }
    }

    #[tracing::instrument(skip_all, fields(login_id = %login.id, channel = %failure.channel))]
    async fn record_failure(&self, login: &Login, failure: &ChannelFailure) -> Result<()> {
        let mut set = vec![
            "#log = list_append(#log, :events)".to_string(),
            "#updatedAt = :now".into(),
            "#ttl = :ttl".into(),
        ];
        let events = failure
            .events
            .iter()
            .map(value)
            .collect::<Result<Vec<_>>>()?;
        let mut values = HashMap::from([
            (":now".to_string(), string_attr(failure.now.to_string())),
            (":events".to_string(), AttributeValue::L(events)),
            (":ttl".to_string(), number_attr(failure.ttl.unix())),
        ]);
        let mut remove = String::new();
        if failure.locks_login {
            set.push("#status = :failed".into());
            if login.registration.is_none() {
                set.push("gsi2pk = :statusList, gsi2sk = :place".into());
                values.insert(
                    ":statusList".into(),
                    string_attr(status_partition(&login.client, LOGINS, "failed")),
                );
                values.insert(
                    ":place".into(),
                    string_attr(format!("{}#{}", login.created_at, login.id)),
                );
            }
            set.push("#v.#status = :failed".into());
            if let Some(step) = login.step_index(StepType::for_channel(failure.channel)) {
                set.push(format!("#steps[{step}].#status = :failed"));
                set.push(format!("#steps[{step}].#ts = :now"));
            }
            values.insert(":failed".into(), string_attr("failed"));
            remove = " REMOVE #otp".into();
        }
        let expression = format!("SET {}{remove}", set.join(", "));
        let names = names_used_by(names(failure.channel), &[&expression]);
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.login_key(&login.id)))
            .update_expression(expression)
            .condition_expression("attribute_exists(pk)")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await
            .map_err(storage_error)?;
        if failure.locks_login && login.registration.is_none() {
            self.release_pointers(&login.project_flow, &failure.identifiers, &login.id)
                .await;
        }
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(login_id = %login.id, channel = %replacement.channel))]
    async fn replace_code(
        &self,
        login: &Login,
        replacement: &CodeReplacement,
    ) -> Result<ReplaceOutcome> {
        let channel = replacement.channel;
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(self.login_key(&login.id)))
            .update_expression(REPLACE_UPDATE)
            .condition_expression(REPLACE_CONDITION)
            .set_expression_attribute_names(Some(names_used_by(
                names(channel),
                &[REPLACE_UPDATE, REPLACE_CONDITION],
            )))
            .expression_attribute_values(":code", code_entry(&replacement.hash))
            .expression_attribute_values(
                ":expires",
                string_attr(replacement.expires_at.to_string()),
            )
            .expression_attribute_values(":now", string_attr(replacement.now.to_string()))
            .expression_attribute_values(":sent", value(&replacement.delivery)?)
            .expression_attribute_values(":failed", string_attr("failed"))
            .expression_attribute_values(":pending", string_attr("pending"))
            .expression_attribute_values(
                ":edge",
                string_attr(replacement.cooldown_edge.to_string()),
            )
            .expression_attribute_values(
                ":events",
                AttributeValue::L(vec![value(&replacement.event)?]),
            )
            .expression_attribute_values(":ttl", number_attr(replacement.ttl.unix()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(Error::internal)?;
        let pointer = self.pointer_put(
            login,
            channel,
            &replacement.identifier,
            replacement.expires_at,
            replacement.now,
            None,
        )?;
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        // Registration sessions are found through their registration, never
        // by identifier.
        if login.registration.is_none() {
            items.push(pointer);
        }
        let first_charge = items.len();
        for charge in &replacement.charges {
            match charge_update(&self.table, charge)? {
                Some(update) => items.push(TransactWriteItem::builder().update(update).build()),
                None => return Ok(ReplaceOutcome::Limited(charge.clone())),
            }
        }
        let reasons = match transact(&self.client, items).await? {
            Ok(()) => return Ok(ReplaceOutcome::Replaced),
            Err(reasons) => reasons,
        };
        if let Some(charge) = refused_charge(&reasons, first_charge, &replacement.charges) {
            return Ok(ReplaceOutcome::Limited(charge));
        }
        let current = reasons
            .first()
            .filter(|r| is_condition_failure(r))
            .and_then(|r| r.item().cloned())
            .map(from_item::<Login>)
            .transpose()?;
        Ok(
            match current
                .as_ref()
                .and_then(|l| l.validation(channel).map(|v| (l.status, v)))
            {
                Some((crate::domain::LoginStatus::Pending, v))
                    if v.status == ValidationStatus::Pending && v.attempts < v.max_attempts =>
                {
                    ReplaceOutcome::TooSoon {
                        last_sent_at: v.sent_at,
                    }
                }
                // The login no longer qualifies, or a newer login took the identifier.
                _ => ReplaceOutcome::NotPending,
            },
        )
    }

    #[tracing::instrument(skip(self, event))]
    async fn mark_delivery_failed(
        &self,
        login_id: &str,
        channel: Channel,
        event: &crate::domain::AccessEvent,
    ) -> Result<()> {
        let names = names_used_by(names(channel), &[DELIVERY_FAILED_UPDATE]);
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.login_key(login_id)))
            .update_expression(DELIVERY_FAILED_UPDATE)
            .condition_expression("attribute_exists(pk)")
            .set_expression_attribute_names(Some(names))
            .expression_attribute_values(":failed", string_attr("failed"))
            .expression_attribute_values(":events", AttributeValue::L(vec![value(event)?]))
            .expression_attribute_values(":now", string_attr(event.at.to_string()))
            .send()
            .await
            .map_err(storage_error)?;
        Ok(())
    }

    /// One Query per partition read (docs/data-model.md "Lists"): a
    /// numbered page reads the matches up to the count cap (or the page's
    /// end), a cursor page one page of them after the cursor.
    #[tracing::instrument(skip_all, fields(client = %client))]
    async fn list(&self, client: &ClientId, query: &LoginQuery) -> Result<LoginPage> {
        let items = ListRead {
            client: client.as_str(),
            fields: &LOGIN_FIELDS,
            filter: &query.filter,
            start: &query.start,
            limit: query.limit,
            newest_first: query.newest_first,
            keys_only: false,
        }
        .run(&self.client, &self.table)
        .await?;
        Page::select(items, &query.start, query.limit, list_place).try_map(from_item)
    }

    #[tracing::instrument(skip_all, fields(login_id = %login.id))]
    async fn save_face(
        &self,
        login: &Login,
        guard: &crate::domain::login::FaceGuard,
        ttl: Timestamp,
        failure: Option<&crate::ports::FaceFailure>,
    ) -> Result<crate::ports::FaceSaved> {
        super::face::save_face(&self.client, &self.table, login, guard, ttl, failure).await
    }

    #[tracing::instrument(skip_all)]
    async fn face_lockout(
        &self,
        subjects: &[crate::domain::limits::FaceSubject],
    ) -> Result<Option<Timestamp>> {
        super::face::face_lockout(&self.client, &self.table, subjects).await
    }

    #[tracing::instrument(skip_all)]
    async fn save_grant(
        &self,
        grant: &crate::domain::authorization::AuthorizationGrant,
    ) -> Result<()> {
        super::grants::save(&self.client, &self.table, grant).await
    }

    #[tracing::instrument(skip_all)]
    async fn take_grant(
        &self,
        id: &str,
    ) -> Result<Option<crate::domain::authorization::AuthorizationGrant>> {
        super::grants::take(&self.client, &self.table, id).await
    }
}
