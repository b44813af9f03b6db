//! App Registrations in DynamoDB.
//!
//! - `REG#{id}`/`REGISTRATION`: the registration, listed through `gsi1`
//!   (`CLIENT#{client}#REGISTRATIONS`, `createdAt#id`). Every write is a
//!   conditional put on `version`: optimistic locking, so two results
//!   reported at once never overwrite each other.
//! - `ANALYTICS#{flow}`/`DAY#{YYYY-MM-DD}`: counters added in the same
//!   transaction as each registration write.
//! - `REGSEEN#{client}#{identifier}`/`COUNT` (30 days) and
//!   `REGIP#{client}#{ip}`/`HOUR#{hour}` (2 hours): reuse counters for the
//!   red flags.

use super::error::storage_error;
use super::limits::charge_update;
use super::logins::session_item;
use super::transact::{is_condition_failure, refused_charge, transact};
use super::{from_item, keys, number_attr, query_all, string_attr, to_item, Item, LIST_INDEX};
use crate::domain::limits::LimitCharge;
use crate::domain::registration::{AnalyticsDelta, DayCounters, Registration};
use crate::domain::{ClientId, Timestamp};
use crate::error::{Error, Result};
use crate::ports::{
    NewSession, Page, RegistrationPage, RegistrationQuery, RegistrationStore, ReuseKeys,
    ReuseSignals, SaveOutcome,
};
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

const REG_SK: &str = "REGISTRATION";
const IDENTIFIER_WINDOW_SECONDS: i64 = 30 * 86_400;
const IP_WINDOW_SECONDS: i64 = 2 * 3_600;
const ANALYTICS_RETENTION_SECONDS: i64 = 400 * 86_400;

#[derive(Clone)]
pub struct DynamoRegistrationStore {
    client: Client,
    table: String,
    /// How long a registration is kept after it expires, for audit.
    retention_seconds: i64,
}

fn reg_key(id: &str) -> Item {
    HashMap::from([
        ("pk".to_string(), string_attr(format!("REG#{id}"))),
        ("sk".to_string(), string_attr(REG_SK)),
    ])
}

fn seen_key(client: &str, identifier: &str) -> Item {
    HashMap::from([
        (
            "pk".to_string(),
            string_attr(format!("REGSEEN#{client}#{identifier}")),
        ),
        ("sk".to_string(), string_attr("COUNT")),
    ])
}

fn ip_key(client: &str, ip: &str, hour: &str) -> Item {
    HashMap::from([
        (
            "pk".to_string(),
            string_attr(format!("REGIP#{client}#{ip}")),
        ),
        ("sk".to_string(), string_attr(format!("HOUR#{hour}"))),
    ])
}

