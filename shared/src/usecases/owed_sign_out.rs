//! An owed sign-out retried (`OwedSignOuts`' record, back from the sign-out retry queue): the
//! sessions from before a password change ended, now that the pool answers.

use crate::domain::mask;
use crate::domain::owed_sign_out::OwedSignOut;
use crate::metrics;
use crate::ports::StoreError;

use super::ResetService;

impl ResetService {
    /// Ends the sessions `owed` names (the directory's `end_sessions`, with its own retries and
    /// deadline). An error leaves the record to be retried.
    pub async fn end_owed_sessions(&self, owed: &OwedSignOut) -> Result<(), StoreError> {
        let user = mask::login(&owed.username);
        match self.ports.users.end_sessions(&owed.username).await {
            Ok(()) => {
                metrics::sign_out_owed("ended");
                tracing::info!(%user, "owed sign-out done: the sessions from before the reset ended");
                Ok(())
            }
            Err(e) => {
                metrics::sign_out_owed("failed");
                tracing::warn!(error = %e, %user, "owed sign-out failed again: it will be retried");
                Err(e)
            }
        }
    }
}
