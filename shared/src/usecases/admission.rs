//! What every operation checks once the request's fields are valid: the caller's windows first,
//! then the app client and its SecretHash, then the operation's own refusal that needs no user.
//! The windows come before the client lookup so that no request reaches Cognito
//! (DescribeUserPoolClient) uncounted: random ClientIds are limited like any other request.
//! (Cognito checks the client first; here an unknown client counts against its caller.) None of
//! it looks at the user, so none of it says who exists.

use crate::domain::caller::{Caller, CallerOperation};
use crate::domain::error::CognitoError;
use crate::domain::request::Envelope;
use crate::domain::time::UnixTime;

use super::ResetService;
use super::caller_limit::admit_caller;
use super::client_authorization::authorize_client;

/// `precondition`: the operation's own refusal, asked only once the app client is known.
pub(super) async fn admit(
    service: &ResetService,
    request: Envelope<'_>,
    precondition: impl FnOnce() -> Result<(), CognitoError>,
    operation: CallerOperation,
    caller: &Caller,
    now: UnixTime,
) -> Result<(), CognitoError> {
    admit_caller(service, caller, request.user_context_data, operation, now).await?;
    authorize_client(service.ports.clients.as_ref(), request).await?;
    precondition()
}
