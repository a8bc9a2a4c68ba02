//! What every operation checks once the request's fields are valid: the caller's windows first,
//! then the app client and its SecretHash, then the operation's own refusal that needs no user.
//! The windows come before the client lookup so that no request reaches Cognito
//! (DescribeUserPoolClient) uncounted: random ClientIds are limited like any other request.
//! (Cognito checks the client first; here an unknown client counts against its caller.) None of
//! it looks at the user, so none of it says who exists. Also here: the decoy record a login with
//! no deliverable user behind it is answered from.

use crate::domain::caller::Caller;
use crate::domain::code::CodeKeys;
use crate::domain::error::CognitoError;
use crate::domain::operation::Operation;
use crate::domain::request::{Envelope, UserContextData};
use crate::domain::secret_hash;
use crate::domain::time::UnixTime;
use crate::metrics::{self, Outcome};
use crate::ports::{Admission, AppClients};

use super::ResetService;
use super::errors::{directory_error, store_error, unknown_client};

/// `precondition`: the operation's own refusal, asked only once the app client is known.
pub(super) async fn admit(
    service: &ResetService,
    request: Envelope<'_>,
    precondition: impl FnOnce() -> Result<(), CognitoError>,
    operation: Operation,
    caller: &Caller,
    now: UnixTime,
) -> Result<(), CognitoError> {
    count_caller(service, caller, request.user_context_data, operation, now).await?;
    authorize_client(service.ports.clients.as_ref(), request).await?;
    precondition()
}

/// Counts the request against each of the caller's windows (network, then device), one store
/// write each; the first full one refuses it with LimitExceededException, Cognito's answer to
/// too many attempts. A caller with neither a source address nor device data (a direct
/// invocation without `UserContextData`) is not limited here: only the per-user limits apply.
/// They cost the same for every login and say nothing about who exists.
async fn count_caller(
    service: &ResetService,
    caller: &Caller,
    context: Option<&UserContextData>,
    operation: Operation,
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
        let window = identity.store_key(&service.code_keys, operation);
        match service
            .ports
            .codes
            .admit_caller(&window, now, &limit)
            .await
            .map_err(store_error)?
        {
            Admission::Admitted => {}
            Admission::LimitReached => {
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

/// The app client a request names, and its SecretHash checked when the client has a secret. The
/// SecretHash is over the login as sent, as Cognito's is (not the normalized one).
async fn authorize_client(
    clients: &dyn AppClients,
    request: Envelope<'_>,
) -> Result<(), CognitoError> {
    let client = clients
        .find(request.client_id)
        .await
        .map_err(directory_error)?
        .ok_or_else(|| unknown_client(request.client_id))?;
    secret_hash::verify(
        client.client_secret.as_deref(),
        request.client_id,
        request.username,
        request.secret_hash,
    )
}

/// The decoy record's key: stable and keyed, so simulated requests are limited and answered
/// exactly like real ones. `login` is normalized (`PoolSettings::normalize_login`).
pub(super) fn decoy_key(code_keys: &CodeKeys, login: &str) -> String {
    format!("decoy#{}", code_keys.pseudonym("decoy-record", login))
}
