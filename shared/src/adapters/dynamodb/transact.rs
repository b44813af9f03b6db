//! TransactWriteItems, and reading why DynamoDB cancelled one: every
//! adapter whose write must be all-or-nothing goes through here.

use super::error::storage_error;
use crate::domain::limits::LimitCharge;
use crate::error::{Error, Result};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{CancellationReason, TransactWriteItem};
use aws_sdk_dynamodb::Client;

/// Writes `items` as one transaction: `Ok(Err(reasons))` when DynamoDB
/// cancelled it (one reason per item, in order), `Err` for any other fault.
pub(crate) async fn transact(
    client: &Client,
    items: Vec<TransactWriteItem>,
) -> Result<std::result::Result<(), Vec<CancellationReason>>> {
    match client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await
    {
        Ok(_) => Ok(Ok(())),
        Err(err) => cancellation(err).map(Err),
    }
}

/// The reasons' codes, for the error of a cancellation nobody expected.
pub(crate) fn codes_of(reasons: &[CancellationReason]) -> Vec<Option<&str>> {
    reasons.iter().map(|r| r.code()).collect()
}

pub(crate) fn is_condition_failure(reason: &CancellationReason) -> bool {
    reason.code() == Some("ConditionalCheckFailed")
}

/// The cancellation reasons of a cancelled transaction, or the error itself.
fn cancellation(
    err: SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> Result<Vec<CancellationReason>> {
    match err {
        SdkError::ServiceError(ctx)
            if matches!(
                ctx.err(),
                TransactWriteItemsError::TransactionCanceledException(_)
            ) =>
        {
            match ctx.into_err() {
                TransactWriteItemsError::TransactionCanceledException(ex) => {
                    Ok(ex.cancellation_reasons.unwrap_or_default())
                }
                other => Err(Error::internal(other)),
            }
        }
        other => Err(storage_error(other)),
    }
}

/// The first charge whose condition refused the transaction, if any.
pub(crate) fn refused_charge(
    reasons: &[CancellationReason],
    first_charge: usize,
    charges: &[LimitCharge],
) -> Option<LimitCharge> {
    charges
        .iter()
        .enumerate()
        .find(|(i, _)| {
            reasons
                .get(first_charge + i)
                .is_some_and(is_condition_failure)
        })
        .map(|(_, c)| c.clone())
}
