//! The app client a request names, and its SecretHash checked when the client has a secret.

use crate::domain::error::CognitoError;
use crate::domain::pool::AppClient;
use crate::domain::request::Envelope;
use crate::domain::secret_hash;
use crate::ports::AppClients;

use super::errors::{directory_error, unknown_client};

/// The SecretHash is over the login as sent, as Cognito's is (not the normalized one).
pub(super) async fn authorize_client(
    clients: &dyn AppClients,
    request: Envelope<'_>,
) -> Result<AppClient, CognitoError> {
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
    )?;
    Ok(client)
}
