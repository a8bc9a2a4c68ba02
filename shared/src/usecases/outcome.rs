//! Mapping port failures to Cognito errors, once. Detail goes to the log, never to the caller.

use crate::domain::code::Redemption;
use crate::domain::error::CognitoError;
use crate::domain::pool::{AppClient, PreventUserExistenceErrors};
use crate::domain::secret_hash;
use crate::ports::{DeliveryError, PasswordChangeError, StoreError};

use super::ResetService;

pub(super) const TOO_MANY_REQUESTS: &str = "Too many requests, please try again later.";

pub(super) fn store_error(e: StoreError) -> CognitoError {
    match e {
        StoreError::Throttled => {
            tracing::warn!("store throttled the request");
            CognitoError::TooManyRequests(TOO_MANY_REQUESTS.into())
        }
        other => {
            tracing::error!(error = %other, "store failure");
            CognitoError::InternalError
        }
    }
}

pub(super) const NOT_DELIVERED: &str =
    "The confirmation code could not be delivered. Try again later.";

/// Under PreventUserExistenceErrors=ENABLED a refusal (sandbox, unverified recipient, opted out)
/// is told to the caller as generically as any failure: the reason would describe the account's
/// destination. The reason (masked by the adapters) goes to the log; `doctor` shows the state.
pub(super) fn delivery_error(
    e: DeliveryError,
    prevent: PreventUserExistenceErrors,
) -> CognitoError {
    match e {
        DeliveryError::Refused(reason) => {
            tracing::warn!(%reason, "code delivery refused");
            match prevent {
                PreventUserExistenceErrors::Legacy => CognitoError::CodeDeliveryFailure(reason),
                PreventUserExistenceErrors::Enabled => {
                    CognitoError::CodeDeliveryFailure(NOT_DELIVERED.into())
                }
            }
        }
        DeliveryError::Throttled => {
            tracing::warn!("delivery service throttled the request");
            CognitoError::TooManyRequests(TOO_MANY_REQUESTS.into())
        }
        DeliveryError::Failed(detail) => {
            tracing::error!(%detail, "code delivery failed");
            CognitoError::CodeDeliveryFailure(NOT_DELIVERED.into())
        }
    }
}

pub(super) fn password_change_error(e: PasswordChangeError) -> CognitoError {
    match e {
        PasswordChangeError::Refused(rule) => {
            tracing::info!(%rule, "the directory refused the new password");
            CognitoError::InvalidPassword(rule)
        }
        PasswordChangeError::Store(e) => store_error(e),
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

pub(super) const CANNOT_RESET: &str = "User password cannot be reset in the current state.";
pub(super) const DISABLED: &str = "User is disabled.";

impl ResetService {
    /// The app client, and its SecretHash checked when it has a secret.
    pub(super) async fn authorize_client(
        &self,
        client_id: &str,
        username: &str,
        presented: Option<&str>,
    ) -> Result<AppClient, CognitoError> {
        let client = self
            .clients
            .find(client_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| {
                CognitoError::ResourceNotFound(format!(
                    "User pool client {client_id} does not exist."
                ))
            })?;
        secret_hash::verify(
            client.client_secret.as_deref(),
            client_id,
            username,
            presented,
        )?;
        Ok(client)
    }

    /// The code-record key standing in for a login that has no real user behind it: stable, keyed,
    /// so simulated requests are limited and answered exactly like real ones.
    /// `login` is normalized (`PoolSettings::normalize_login`).
    pub(super) fn decoy_key(&self, login: &str) -> String {
        let digest = self.key.derive("decoy-record", login);
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("decoy#{hex}")
    }
}
