//! Tenant lists, filtered. A list reads the tenant's records of one kind
//! from `gsi1` (`CLIENT#{client}#{KIND}`), or, when statuses are asked,
//! from `gsi2`, one partition per status (`CLIENT#{client}#{KIND}#STATUS#{s}`),
//! merged in list order. Both sort keys are `{createdAt}#{id}`: the
//! createdAt range and the cursor are the key condition; every other
//! filter narrows inside the partition (docs/data-model.md "Lists").

use super::{keys, query_up_to, string_attr, Item, LIST_INDEX};
use crate::error::Result;
use crate::ports::{ListFilter, ListStart, Populate};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

/// The kind of the tenant's login lists.
pub(crate) const LOGINS: &str = "LOGINS";

/// The index of a tenant's records by status.
pub const STATUS_INDEX: &str = "gsi2";

/// `gsi2pk` of a tenant's records of one kind in one status.
pub fn status_partition(client: &str, kind: &str, status: &str) -> String {
    format!("{}#STATUS#{status}", keys::tenant_list(client, kind))
}

/// The status index's keys of a record (the same sort key as `gsi1`).
pub fn status_keys(
    client: &str,
    kind: &str,
    status: &str,
    sort_key: String,
) -> [(String, AttributeValue); 2] {
    [
        (
            "gsi2pk".to_string(),
            string_attr(status_partition(client, kind, status)),
        ),
        ("gsi2sk".to_string(), string_attr(sort_key)),
    ]
}

/// `phoneDigits`, what `like_phone` searches: the number's digits with its
/// country code (`+57 300…` → `57300…`), so a part of either form matches.
pub const PHONE_DIGITS: &str = "phoneDigits";

pub fn phone_digits(country_code: Option<&str>, phone: Option<&str>) -> Option<AttributeValue> {
    let phone = phone?;
    let digits: String = [country_code.unwrap_or_default(), phone]
        .concat()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| string_attr(digits))
}

/// Where one kind of record keeps what the filters look at.
pub struct Fields {
    pub kind: &'static str,
    /// Document paths, each part its own name.
    pub email: &'static [&'static str],
    /// `where_type` or `where_currentStep`.
    pub login_type: Option<&'static str>,
    pub current_step: Option<&'static str>,
}

/// One list read: the matches in list order, at most as many as
/// `start.read_at_most(limit)`, each with `gsi1sk` (its place).
pub struct ListRead<'a> {
    pub client: &'a str,
    pub fields: &'a Fields,
    pub filter: &'a ListFilter,
    pub start: &'a ListStart,
    pub limit: u32,
    pub newest_first: bool,
    /// Read only the keys and the place (a BatchGetItem follows).
    pub keys_only: bool,
}

