//! Abuse-limit counters: `LIMIT#{key}` / `{window start}`, `count` added
//! on the condition that it stays within the limit, `ttl` a minute after
//! the window ends. They join the transaction of the write they guard.

use super::{number_attr, string_attr, Item};
use crate::domain::limits::LimitCharge;
use crate::error::{Error, Result};
use aws_sdk_dynamodb::types::Update;
use std::collections::HashMap;

pub(crate) fn limit_key(key: &str, window: &str) -> Item {
    HashMap::from([
        ("pk".to_string(), string_attr(format!("LIMIT#{key}"))),
        ("sk".to_string(), string_attr(window)),
    ])
}

/// The conditional ADD for one charge. `None` when the charge alone is
/// over the limit, so it can never fit.
pub(crate) fn charge_update(table: &str, charge: &LimitCharge) -> Result<Option<Update>> {
    let Some(max_before) = charge.max_before() else {
        return Ok(None);
    };
    Update::builder()
        .table_name(table)
        .set_key(Some(limit_key(&charge.key, &charge.window())))
        .update_expression("ADD #count :amount SET #ttl = :ttl")
        .condition_expression("attribute_not_exists(#count) OR #count <= :max")
        .expression_attribute_names("#count", "count")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(":amount", number_attr(charge.amount))
        .expression_attribute_values(":max", number_attr(max_before))
        .expression_attribute_values(":ttl", number_attr(charge.window_end.unix() + 60))
        .build()
        .map(Some)
        .map_err(Error::internal)
}

/// Adds one verified code to an SMS tally (no condition: it only grows).
pub(crate) fn tally_validated(table: &str, key: &str, window: &str) -> Result<Update> {
    Update::builder()
        .table_name(table)
        .set_key(Some(limit_key(key, window)))
        .update_expression("ADD #validated :one")
        .expression_attribute_names("#validated", "validated")
        .expression_attribute_values(":one", number_attr(1))
        .build()
        .map_err(Error::internal)
}
