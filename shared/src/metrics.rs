//! What the service counts for the team on call, named once: the metric names, their dimensions and
//! every value a dimension takes. Written through the `metrics` facade: CloudWatch Embedded Metric
//! Format in the functions (`lambda_metrics`), Prometheus text on the runner (`GET /metrics`),
//! nothing where no recorder is installed (tests, benches).
//!
//! Every dimension is low-cardinality by construction (an operation, an outcome, a medium, a
//! function: closed enums below), so no login, address, code or client id can become one.
//!
//! Each request of an operation counts exactly one outcome. The use cases *note* the outcomes an
//! answer alone does not tell (a simulated delivery, the per-caller limit, a refused delivery, a
//! directory rather than a code-store failure); `measure` counts the last one noted, else the one
//! the answer implies.

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

use crate::domain::delivery::DeliveryMedium;
use crate::domain::error::CognitoError;
use crate::domain::operation::Operation as ApiOperation;

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "CognitoPasswordReset";

/// Requests by `Operation` and `Outcome`: one per request.
pub const REQUESTS: &str = "Requests";
/// Answers that were InternalErrorException, by `Operation`: the 500s a caller saw.
pub const INTERNAL_ERRORS: &str = "InternalErrors";
/// Codes handed to SES or SMS, by `Medium` (forgot-password and the custom sender).
pub const CODES_SENT: &str = "CodesSent";
/// How long SES or SMS took to accept a code, milliseconds, by `Medium`.
pub const DELIVERY_LATENCY: &str = "DeliveryLatency";
/// The password-changed notices after a reset, by `Outcome` (`sent`, `failed`, `no_channel`).
pub const NOTICES: &str = "PasswordChangedNotices";
/// Containers started, by `Function`.
pub const COLD_STARTS: &str = "ColdStarts";
/// Sign-outs owed after a password change, by `Outcome`: `recorded` for retries, `unrecorded`
/// (the reset answered an error), `ended` by a retry, `failed` retries.
pub const OWED_SIGN_OUTS: &str = "OwedSignOuts";
/// AWS calls a service answered with a throttle, by `Quota`: how close a storm runs to the
/// account's shared quotas, before any request is refused for it.
pub const THROTTLED_CALLS: &str = "ThrottledCalls";

/// Every metric name, for the template agreement test: an alarm names one of these.
pub const ALL: [&str; 8] = [
    REQUESTS,
    INTERNAL_ERRORS,
    CODES_SENT,
    DELIVERY_LATENCY,
    NOTICES,
    COLD_STARTS,
    OWED_SIGN_OUTS,
    THROTTLED_CALLS,
];

/// The dimension names.
pub const OPERATION: &str = "Operation";
pub const OUTCOME: &str = "Outcome";
pub const MEDIUM: &str = "Medium";
pub const FUNCTION: &str = "Function";
pub const QUOTA: &str = "Quota";

/// The quota a throttled call spent: Cognito's categories (per account and Region, shared with
/// every other use of the account's pools), or the other service by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    UserPoolRead,
    UserPoolClientRead,
    UserRead,
    UserList,
    UserAccountRecovery,
    UserUpdate,
    UserCreate,
    UserDelete,
    /// A Cognito operation of no category above.
    OtherCognito,
    DynamoDb,
    Other,
}

impl Quota {
    pub const ALL: [Quota; 11] = [
        Self::UserPoolRead,
        Self::UserPoolClientRead,
        Self::UserRead,
        Self::UserList,
        Self::UserAccountRecovery,
        Self::UserUpdate,
        Self::UserCreate,
        Self::UserDelete,
        Self::OtherCognito,
        Self::DynamoDb,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserPoolRead => "UserPoolRead",
            Self::UserPoolClientRead => "UserPoolClientRead",
            Self::UserRead => "UserRead",
            Self::UserList => "UserList",
            Self::UserAccountRecovery => "UserAccountRecovery",
            Self::UserUpdate => "UserUpdate",
            Self::UserCreate => "UserCreate",
            Self::UserDelete => "UserDelete",
            Self::OtherCognito => "OtherCognito",
            Self::DynamoDb => "DynamoDB",
            Self::Other => "Other",
        }
    }
}

/// What a request was: an API operation or a trigger invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Api(ApiOperation),
    CustomMessage,
    UserMigration,
    CustomSender,
}

impl Operation {
    pub const ALL: [Operation; 5] = [
        Self::Api(ApiOperation::ForgotPassword),
        Self::Api(ApiOperation::ConfirmForgotPassword),
        Self::CustomMessage,
        Self::UserMigration,
        Self::CustomSender,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api(operation) => operation.name(),
            Self::CustomMessage => "CustomMessage",
            Self::UserMigration => "UserMigration",
            Self::CustomSender => "CustomSender",
        }
    }
}

