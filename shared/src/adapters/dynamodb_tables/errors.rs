//! SDK failures as store errors: throttling is the caller's to retry later; anything else is an
//! internal failure whose detail goes to the log.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::ports::StoreError;

/// The error codes DynamoDB uses when it sheds load, on an operation or a transaction item.
const THROTTLING: [&str; 5] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceeded",
    "ThrottlingError",
];

pub(super) fn is_throttling(code: Option<&str>) -> bool {
    code.is_some_and(|c| THROTTLING.contains(&c))
}

pub(crate) fn sdk_error<E, R>(operation: &str, table: &str, e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if is_throttling(e.code()) {
        tracing::warn!(operation, table, "DynamoDB throttled the request");
        return StoreError::Throttled;
    }
    StoreError::Unavailable(format!(
        "{operation} on {table}: {}",
        DisplayErrorContext(&e)
    ))
}

/// An item that does not have the shape this adapter writes: logged with its key and field.
pub(super) fn malformed(table: &str, key: &str, field: &str) -> StoreError {
    tracing::error!(table, key, field, "malformed DynamoDB item");
    StoreError::Malformed {
        key: format!("{table}/{key}"),
        field: field.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttling_codes() {
        for code in [
            "ProvisionedThroughputExceededException",
            "ThrottlingException",
            "RequestLimitExceeded",
            "ThrottlingError",
        ] {
            assert!(is_throttling(Some(code)), "{code}");
        }
        assert!(!is_throttling(Some("ConditionalCheckFailedException")));
        assert!(!is_throttling(None));
    }
}
