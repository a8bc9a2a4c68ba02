//! What every operation asks once the request's fields are valid, and the user the login names.
//! The caller's windows and the user are looked up together and decided after both, the caller
//! first: every request is counted (unknown users and failed lookups alike) and no answer about
//! the user comes before the caller's. The app client is asked only once the windows admit the
//! request (a cache hit once warm), so random ClientIds past a full window cost no
//! DescribeUserPoolClient. (Cognito checks the client first; here an unknown client counts
//! against its caller.)
//! Also here: the decoy record a login with no deliverable user behind it is answered from.

use crate::domain::caller::Caller;
use crate::domain::code::CodeKeys;
use crate::domain::error::CognitoError;
use crate::domain::operation::Operation;
use crate::domain::pool::AppClient;
use crate::domain::request::{Envelope, UserContextData};
use crate::domain::secret_hash;
use crate::domain::time::UnixTime;
use crate::domain::user::User;
use crate::metrics::{self, Outcome};
use crate::ports::Admission;

use super::ResetService;
use super::errors::{directory_error, store_error, unknown_client};

/// A request admitted: the login in its one form and the directory's user for it, if any.
pub(super) struct Admitted {
    /// The form used for lookup, decoy record, limit and mask (the SecretHash is over the login
    /// as sent, as Cognito's is).
    pub login: String,
    pub user: Option<User>,
}

/// `precondition`: the operation's own refusal that needs no user, asked once the app client is
/// known (and given it).
pub(super) async fn admit(
    service: &ResetService,
    request: Envelope<'_>,
    precondition: impl FnOnce(&AppClient) -> Result<(), CognitoError>,
    operation: Operation,
    caller: &Caller,
    now: UnixTime,
) -> Result<Admitted, CognitoError> {
    let login = service.pool.normalize_login(request.username);
    // Together: the caller's windows ∥ the user; decided after both, the caller first.
    let (counted, user) = tokio::join!(
        count_caller(service, caller, request.user_context_data, operation, now),
        service.ports.users.find(&login),
    );
    counted?;
    // Then the client and its SecretHash, the precondition, and only then the user's answer.
    let client = service
        .ports
        .clients
        .find(request.client_id)
        .await
        .map_err(directory_error)?
        .ok_or_else(|| unknown_client(request.client_id))?;
    secret_hash::verify(
        client.client_secret.as_deref(),
        request.client_id,
        request.username,
        request.secret_hash,
    )?;
    precondition(&client)?;
    let user = user.map_err(directory_error)?;
    Ok(Admitted { login, user })
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
            Admission::LimitReached { retry_at } => {
                tracing::warn!(
                    caller = %identity.masked(),
                    kind = identity.kind(),
                    ?operation,
                    "per-caller request limit reached"
                );
                metrics::note(Outcome::CallerLimit);
                return Err(CognitoError::limit_exceeded(now, retry_at));
            }
        }
    }
    Ok(())
}

/// The decoy record's key: stable and keyed, so simulated requests are limited and answered
/// exactly like real ones. `login` is normalized (`PoolSettings::normalize_login`).
pub(super) fn decoy_key(code_keys: &CodeKeys, login: &str) -> String {
    format!("decoy#{}", code_keys.pseudonym("decoy-record", login))
}
