//! Cognito failures: its throttling codes for the one SDK error mapping (`aws_errors`), and the
//! response without a field this adapter needs.

use crate::adapters::aws_errors::AwsService;
use crate::ports::StoreError;

/// Cognito as its failures are judged: the codes Cognito and the SDK's retry layer use when the
/// service sheds load. (`LimitExceededException` is not one: in Cognito it is a per-user attempt
/// limit.)
pub(super) const COGNITO: AwsService = AwsService {
    name: "Cognito",
    throttling: &[
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "SlowDown",
    ],
};

/// A response without a field this adapter needs: logged with the pool and field.
pub(super) fn malformed(pool: &str, key: &str, field: &str) -> StoreError {
    tracing::error!(pool, key, field, "unexpected Cognito response");
    StoreError::Malformed {
        key: format!("{pool}/{key}"),
        field: field.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttling_codes() {
        for code in [
            "TooManyRequestsException",
            "ThrottlingException",
            "Throttling",
        ] {
            assert!(COGNITO.is_throttling(Some(code)), "{code}");
        }
        assert!(!COGNITO.is_throttling(Some("LimitExceededException")));
        assert!(!COGNITO.is_throttling(Some("InvalidPasswordException")));
        assert!(!COGNITO.is_throttling(None));
    }
}