/// How a request ended, for the team on call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A code was issued and handed to SES or SMS (custom sender: the code was delivered).
    Issued,
    /// PreventUserExistenceErrors: a simulated answer, nothing sent.
    Simulated,
    /// The per-user request limit.
    UserLimit,
    /// The per-caller (address or device) limit: credential stuffing or SMS pumping starts here.
    CallerLimit,
    /// The delivery was refused by policy (sandbox, unverified recipient, opted out).
    DeliveryRefused,
    /// The delivery failed (the service or the network).
    DeliveryFailed,
    /// A password was reset.
    Confirmed,
    /// A wrong code (or a confirm against a decoy).
    Mismatch,
    /// An expired, superseded or spent code.
    Expired,
    /// The code's attempts were used up.
    TooManyAttempts,
    /// The pool (or the policy) refused the new password; the code stays usable.
    PasswordRefused,
    /// The directory (the user pool or the users table) failed.
    DirectoryError,
    /// The code store failed.
    StoreError,
    /// A service we call throttled us.
    Throttled,
    /// Refused before any work on a code: malformed, unknown client, bad SecretHash, and LEGACY's
    /// explicit user errors.
    Rejected,
    /// A trigger's output Cognito would not use, or a migration that failed.
    TriggerError,
    /// Anything else that answered InternalErrorException.
    InternalError,
    /// A trigger answered: a message rendered, a user migrated (custom message, user migration).
    Answered,
    /// A trigger source or request this function leaves to Cognito (nothing done).
    Ignored,
}

impl Outcome {
    pub const ALL: [Outcome; 19] = [
        Self::Issued,
        Self::Simulated,
        Self::UserLimit,
        Self::CallerLimit,
        Self::DeliveryRefused,
        Self::DeliveryFailed,
        Self::Confirmed,
        Self::Mismatch,
        Self::Expired,
        Self::TooManyAttempts,
        Self::PasswordRefused,
        Self::DirectoryError,
        Self::StoreError,
        Self::Throttled,
        Self::Rejected,
        Self::TriggerError,
        Self::InternalError,
        Self::Answered,
        Self::Ignored,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Simulated => "simulated",
            Self::UserLimit => "user_limit",
            Self::CallerLimit => "caller_limit",
            Self::DeliveryRefused => "delivery_refused",
            Self::DeliveryFailed => "delivery_failed",
            Self::Confirmed => "confirmed",
            Self::Mismatch => "mismatch",
            Self::Expired => "expired",
            Self::TooManyAttempts => "too_many_attempts",
            Self::PasswordRefused => "password_refused",
            Self::DirectoryError => "directory_error",
            Self::StoreError => "store_error",
            Self::Throttled => "throttled",
            Self::Rejected => "rejected",
            Self::TriggerError => "trigger_error",
            Self::InternalError => "internal_error",
            Self::Answered => "answered",
            Self::Ignored => "ignored",
        }
    }

    /// The outcome an answer implies when the use case noted none.
    pub fn of<T>(operation: Operation, answer: &Result<T, CognitoError>) -> Self {
        let Err(e) = answer else {
            return match operation {
                Operation::Api(ApiOperation::ForgotPassword) | Operation::CustomSender => {
                    Self::Issued
                }
                Operation::Api(ApiOperation::ConfirmForgotPassword) => Self::Confirmed,
                Operation::CustomMessage | Operation::UserMigration => Self::Answered,
            };
        };
        match e {
            CognitoError::LimitExceeded { .. } => Self::UserLimit,
            CognitoError::TooManyRequests(_) => Self::Throttled,
            CognitoError::CodeMismatch => Self::Mismatch,
            CognitoError::ExpiredCode => Self::Expired,
            CognitoError::TooManyFailedAttempts => Self::TooManyAttempts,
            CognitoError::InvalidPassword(_) | CognitoError::PasswordHistoryPolicyViolation(_) => {
                Self::PasswordRefused
            }
            CognitoError::CodeDeliveryFailure(_) => Self::DeliveryFailed,
            CognitoError::UserLambdaValidation { .. }
            | CognitoError::InvalidLambdaResponse(_)
            | CognitoError::UnexpectedLambda(_) => Self::TriggerError,
            CognitoError::InternalError => Self::InternalError,
            _ => Self::Rejected,
        }
    }
}

tokio::task_local! {
    /// The outcome the running request has noted so far.
    static NOTED: Cell<Option<Outcome>>;
}

