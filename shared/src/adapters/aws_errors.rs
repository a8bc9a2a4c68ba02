//! AWS SDK failures as store errors, once for every service: a throttle (one of the service's
//! throttling codes, or HTTP 429 when a proxy answered without a code) is the caller's to retry
//! later; anything else is an internal failure naming the operation and the resource, its detail
//! for the log; an item or response without the shape an adapter reads is malformed. Each
//! service's throttling codes are below, side by side.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::metrics::{self, Quota};
use crate::ports::StoreError;

/// Cognito: the codes Cognito and the SDK's retry layer use when the service sheds load.
/// (`LimitExceededException` is not one: in Cognito it is a per-user attempt limit.)
#[cfg(feature = "cognito")]
pub(crate) const COGNITO: AwsService = AwsService {
    name: "Cognito",
    quota: cognito_quota,
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

/// DynamoDB: the codes it uses when it sheds load, on an operation or a transaction item.
#[cfg(feature = "dynamodb")]
pub(crate) const DYNAMODB: AwsService = AwsService {
    name: "DynamoDB",
    quota: |_| Quota::DynamoDb,
    throttling: &[
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceeded",
        "ThrottlingError",
    ],
};

/// SQS: the codes it uses when it sheds load.
#[cfg(feature = "sqs")]
pub(crate) const SQS: AwsService = AwsService {
    name: "SQS",
    quota: |_| Quota::Other,
    throttling: &["ThrottlingException", "RequestThrottled", "Throttling"],
};

/// Cognito's quota category of each operation this service calls (Cognito's quotas page): the
/// account's requests per second, shared by every pool and every caller of the account.
#[cfg(feature = "cognito")]
pub(crate) fn cognito_quota(operation: &str) -> Quota {
    match operation {
        "DescribeUserPool" => Quota::UserPoolRead,
        "DescribeUserPoolClient" => Quota::UserPoolClientRead,
        "AdminGetUser" => Quota::UserRead,
        "ListUsers" => Quota::UserList,
        "AdminSetUserPassword" | "ForgotPassword" | "ConfirmForgotPassword" => {
            Quota::UserAccountRecovery
        }
        "AdminUserGlobalSignOut" | "AdminUpdateUserAttributes" => Quota::UserUpdate,
        "AdminCreateUser" => Quota::UserCreate,
        "AdminDeleteUser" => Quota::UserDelete,
        _ => Quota::OtherCognito,
    }
}

/// A service as its failures are judged: its name in logs, the quota each operation spends and
/// the codes it sheds load with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AwsService {
    pub name: &'static str,
    pub quota: fn(&str) -> Quota,
    pub throttling: &'static [&'static str],
}

impl AwsService {
    pub fn is_throttling(&self, code: Option<&str>) -> bool {
        code.is_some_and(|c| self.throttling.contains(&c))
    }

    /// A throttle by its code, or by HTTP 429.
    pub fn throttled<E: ProvideErrorMetadata>(&self, e: &SdkError<E, HttpResponse>) -> bool {
        self.is_throttling(e.code()) || e.raw_response().is_some_and(|r| r.status().as_u16() == 429)
    }

    /// `operation` on `resource` (a table, a pool) failed with `e`.
    pub fn store_error<E>(
        &self,
        operation: &str,
        resource: &str,
        e: SdkError<E, HttpResponse>,
    ) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        if self.throttled(&e) {
            self.note_throttle(operation, resource);
            return StoreError::Throttled;
        }
        StoreError::Unavailable(format!(
            "{operation} on {resource}: {}",
            DisplayErrorContext(&e)
        ))
    }

    /// `operation` on `resource` was throttled: logged and counted against its quota.
    pub fn note_throttle(&self, operation: &str, resource: &str) {
        let quota = (self.quota)(operation);
        tracing::warn!(
            operation,
            resource,
            quota = quota.as_str(),
            "{} throttled the request",
            self.name
        );
        metrics::throttled_call(quota);
    }

    /// An item or a response without the shape this adapter reads: logged with where and what.
    pub fn malformed(&self, resource: &str, key: &str, field: &str) -> StoreError {
        tracing::error!(
            resource,
            key,
            field,
            "malformed {} item or response",
            self.name
        );
        StoreError::Malformed {
            key: format!("{resource}/{key}"),
            field: field.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "cognito")]
    #[test]
    fn cognito_throttling_codes() {
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

    #[cfg(feature = "cognito")]
    #[test]
    fn cognito_operations_by_quota() {
        assert_eq!(cognito_quota("DescribeUserPool"), Quota::UserPoolRead);
        assert_eq!(
            cognito_quota("DescribeUserPoolClient"),
            Quota::UserPoolClientRead
        );
        assert_eq!(
            cognito_quota("AdminSetUserPassword"),
            Quota::UserAccountRecovery
        );
        assert_eq!(cognito_quota("AdminUserGlobalSignOut"), Quota::UserUpdate);
        assert_eq!(cognito_quota("ListUsers"), Quota::UserList);
    }

    #[cfg(feature = "dynamodb")]
    #[test]
    fn dynamodb_throttling_codes() {
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
