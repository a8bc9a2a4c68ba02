//! SDK failures as store errors: throttling is the caller's to retry later; anything else is an
//! internal failure whose detail goes to the log.

use aws_sdk_cognitoidentityprovider::config::http::HttpResponse;
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::ports::StoreError;

/// The error codes Cognito and the SDK's retry layer use when the service sheds load.
/// (`LimitExceededException` is not one: in Cognito it is a per-user attempt limit.)
const THROTTLING: [&str; 7] = [
    "TooManyRequestsException",
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottledException",
    "RequestLimitExceeded",
    "SlowDown",
];

pub(super) fn is_throttling(code: Option<&str>) -> bool {
    code.is_some_and(|c| THROTTLING.contains(&c))
}

/// A throttle by its code, or by HTTP 429 when a proxy answered without one.
pub(super) fn throttled<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    is_throttling(e.code()) || e.raw_response().is_some_and(|r| r.status().as_u16() == 429)
}

pub(super) fn sdk_error<E>(operation: &str, pool: &str, e: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if throttled(&e) {
        tracing::warn!(operation, pool, "Cognito throttled the request");
        return StoreError::Throttled;
    }
    StoreError::Unavailable(format!(
        "{operation} on {pool}: {}",
        DisplayErrorContext(&e)
    ))
}

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
            assert!(is_throttling(Some(code)), "{code}");
        }
        assert!(!is_throttling(Some("LimitExceededException")));
        assert!(!is_throttling(Some("InvalidPasswordException")));
        assert!(!is_throttling(None));
    }
}
