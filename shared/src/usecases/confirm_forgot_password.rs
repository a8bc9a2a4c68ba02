//! ConfirmForgotPassword: judge the code, then set the new password in the directory; the code is
//! consumed only when the password is set.
//!
//! The code store and the directory are two systems (a user pool is not in a DynamoDB
//! transaction), so the order is what keeps them consistent: an accepted attempt *claims* the code
//! (dead to every other attempt), the directory sets the password and ends the sessions, and only
//! a *definite* refusal there (the one attempt answered, nothing applied) *releases* the code for
//! another try. Anything that may have changed the password (a timeout, a lost connection, a
//! 5xx, a crash, the deadline) leaves the code spent and answers ExpiredCodeException, which is
//! what the code answers from then on: never a changed password with a live code, never an answer
//! that invites a retry the code cannot pass.
//!
//! Sign-out design: the password is set first, then every session is ended (the pool's adapter
//! retries the sign-out within its own deadline) while the PasswordChanged notice goes out, and
//! the answer is `{}` only when both the change and the sign-out happened. The sign-out also
//! follows a change whose outcome is unknown: the password may be new.
//! Ending sessions *after* the change covers every refresh token issued before the new password
//! could be used, where signing out first would let a session started with the old password in
//! between survive; a sign-out that still fails answers an error, logged as one, never a 200.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use crate::domain::caller::Caller;
use crate::domain::delivery::DeliveryMedium;
use crate::domain::error::CognitoError;
use crate::domain::mask;
use crate::domain::message::MessageParams;
use crate::domain::operation::Operation;
use crate::domain::recovery::{self, AccountRecovery};
use crate::domain::request::{ClientMetadata, ConfirmForgotPasswordRequest};
use crate::domain::reset::{ResetTarget, reset_target};
use crate::domain::time::UnixTime;
use crate::domain::user::User;
use crate::metrics;
use crate::ports::PasswordChangeError;

use super::ResetService;
use super::admission::{Admitted, admit, decoy_key};
use super::errors::{password_change_error, redemption, store_error};

/// How long a confirm may take, end to end: well inside the function's 10 s timeout (the
/// template's), so the answer, whatever it is, is ours and not Lambda's kill. The SDK's operation
/// timeouts (`assembly`) bound each call; this bounds their sum.
pub const CONFIRM_DEADLINE: Duration = Duration::from_secs(8);

/// How far a confirm got, for the answer when the deadline cuts it short.
#[derive(Default)]
struct Progress(AtomicU8);

impl Progress {
    /// A claim may exist from here on (the redeem is under way).
    const CLAIMING: u8 = 1;
    /// Password changed and sessions ended: only the notice is left.
    const DONE: u8 = 2;

    fn mark(&self, step: u8) {
        self.0.store(step, Ordering::Release);
    }

    fn answer_at_deadline(&self) -> Result<(), CognitoError> {
        match self.0.load(Ordering::Acquire) {
            Self::DONE => {
                tracing::warn!("the password-changed notice was cut short by the deadline");
                Ok(())
            }
            Self::CLAIMING => {
                tracing::error!(
                    "confirm cut short by its deadline after the code was claimed: the code is spent"
                );
                Err(CognitoError::ExpiredCode)
            }
            _ => {
                tracing::error!("confirm cut short by its deadline before the code was judged");
                Err(CognitoError::InternalError)
            }
        }
    }
}

impl ResetService {
    /// ConfirmForgotPassword: the code judged, then the new password set in the directory.
    pub async fn confirm_forgot_password(
        &self,
        request: &ConfirmForgotPasswordRequest,
        caller: &Caller,
        now: UnixTime,
    ) -> Result<(), CognitoError> {
        metrics::measure(
            metrics::Operation::Api(Operation::ConfirmForgotPassword),
            async {
                let progress = Progress::default();
                let confirmed = confirm(self, request, caller, now, &progress);
                match tokio::time::timeout(CONFIRM_DEADLINE, confirmed).await {
                    Ok(answer) => answer,
                    Err(_) => progress.answer_at_deadline(),
                }
            },
        )
        .await
    }
}

