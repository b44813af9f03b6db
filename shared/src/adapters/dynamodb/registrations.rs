//! App Registrations in DynamoDB.
//!
//! - `REG#{id}`/`REGISTRATION`: the registration, listed through `gsi1`
//!   (`CLIENT#{client}#REGISTRATIONS`, `createdAt#id`). Every write is a
//!   conditional put on `version`: optimistic locking, so two results
//!   reported at once never overwrite each other.
//! - `ANALYTICS#{flow}[#{shard}]`/`DAY#{YYYY-MM-DD}`: counters added in the
//!   same transaction as each registration write, split over eight shards
//!   by registration id (`analytics_key`); a read adds the shards up.
//! - `REGSEEN#{client}#{identifier}`/`COUNT` (30 days) and
//!   `REGIP#{client}#{ip}`/`HOUR#{hour}` (2 hours): reuse counters for the
//!   red flags.

use super::error::storage_error;
use super::limits::charge_update;
use super::listing::{self, status_keys, Fields, ListRead};
use super::logins::session_item;
use super::transact::{is_condition_failure, refused_charge, transact};
use super::{
    batch_get, from_item, keys, list_place, number_attr, query_all, string_attr, to_item, Item,
};
use crate::domain::limits::LimitCharge;
use crate::domain::operator::AuditEntry;
use crate::domain::registration::{AnalyticsDelta, DayCounters, Registration};
use crate::domain::{ClientId, Timestamp};
use crate::error::{Error, Result};
use crate::ports::{
    NewSession, Page, RegistrationPage, RegistrationQuery, RegistrationStore, ReuseKeys,
    ReuseSignals, SaveOutcome,
};
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

const REG_SK: &str = "REGISTRATION";
const IDENTIFIER_WINDOW_SECONDS: i64 = 30 * 86_400;
const IP_WINDOW_SECONDS: i64 = 2 * 3_600;
const ANALYTICS_RETENTION_SECONDS: i64 = 400 * 86_400;
/// One analytics item takes at most 500 transactional writes a second
/// (1,000 units, two per write); eight take one flow to 4,000 registration
/// writes a second. Shard 0 is the unsharded key of earlier counters.
const ANALYTICS_SHARDS: u64 = 8;

/// The analytics item of `flow` a registration's writes add to: always the
/// same shard for one registration, spread evenly over registrations.
fn analytics_key(flow: &str, registration_id: &str) -> String {
    let spread = registration_id
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    analytics_shard_key(flow, spread % ANALYTICS_SHARDS)
}

fn analytics_shard_key(flow: &str, shard: u64) -> String {
    crate::domain::limits::shard_key(&format!("ANALYTICS#{flow}"), shard)
}

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

const REGISTRATIONS: &str = "REGISTRATIONS";

/// Where a registration keeps what list filters look at.
const REGISTRATION_FIELDS: Fields = Fields {
    kind: REGISTRATIONS,
    email: &["email"],
    login_type: None,
    current_step: Some("currentStep"),
};

/// The name `like_name` searches: the full name, or the first and last.
fn listed_name(registration: &Registration) -> String {
    let name = registration.full_name.clone().unwrap_or_else(|| {
        [&registration.first_name, &registration.last_name]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    });
    name.to_lowercase()
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
            string_attr(keys::tenant_list(&registration.client, REGISTRATIONS)),
        );
        let place = format!("{}#{}", registration.created_at, registration.id);
        item.insert("gsi1sk".into(), string_attr(place.clone()));
        item.extend(status_keys(
            &registration.client,
            REGISTRATIONS,
            registration.status.as_str(),
            place,
        ));
        item.insert("nameLower".into(), string_attr(listed_name(registration)));
        if let Some(phone) = listing::phone_digits(
            registration.country_code.as_deref(),
            registration.phone.as_deref(),
        ) {
            item.insert(listing::PHONE_DIGITS.into(), phone);
        }
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
                string_attr(analytics_key(&registration.project_flow, &registration.id)),
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
        audit: Option<&AuditEntry>,
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
        if let Some(audit) = audit {
            items.push(super::operators::audit_put(&self.table, audit)?);
        }
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
        let items = batch_get(&self.client, &self.table, keys).await?;
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

    /// The keys of the matches from one Query per partition read (up to
    /// the count cap for a numbered page, one page after the cursor
    /// otherwise); one BatchGetItem then reads the page's registrations.
    #[tracing::instrument(skip_all, fields(client = %client))]
    async fn list(&self, client: &ClientId, query: &RegistrationQuery) -> Result<RegistrationPage> {
        let places = ListRead {
            client: client.as_str(),
            fields: &REGISTRATION_FIELDS,
            filter: &query.filter,
            start: &query.start,
            limit: query.limit,
            newest_first: query.newest_first,
            keys_only: true,
        }
        .run(&self.client, &self.table)
        .await?;
        let page = Page::select(places, &query.start, query.limit, list_place);
        let keys: Vec<Item> = page
            .items
            .iter()
            .map(|item| {
                let mut key = item.clone();
                key.remove("gsi1sk");
                key
            })
            .collect();
        let items = if keys.is_empty() {
            Vec::new()
        } else {
            batch_get(&self.client, &self.table, keys).await?
        };
        Page { items, ..page }.try_map(from_item)
    }

    /// One Query per shard, run at once; the days are added up over the
    /// shards, in day order.
    #[tracing::instrument(skip(self))]
    async fn analytics(&self, flow_id: &str, from: &str, to: &str) -> Result<Vec<DayCounters>> {
        let mut queries = tokio::task::JoinSet::new();
        for shard in 0..ANALYTICS_SHARDS {
            queries.spawn(query_all(
                self.client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                    .expression_attribute_values(
                        ":pk",
                        string_attr(analytics_shard_key(flow_id, shard)),
                    )
                    .expression_attribute_values(":from", string_attr(format!("DAY#{from}")))
                    .expression_attribute_values(":to", string_attr(format!("DAY#{to}")))
                    .consistent_read(true),
            ));
        }
        let mut days: std::collections::BTreeMap<String, HashMap<String, i64>> = Default::default();
        while let Some(items) = queries.join_next().await {
            for item in items.map_err(Error::internal)?? {
                let day = item
                    .get("sk")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|sk| sk.strip_prefix("DAY#"))
                    .unwrap_or_default()
                    .to_string();
                let counters = days.entry(day).or_default();
                for (name, value) in &item {
                    if matches!(name.as_str(), "pk" | "sk" | "ttl") {
                        continue;
                    }
                    if let Some(number) = value.as_n().ok().and_then(|n| n.parse::<i64>().ok()) {
                        *counters.entry(name.clone()).or_default() += number;
                    }
                }
            }
        }
        Ok(days
            .into_iter()
            .map(|(day, counters)| DayCounters {
                day,
                counters: counters.into_iter().collect(),
            })
            .collect())
    }
}
