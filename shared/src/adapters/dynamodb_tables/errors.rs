//! DynamoDB failures: its throttling codes for the one SDK error mapping (`aws_errors`), and the
//! item that does not have the shape these adapters write.

use crate::adapters::aws_errors::AwsService;
use crate::ports::StoreError;

/// DynamoDB as its failures are judged: the codes it uses when it sheds load, on an operation or
/// a transaction item.
pub(crate) const DYNAMODB: AwsService = AwsService {
    name: "DynamoDB",
    throttling: &[
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceeded",
        "ThrottlingError",
    ],
};

/// An item that does not have the shape this adapter writes: logged with its key and field.
pub(crate) fn malformed(table: &str, key: &str, field: &str) -> StoreError {
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
            assert!(DYNAMODB.is_throttling(Some(code)), "{code}");
        }
        assert!(!DYNAMODB.is_throttling(Some("ConditionalCheckFailedException")));
        assert!(!DYNAMODB.is_throttling(None));
    }
}