fn count_of(item: &Item) -> u64 {
    item.get("count")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

impl DynamoRegistrationStore {
    pub fn new(client: Client, table: impl Into<String>, retention_seconds: i64) -> Self {
        Self {
            client,
            table: table.into(),
            retention_seconds,
        }
    }

    fn item(&self, registration: &Registration) -> Result<Item> {
        let mut item = to_item(registration)?;
        item.extend(reg_key(&registration.id));
        item.insert(
            "gsi1pk".into(),
            string_attr(keys::tenant_list(&registration.client, "REGISTRATIONS")),
        );
        item.insert(
            "gsi1sk".into(),
            string_attr(format!("{}#{}", registration.created_at, registration.id)),
        );
        item.insert(
            "ttl".into(),
            number_attr(registration.expires_at.unix() + self.retention_seconds),
        );
        Ok(item)
    }

    fn counter(&self, key: Item, ttl: i64) -> Result<TransactWriteItem> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression("ADD #count :one SET #ttl = :ttl")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", number_attr(1))
            .expression_attribute_values(":ttl", number_attr(ttl))
            .build()
            .map_err(Error::internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn analytics_update(
        &self,
        registration: &Registration,
        delta: &AnalyticsDelta,
        now: Timestamp,
    ) -> Result<Option<TransactWriteItem>> {
        if delta.is_empty() {
            return Ok(None);
        }
        let mut names = HashMap::from([("#ttl".to_string(), "ttl".to_string())]);
        let mut values = HashMap::from([(
            ":ttl".to_string(),
            number_attr(now.unix() + ANALYTICS_RETENTION_SECONDS),
        )]);
        let mut adds = Vec::with_capacity(delta.len());
        for (i, (counter, amount)) in delta.iter().enumerate() {
            names.insert(format!("#c{i}"), counter.clone());
            values.insert(format!(":v{i}"), number_attr(*amount));
            adds.push(format!("#c{i} :v{i}"));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .key(
                "pk",
                string_attr(format!("ANALYTICS#{}", registration.project_flow)),
            )
            .key(
                "sk",
                string_attr(format!("DAY#{}", registration.cohort_day())),
            )
            .update_expression(format!("SET #ttl = :ttl ADD {}", adds.join(", ")))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(Error::internal)?;
        Ok(Some(TransactWriteItem::builder().update(update).build()))
    }

    /// Every item of `keys`, in `keys`' order, with one BatchGetItem per
    /// hundred keys (and a retry of whatever DynamoDB left unprocessed).
    async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>> {
        let mut found: Vec<Item> = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .map_err(Error::internal)?,
            );
            while let Some(request) = pending.take() {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(storage_error)?;
                if let Some(mut responses) = out.responses {
                    found.extend(responses.remove(&self.table).unwrap_or_default());
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys().is_empty());
            }
        }
        let position = |item: &Item| {
            keys.iter()
                .position(|k| k.get("pk") == item.get("pk") && k.get("sk") == item.get("sk"))
        };
        found.sort_by_key(|item| position(item).unwrap_or(usize::MAX));
        Ok(found)
    }
}

impl RegistrationStore for DynamoRegistrationStore {
    #[tracing::instrument(skip_all, fields(registration_id = %registration.id))]
    async fn create(
        &self,
        registration: &Registration,
        session: &NewSession<'_>,
        reuse: &ReuseKeys,
        analytics: &AnalyticsDelta,
    ) -> Result<Option<LimitCharge>> {
        let put = |item: Item| -> Result<TransactWriteItem> {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(Error::internal)?;
            Ok(TransactWriteItem::builder().put(put).build())
        };
        let mut items = vec![
            put(self.item(registration)?)?,
            put(session_item(session.login, session.codes, session.ttl)?)?,
        ];
        for identifier in &reuse.identifiers {
            items.push(self.counter(
                seen_key(&reuse.client, identifier),
                reuse.now.unix() + IDENTIFIER_WINDOW_SECONDS,
            )?);
        }
        if let Some(ip) = &reuse.ip_address {
            items.push(self.counter(
                ip_key(&reuse.client, ip, &reuse.hour),
                reuse.now.unix() + IP_WINDOW_SECONDS,
            )?);
        }
        items.extend(self.analytics_update(registration, analytics, reuse.now)?);
        let first_charge = items.len();
        for charge in session.charges {
            match charge_update(&self.table, charge)? {
                Some(update) => items.push(TransactWriteItem::builder().update(update).build()),
                None => return Ok(Some(charge.clone())),
            }
        }
        match transact(&self.client, items).await? {
            Ok(()) => Ok(None),
            Err(reasons) => match refused_charge(&reasons, first_charge, session.charges) {
                Some(charge) => Ok(Some(charge)),
                // Fresh ULIDs never collide; a refusal here is a fault.
                None => Err(Error::internal(format!(
                    "registration create cancelled: {reasons:?}"
                ))),
            },
        }
    }

    #[tracing::instrument(skip(self))]
    async fn get(&self, id: &str) -> Result<Option<Registration>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(reg_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(storage_error)?;
        out.item.map(from_item).transpose()
    }

    #[tracing::instrument(skip_all, fields(registration_id = %registration.id, version = registration.version))]
    async fn save(
        &self,
        registration: &Registration,
        analytics: &AnalyticsDelta,
    ) -> Result<SaveOutcome> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(self.item(registration)?))
            .condition_expression("#version = :previous")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(
                ":previous",
                number_attr(registration.version.saturating_sub(1)),
            )
            .build()
            .map_err(Error::internal)?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        items.extend(self.analytics_update(registration, analytics, registration.updated_at)?);
        match transact(&self.client, items).await? {
            Ok(()) => Ok(SaveOutcome::Saved),
            Err(reasons) if reasons.first().is_some_and(is_condition_failure) => {
                Ok(SaveOutcome::Stale)
            }
            Err(reasons) => Err(Error::internal(format!(
                "registration save cancelled: {reasons:?}"
            ))),
        }
    }

    #[tracing::instrument(skip_all)]
    async fn reuse_signals(&self, reuse: &ReuseKeys) -> Result<ReuseSignals> {
        let mut keys: Vec<Item> = reuse
            .identifiers
            .iter()
            .map(|i| seen_key(&reuse.client, i))
            .collect();
        let ip = reuse
            .ip_address
            .as_ref()
            .map(|ip| ip_key(&reuse.client, ip, &reuse.hour));
        keys.extend(ip.clone());
        let items = self.batch_get(keys).await?;
        let mut signals = ReuseSignals::default();
        for item in &items {
            let is_ip = ip.as_ref().is_some_and(|k| k.get("pk") == item.get("pk"));
            if is_ip {
                signals.ip_registrations_this_hour = count_of(item);
            } else {
                signals.identifier_registrations =
                    signals.identifier_registrations.max(count_of(item));
            }
        }
        Ok(signals)
    }

    /// One Query reads the keys of every match (about 8,000 per 1 MB page,
    /// so one call for most tenants) to give `total`; one BatchGetItem then
    /// reads the page's registrations.
    #[tracing::instrument(skip_all, fields(client = %client))]
    async fn list(&self, client: &ClientId, query: &RegistrationQuery) -> Result<RegistrationPage> {
        let mut names = HashMap::from([
            ("#pk".to_string(), "pk".to_string()),
            ("#sk".to_string(), "sk".to_string()),
            ("#gpk".to_string(), "gsi1pk".to_string()),
        ]);
        let mut values = HashMap::from([(
            ":gpk".to_string(),
            string_attr(keys::tenant_list(client.as_str(), "REGISTRATIONS")),
        )]);
        let mut key_condition = "#gpk = :gpk".to_string();
        if query.created_from.is_some() || query.created_to.is_some() {
            names.insert("#gsk".into(), "gsi1sk".into());
            let from = query
                .created_from
                .map(|t| t.to_string())
                .unwrap_or_else(|| "0".into());
            let to = query
                .created_to
                .map(|t| format!("{t}#~"))
                .unwrap_or_else(|| "~".into());
            values.insert(":from".into(), string_attr(from));
            values.insert(":to".into(), string_attr(to));
            key_condition.push_str(" AND #gsk BETWEEN :from AND :to");
        }
        let mut filters = Vec::new();
        if !query.statuses.is_empty() {
            names.insert("#status".into(), "status".into());
            let placeholders: Vec<String> = query
                .statuses
                .iter()
                .enumerate()
                .map(|(i, status)| {
                    values.insert(format!(":st{i}"), string_attr(status.as_str()));
                    format!(":st{i}")
                })
                .collect();
            filters.push(format!("#status IN ({})", placeholders.join(", ")));
        }
        if let Some(flow) = &query.project_flow {
            names.insert("#flow".into(), "projectFlow".into());
            values.insert(":flow".into(), string_attr(flow.clone()));
            filters.push("#flow = :flow".into());
        }
        if let Some(email) = &query.email_contains {
            names.insert("#email".into(), "email".into());
            values.insert(":email".into(), string_attr(email.clone()));
            filters.push("contains(#email, :email)".into());
        }
        let keys = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(LIST_INDEX)
                .key_condition_expression(&key_condition)
                .set_filter_expression((!filters.is_empty()).then(|| filters.join(" AND ")))
                .projection_expression("#pk, #sk")
                .set_expression_attribute_names(Some(names))
                .set_expression_attribute_values(Some(values))
                .scan_index_forward(!query.newest_first),
        )
        .await?;
        let page = Page::cut(keys, query.page, query.limit);
        let items = if page.items.is_empty() {
            Vec::new()
        } else {
            self.batch_get(page.items).await?
        };
        Page {
            items,
            total: page.total,
        }
        .try_map(from_item)
    }

    #[tracing::instrument(skip(self))]
    async fn analytics(&self, flow_id: &str, from: &str, to: &str) -> Result<Vec<DayCounters>> {
        let items = query_all(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", string_attr(format!("ANALYTICS#{flow_id}")))
                .expression_attribute_values(":from", string_attr(format!("DAY#{from}")))
                .expression_attribute_values(":to", string_attr(format!("DAY#{to}")))
                .consistent_read(true),
        )
        .await?;
        let mut days = Vec::with_capacity(items.len());
        for item in items {
            let day = item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .and_then(|sk| sk.strip_prefix("DAY#"))
                .unwrap_or_default()
                .to_string();
            let counters = item
                .iter()
                .filter(|(name, _)| name.as_str() != "ttl")
                .filter_map(|(name, value)| {
                    let number = value.as_n().ok()?.parse::<i64>().ok()?;
                    Some((name.clone(), number))
                })
                .collect();
            days.push(DayCounters { day, counters });
        }
        Ok(days)
    }
}