impl ListRead<'_> {
    /// One Query per partition (one, or one per status asked), run at
    /// once, each reading no more than the page can use.
    pub async fn run(&self, db: &Client, table: &str) -> Result<Vec<Item>> {
        let Some((low, high)) = self.bounds() else {
            return Ok(Vec::new());
        };
        let (index, pk, sk) = if self.filter.statuses.is_empty() {
            (LIST_INDEX, "gsi1pk", "gsi1sk")
        } else {
            (STATUS_INDEX, "gsi2pk", "gsi2sk")
        };
        let partitions: Vec<String> = if self.filter.statuses.is_empty() {
            vec![keys::tenant_list(self.client, self.fields.kind)]
        } else {
            self.filter
                .statuses
                .iter()
                .map(|s| status_partition(self.client, self.fields.kind, s))
                .collect()
        };
        let (filter, mut names, mut values) = self.narrowing();
        names.insert("#ipk".into(), pk.into());
        names.insert("#isk".into(), sk.into());
        values.insert(":low".into(), string_attr(low));
        values.insert(":high".into(), string_attr(high));
        let projection = self.keys_only.then(|| {
            names.insert("#pk".into(), "pk".into());
            names.insert("#sk".into(), "sk".into());
            names.insert("#place".into(), "gsi1sk".into());
            "#pk, #sk, #place".to_string()
        });
        // The cursor's own record is inside the inclusive range: one more.
        let at_most = self.start.read_at_most(self.limit);
        let mut reads = tokio::task::JoinSet::new();
        for partition in partitions {
            let mut values = values.clone();
            values.insert(":pk".into(), string_attr(partition));
            let query = db
                .query()
                .table_name(table)
                .index_name(index)
                .key_condition_expression("#ipk = :pk AND #isk BETWEEN :low AND :high")
                .set_filter_expression(filter.clone())
                .set_projection_expression(projection.clone())
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values))
                .scan_index_forward(!self.newest_first);
            reads.spawn(query_up_to(query, at_most + 1));
        }
        let mut found = Vec::new();
        while let Some(read) = reads.join_next().await {
            found.extend(read.map_err(crate::error::Error::internal)??);
        }
        let cursor = match self.start {
            ListStart::After(cursor) => Some(cursor.sort_key()),
            ListStart::Page(_) => None,
        };
        let place = |item: &Item| {
            item.get("gsi1sk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        found.retain(|item| cursor.as_ref() != Some(&place(item)));
        found.sort_by_cached_key(place);
        if self.newest_first {
            found.reverse();
        }
        found.truncate(at_most);
        Ok(found)
    }

    /// The sort-key range: the createdAt range, cut at the cursor. None
    /// when nothing can match.
    fn bounds(&self) -> Option<(String, String)> {
        let mut low = self
            .filter
            .created_from
            .map_or_else(|| "0".to_string(), |t| t.to_string());
        let mut high = self
            .filter
            .created_to
            .map_or_else(|| "~".to_string(), |t| format!("{t}#~"));
        if let ListStart::After(cursor) = self.start {
            let place = cursor.sort_key();
            if self.newest_first {
                high = high.min(place);
            } else {
                low = low.max(place);
            }
        }
        (low <= high).then_some((low, high))
    }

    /// The filter expression for everything the key does not decide.
    fn narrowing(
        &self,
    ) -> (
        Option<String>,
        HashMap<String, String>,
        HashMap<String, AttributeValue>,
    ) {
        let f = self.filter;
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut name = |attribute: &str| {
            let placeholder = format!("#f{}", names.len());
            names.insert(placeholder.clone(), attribute.to_string());
            placeholder
        };
        // (document path, value, substring rather than equal)
        let mut wanted: Vec<(Vec<&str>, String, bool)> = Vec::new();
        if let Some(v) = &f.project {
            wanted.push((vec!["project"], v.clone(), false));
        }
        if let Some(v) = &f.project_flow {
            wanted.push((vec!["projectFlow"], v.clone(), false));
        }
        if let (Some(attr), Some(v)) = (self.fields.login_type, &f.login_type) {
            wanted.push((vec![attr], v.clone(), false));
        }
        if let (Some(attr), Some(v)) = (self.fields.current_step, &f.current_step) {
            wanted.push((vec![attr], v.clone(), false));
        }
        if let Some(v) = &f.name_contains {
            wanted.push((vec!["nameLower"], v.clone(), true));
        }
        if let Some(v) = &f.email_contains {
            wanted.push((self.fields.email.to_vec(), v.clone(), true));
        }
        if let Some(v) = &f.phone_contains {
            wanted.push((vec![PHONE_DIGITS], v.clone(), true));
        }
        let mut expressions = Vec::new();
        for (path, value, contains) in wanted {
            let path: Vec<String> = path.iter().map(|part| name(part)).collect();
            let placeholder = format!(":v{}", values.len());
            values.insert(placeholder.clone(), string_attr(value));
            let path = path.join(".");
            expressions.push(if contains {
                format!("contains({path}, {placeholder})")
            } else {
                format!("{path} = {placeholder}")
            });
        }
        for exists in &f.must_exist {
            let attribute = match exists {
                Populate::EmailValidation => "emailValidation",
                Populate::PhoneValidation => "phoneValidation",
                Populate::BiometricValidation => "biometricValidation",
                Populate::AccessControlLog => "accessControlLog",
            };
            expressions.push(format!("attribute_exists({})", name(attribute)));
        }
        let expression = (!expressions.is_empty()).then(|| expressions.join(" AND "));
        (expression, names, values)
    }
}