/// Notes how the running request ends (the last note wins). Outside `measure`, nothing.
pub fn note(outcome: Outcome) {
    let _ = NOTED.try_with(|noted| noted.set(Some(outcome)));
}

/// Runs one request of `operation`, then counts its outcome (and an InternalErrorException).
pub async fn measure<T, F>(operation: Operation, request: F) -> Result<T, CognitoError>
where
    F: Future<Output = Result<T, CognitoError>>,
{
    let (answer, noted) = NOTED
        .scope(Cell::new(None), async {
            let answer = request.await;
            (answer, NOTED.with(Cell::get))
        })
        .await;
    count(
        operation,
        noted.unwrap_or_else(|| Outcome::of(operation, &answer)),
    );
    if matches!(answer, Err(CognitoError::InternalError)) {
        metrics::counter!(INTERNAL_ERRORS, OPERATION => operation.as_str()).increment(1);
    }
    answer
}

/// Counts one request of `operation` that ended in `outcome`.
pub fn count(operation: Operation, outcome: Outcome) {
    metrics::counter!(REQUESTS, OPERATION => operation.as_str(), OUTCOME => outcome.as_str())
        .increment(1);
}

/// A code SES or SMS accepted, and how long it took.
pub fn code_sent(medium: DeliveryMedium, took: Duration) {
    metrics::counter!(CODES_SENT, MEDIUM => medium.as_str()).increment(1);
    metrics::histogram!(DELIVERY_LATENCY, MEDIUM => medium.as_str())
        .record(took.as_secs_f64() * 1000.0);
}

/// The password-changed notice after a reset: `sent`, `failed` or `no_channel`.
pub fn notice(outcome: &'static str) {
    metrics::counter!(NOTICES, OUTCOME => outcome).increment(1);
}

/// A sign-out owed after a password change: `recorded`, `unrecorded`, `ended`, `failed`.
pub fn sign_out_owed(outcome: &'static str) {
    metrics::counter!(OWED_SIGN_OUTS, OUTCOME => outcome).increment(1);
}

/// A container's first start, once per process.
pub fn cold_start(function: &'static str) {
    metrics::counter!(COLD_STARTS, FUNCTION => function).increment(1);
}

/// One AWS call a service throttled, against `quota`.
pub fn throttled_call(quota: Quota) {
    metrics::counter!(THROTTLED_CALLS, QUOTA => quota.as_str()).increment(1);
}

/// The units CloudWatch shows (a recorder that reads descriptions picks them up).
pub fn describe() {
    metrics::describe_histogram!(
        DELIVERY_LATENCY,
        metrics::Unit::Milliseconds,
        "time SES or SMS took to accept a code"
    );
    for counter in [
        REQUESTS,
        INTERNAL_ERRORS,
        CODES_SENT,
        NOTICES,
        COLD_STARTS,
        OWED_SIGN_OUTS,
        THROTTLED_CALLS,
    ] {
        metrics::describe_counter!(counter, metrics::Unit::Count, "");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_implies_an_outcome_and_success_depends_on_the_operation() {
        let ok: Result<(), CognitoError> = Ok(());
        assert_eq!(
            Outcome::of(Operation::Api(ApiOperation::ForgotPassword), &ok),
            Outcome::Issued
        );
        assert_eq!(
            Outcome::of(Operation::Api(ApiOperation::ConfirmForgotPassword), &ok),
            Outcome::Confirmed
        );
        let wrong: Result<(), _> = Err(CognitoError::CodeMismatch);
        assert_eq!(
            Outcome::of(Operation::Api(ApiOperation::ConfirmForgotPassword), &wrong),
            Outcome::Mismatch
        );
        let unknown: Result<(), _> = Err(CognitoError::ResourceNotFound("x".into()));
        assert_eq!(
            Outcome::of(Operation::Api(ApiOperation::ForgotPassword), &unknown),
            Outcome::Rejected
        );
    }

    #[tokio::test]
    async fn the_last_noted_outcome_wins_and_a_note_outside_a_request_is_dropped() {
        note(Outcome::Throttled);
        let seen = NOTED
            .scope(Cell::new(None), async {
                note(Outcome::StoreError);
                note(Outcome::CallerLimit);
                NOTED.with(Cell::get)
            })
            .await;
        assert_eq!(seen, Some(Outcome::CallerLimit));
    }

    #[test]
    fn dimension_values_are_distinct() {
        let mut seen: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), Outcome::ALL.len());
        let mut quotas: Vec<&str> = Quota::ALL.iter().map(|q| q.as_str()).collect();
        quotas.sort_unstable();
        quotas.dedup();
        assert_eq!(quotas.len(), Quota::ALL.len());
    }
}
