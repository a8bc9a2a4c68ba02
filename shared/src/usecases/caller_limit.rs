//! The per-caller limits: checked first, before anything about the user is looked at, so they cost
//! the same for every login and say nothing about who exists.

use crate::domain::caller::{Caller, CallerOperation};
use crate::domain::error::CognitoError;
use crate::domain::request::UserContextData;
use crate::domain::time::UnixTime;
use crate::metrics::{self, Outcome};
use crate::ports::Issued;

use super::ResetService;
use super::errors::store_error;

/// Counts the request against each of the caller's windows (network, then device), one store
/// write each; the first full one refuses it with LimitExceededException, Cognito's answer to
/// too many attempts. A caller with neither a source address nor device data (a direct
/// invocation without `UserContextData`) is not limited here: only the per-user limits apply.
pub(super) async fn admit_caller(
    service: &ResetService,
    caller: &Caller,
    context: Option<&UserContextData>,
    operation: CallerOperation,
    now: UnixTime,
) -> Result<(), CognitoError> {
    let limit = service.pool.codes.caller_limit(operation);
    if limit.is_off() {
        return Ok(());
    }
    let identities = caller.identities(context);
    if identities.is_empty() {
        tracing::debug!(
            ?operation,
            "no caller address or device data: no per-caller limit"
        );
    }
    for identity in identities {
        let key = identity.store_key(&service.key, operation);
        match service
            .ports
            .codes
            .admit_caller(&key, now, &limit)
            .await
            .map_err(store_error)?
        {
            Issued::Admitted => {}
            Issued::LimitReached => {
                tracing::warn!(
                    caller = %identity.masked(),
                    kind = identity.kind(),
                    ?operation,
                    "per-caller request limit reached"
                );
                metrics::note(Outcome::CallerLimit);
                return Err(CognitoError::LimitExceeded);
            }
        }
    }
    Ok(())
}