async fn confirm(
    service: &ResetService,
    request: &ConfirmForgotPasswordRequest,
    caller: &Caller,
    now: UnixTime,
    progress: &Progress,
) -> Result<(), CognitoError> {
    request.validate()?;
    // The policy is the pool's, not the user's: checking it first tells nobody anything.
    let policy = || service.pool.password_policy.check(&request.password);
    let Admitted { login, user } = admit(
        service,
        request.envelope(),
        policy,
        Operation::ConfirmForgotPassword,
        caller,
        now,
    )
    .await?;
    let login = login.as_str();
    // The rule ForgotPassword planned with: every login it answered from a decoy is judged here
    // against that decoy, so a wrong code costs the same work and gets the same answers
    // (CodeMismatch, TooManyFailedAttempts, ExpiredCode once the decoy's code has expired) for
    // every such login as for an unknown one.
    let target = match reset_target(
        user.as_ref(),
        &service.pool.recovery,
        service.pool.prevent_user_existence_errors,
        Operation::ConfirmForgotPassword,
    )? {
        ResetTarget::Deliver(_) | ResetTarget::OwnRecord => user,
        ResetTarget::Decoy => None,
    };
    let record = match &target {
        Some(user) => user.username.clone(),
        None => decoy_key(&service.code_keys, login),
    };
    // Under every code key: the store compares it under the one the code was issued under.
    let attempt = service
        .code_keys
        .attempt(&record, &request.confirmation_code);
    progress.mark(Progress::CLAIMING);
    let outcome = service
        .ports
        .codes
        .redeem(&record, &attempt, now, &service.pool.codes)
        .await
        .map_err(store_error)?;
    let Some(user) = target else {
        // A decoy is never redeemed: even a lucky guess of its unsent code is a mismatch.
        return redemption(outcome).and(Err(CognitoError::CodeMismatch));
    };
    redemption(outcome)?;
    // The code is claimed: from here on only a definite refusal gives it back.
    let changed = service
        .ports
        .users
        .set_password(&user.username, &request.password)
        .await;
    if let Err(e) = &changed
        && e.is_definite()
    {
        // The password did not change: the code goes back to the user for another try.
        if let Err(release) = service.ports.codes.release(&record, &attempt).await {
            tracing::error!(error = %release, refused = %e,
                "releasing a claimed code failed: the user must request a new one");
            // The code may still be claimed: an answer inviting a retry with it could be a dead end.
            return Err(CognitoError::ExpiredCode);
        }
        return changed.map_err(password_change_error);
    }
    let ended = async {
        let ended = service.ports.users.end_sessions(&user.username).await;
        if ended.is_ok() && changed.is_ok() {
            progress.mark(Progress::DONE);
        }
        ended
    };
    let notice = async {
        if changed.is_ok() && service.pool.notify_password_changed {
            notify_password_changed(service, &user, request.client_metadata.as_ref()).await;
        }
    };
    // Together: the sign-out ∥ the notice (with its pre-checks), once the password is (or may be) new.
    let (ended, ()) = tokio::join!(ended, notice);
    match (changed, ended) {
        (Ok(()), Ok(())) => {
            tracing::info!(user = %mask::login(login), "password reset confirmed");
            Ok(())
        }
        (Ok(()), Err(failure)) => Err(password_change_error(
            PasswordChangeError::SessionsNotEnded(failure.to_string()),
        )),
        (Err(unknown), _) => Err(password_change_error(unknown)),
    }
}

/// OWASP's notice after a reset, to the user's verified email (else phone). It never fails
/// the reset: the password is already changed; a failure is logged.
async fn notify_password_changed(
    service: &ResetService,
    user: &User,
    client_metadata: Option<&ClientMetadata>,
) {
    let order = AccountRecovery::Ordered(vec![DeliveryMedium::Email, DeliveryMedium::Sms]);
    let Ok(channel) = recovery::resolve_channel(&order, user) else {
        tracing::info!(user = %mask::login(&user.username), "no verified channel for the password-changed notice");
        metrics::notice("no_channel");
        return;
    };
    let params = MessageParams {
        code: "",
        username: &user.username,
        link: None,
        attributes: &user.attributes,
        client_metadata,
    };
    let message = match service.pool.messages.password_changed(&params) {
        Ok(message) => message,
        Err(e) => {
            tracing::error!(error = %e, "the password-changed notice cannot be rendered");
            metrics::notice("failed");
            return;
        }
    };
    let sent = service
        .ports
        .send(
            channel.medium,
            &channel.destination,
            &message.for_medium(channel.medium, ""),
        )
        .await;
    match sent {
        Ok(()) => {
            metrics::notice("sent");
            tracing::info!(destination = %channel.masked(), "password-changed notice sent")
        }
        Err(e) => {
            metrics::notice("failed");
            tracing::warn!(error = %e, destination = %channel.masked(), "password-changed notice not delivered")
        }
    }
}
