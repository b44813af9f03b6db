//! SDK errors to domain errors: what a caller can retry is `Unavailable`
//! (503), everything else is `Internal` (500, with the cause only in logs).

use crate::error::Error;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

const RETRYABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
];

pub(crate) fn storage_error<E, R>(err: SdkError<E, R>) -> Error
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let retryable = match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => service
            .err()
            .code()
            .is_some_and(|code| RETRYABLE_CODES.contains(&code)),
        _ => false,
    };
    let error = aws_sdk_dynamodb::error::DisplayErrorContext(err).to_string();
    tracing::error!(error = %error, retryable, "DynamoDB call failed");
    if retryable {
        Error::Unavailable(error.into())
    } else {
        Error::Internal(error.into())
    }
}
