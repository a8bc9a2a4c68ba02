//! ConfirmForgotPassword: check the code and set the new password, once, in one atomic step.

use rand::CryptoRng;

use crate::domain::error::CognitoError;
use crate::domain::mask;
use crate::domain::password;
use crate::domain::pool::PreventUserExistenceErrors;
use crate::domain::request::ConfirmForgotPasswordRequest;
use crate::domain::time::UnixTime;
use crate::domain::user::UserStatus;
use crate::ports::PasswordChange;

use super::ResetService;
use super::outcome::{CANNOT_RESET, DISABLED, redemption, store_error};

impl ResetService {
    pub async fn confirm_forgot_password<R: CryptoRng + Send>(
        &self,
        request: &ConfirmForgotPasswordRequest,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<(), CognitoError> {
        request.validate()?;
        self.authorize_client(
            &request.client_id,
            &request.username,
            request.secret_hash.as_deref(),
        )?;
        // The policy is the pool's, not the user's: checking it first tells nobody anything.
        self.pool.password_policy.check(&request.password)?;
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);

        let login = request.username.as_str();
        let legacy = self.pool.prevent_user_existence_errors == PreventUserExistenceErrors::Legacy;
        let user = self.users.find(login).await.map_err(store_error)?;
        // `None`: no real user to change; the attempt runs against the login's decoy record.
        let target = match user {
            None if legacy => return Err(CognitoError::UserNotFound),
            Some(u) if u.status == UserStatus::ForceChangePassword => {
                return Err(CognitoError::NotAuthorized(CANNOT_RESET.into()));
            }
            Some(u) if !u.enabled && legacy => {
                return Err(CognitoError::NotAuthorized(DISABLED.into()));
            }
            Some(u) if u.status == UserStatus::Unconfirmed && legacy => {
                return Err(CognitoError::UserNotConfirmed);
            }
            Some(u) if u.enabled && u.status != UserStatus::Unconfirmed => Some(u),
            _ => None,
        };

        // The same hashing work on every path, so timing does not tell users apart.
        let password_hash = hash_off_thread(request.password.clone(), salt).await?;
        let (key, change) = match &target {
            Some(user) => (
                user.username.clone(),
                Some(PasswordChange {
                    username: user.username.clone(),
                    password_hash,
                    status: UserStatus::Confirmed,
                }),
            ),
            None => (self.decoy_key(login), None),
        };
        let attempt = self.key.digest(&key, &request.confirmation_code);
        let outcome = self
            .codes
            .redeem(&key, &attempt, now, &self.pool.codes, change.as_ref())
            .await
            .map_err(store_error)?;
        if target.is_none() {
            // A decoy is never redeemed: even a lucky guess of its unsent code is a mismatch.
            return redemption(outcome).and(Err(CognitoError::CodeMismatch));
        }
        redemption(outcome)?;
        tracing::info!(user = %mask::login(login), "password reset confirmed");
        Ok(())
    }
}

/// argon2id takes tens of milliseconds: keep it off the async workers.
async fn hash_off_thread(password: String, salt: [u8; 16]) -> Result<String, CognitoError> {
    tokio::task::spawn_blocking(move || password::hash(&password, &salt))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing task failed");
            CognitoError::InternalError
        })?
}
