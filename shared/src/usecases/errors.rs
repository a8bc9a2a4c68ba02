//! Every answer the use cases turn into a Cognito error: port failures, redemption outcomes, a
//! trigger's unusable output, and the messages Cognito words them with. Detail goes to the log,
//! never to the caller.

use crate::domain::code::Redemption;
use crate::domain::error::CognitoError;
use crate::domain::migration::{INCORRECT_CREDENTIALS, USER_DOES_NOT_EXIST};
use crate::domain::pool::PreventUserExistenceErrors;
use crate::metrics::{self, Outcome};
use crate::ports::{DeliveryError, PasswordChangeError, StoreError};

use super::custom_message::CustomMessageError;

pub(super) const TOO_MANY_REQUESTS: &str = "Too many requests, please try again later.";
pub(super) const NOT_DELIVERED: &str =
    "The confirmation code could not be delivered. Try again later.";

/// A code-store failure.
pub(super) fn store_error(e: StoreError) -> CognitoError {
    failure(e, Outcome::StoreError)
}

/// A directory failure (the user pool, the users table).
pub(super) fn directory_error(e: StoreError) -> CognitoError {
    failure(e, Outcome::DirectoryError)
}

fn failure(e: StoreError, outcome: Outcome) -> CognitoError {
    match e {
        StoreError::Throttled => {
            metrics::note(Outcome::Throttled);
            tracing::warn!("store throttled the request");
            CognitoError::TooManyRequests(TOO_MANY_REQUESTS.into())
        }
        other => {
            metrics::note(outcome);
            tracing::error!(error = %other, "store failure");
            CognitoError::InternalError
        }
    }
}

/// Under PreventUserExistenceErrors=ENABLED a refusal (sandbox, unverified recipient, opted out)
/// is told to the caller as generically as any failure: the reason would describe the account's
/// destination. The reason (masked by the adapters) goes to the log; `doctor` shows the state.
pub(super) fn delivery_error(
    e: DeliveryError,
    prevent: PreventUserExistenceErrors,
) -> CognitoError {
    match e {
        DeliveryError::Refused(reason) => {
            metrics::note(Outcome::DeliveryRefused);
            tracing::warn!(%reason, "code delivery refused");
            match prevent {
                PreventUserExistenceErrors::Legacy => CognitoError::CodeDeliveryFailure(reason),
                PreventUserExistenceErrors::Enabled => {
                    CognitoError::CodeDeliveryFailure(NOT_DELIVERED.into())
                }
            }
        }
        DeliveryError::Throttled => {
            metrics::note(Outcome::Throttled);
            tracing::warn!("delivery service throttled the request");
            CognitoError::TooManyRequests(TOO_MANY_REQUESTS.into())
        }
        DeliveryError::Failed(detail) => {
            tracing::error!(%detail, "code delivery failed");
            CognitoError::CodeDeliveryFailure(NOT_DELIVERED.into())
        }
    }
}

/// A password change that did not (certainly) happen. A definite refusal keeps the code usable, so
/// its answer invites another try; anything that may have changed the password spent the code, so
/// the answer is the one that code gives from now on: request a new code.
pub(super) fn password_change_error(e: PasswordChangeError) -> CognitoError {
    match e {
        PasswordChangeError::Refused(rule) => {
            tracing::info!(%rule, "the directory refused the new password");
            CognitoError::InvalidPassword(rule)
        }
        PasswordChangeError::RecentlyUsed(message) => {
            tracing::info!("the directory's password history refused the new password");
            CognitoError::PasswordHistoryPolicyViolation(message)
        }
        PasswordChangeError::NotApplied(e) => directory_error(e),
        e @ (PasswordChangeError::Unknown(_) | PasswordChangeError::SessionsNotEnded(_)) => {
            metrics::note(Outcome::DirectoryError);
            tracing::error!(error = %e, "password reset incomplete: the code is spent, the user must request a new one");
            CognitoError::ExpiredCode
        }
    }
}

pub(super) fn redemption(outcome: Redemption) -> Result<(), CognitoError> {
    match outcome {
        Redemption::Accepted => Ok(()),
        Redemption::Mismatch | Redemption::NoCode => Err(CognitoError::CodeMismatch),
        Redemption::Expired => Err(CognitoError::ExpiredCode),
        Redemption::Exhausted => Err(CognitoError::TooManyFailedAttempts),
    }
}

pub(super) fn unknown_client(client_id: &str) -> CognitoError {
    CognitoError::ResourceNotFound(format!("User pool client {client_id} does not exist."))
}

/// Why a migration did not happen. Each message is safe to show: the store detail is logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MigrationError {
    #[error("{USER_DOES_NOT_EXIST}")]
    UnknownUser,
    #[error("{INCORRECT_CREDENTIALS}")]
    IncorrectCredentials,
    /// The user cannot recover this way (no verified channel).
    #[error("{0}")]
    Refused(CognitoError),
    #[error("Migration source unavailable.")]
    Store(StoreError),
    /// The pool's UserMigration function threw (Cognito's UserLambdaValidationException).
    #[error("{0}")]
    Threw(CognitoError),
    /// The pool's UserMigration function answered what Cognito cannot use, or was not run.
    #[error("{0}")]
    Unusable(CognitoError),
}

/// Cognito's answer when its UserMigration trigger fails: the trigger's message, its final full
/// stop dropped because Cognito's wording adds one.
pub(super) fn migration_trigger_error(e: MigrationError) -> CognitoError {
    CognitoError::UserLambdaValidation {
        trigger: "UserMigration".into(),
        message: e.to_string().trim_end_matches('.').to_string(),
    }
}

impl From<CustomMessageError> for CognitoError {
    /// Cognito's answer to a trigger whose output it cannot use.
    fn from(e: CustomMessageError) -> Self {
        tracing::error!(error = %e, "custom message refused");
        CognitoError::InvalidLambdaResponse(match e {
            CustomMessageError::Render(e) => format!("Invalid CustomMessage response: {e}"),
            CustomMessageError::Rejected(m) => m,
        })
    }
}
