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
//! Where one write spans the code and the password (`ClaimWithPassword`: the codes and users
//! tables), there is no second system: the attempt is judged, then the claim and the password are
//! one transaction, resent until it answers for sure, with nothing to give back.
//!
//! Sign-out design: the password is set first, then every session is ended (the pool's adapter
//! retries the sign-out within its own deadline) while the PasswordChanged notice goes out, and
//! the answer is `{}` only when both the change and the sign-out happened, or the sign-out is
//! recorded for retries outside the request (`OwedSignOuts`). The sign-out also follows a change
//! whose outcome is unknown: the password may be new.
//! Ending sessions *after* the change covers every refresh token issued before the new password
//! could be used, where signing out first would let a session started with the old password in
//! between survive; a sign-out that still fails and cannot be recorded answers an error, logged as
//! one, never a 200.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use crate::domain::caller::Caller;
use crate::domain::code::Attempt;
use crate::domain::delivery::DeliveryMedium;
use crate::domain::error::CognitoError;
use crate::domain::mask;
use crate::domain::message::MessageParams;
use crate::domain::operation::Operation;
use crate::domain::password_blocklist::{self, Blocked, ExpectedWords};
use crate::domain::pool::{AppClient, WhenBreachCheckFails};
use crate::domain::recovery::{self, AccountRecovery};
use crate::domain::request::{ClientMetadata, ConfirmForgotPasswordRequest};
use crate::domain::reset::{ResetTarget, proves_unverified_email, reset_target};
use crate::domain::time::UnixTime;
use crate::domain::user::User;
use crate::metrics;
use crate::ports::{ClaimWithPassword, ClaimedReset, Judged, PasswordChangeError};

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
    /// The claim and the password in one write are under way (`ClaimWithPassword`): nothing to
    /// give back, and a retry finds the code live if the write did not apply.
    const ONE_WRITE: u8 = 3;

    fn mark(&self, step: u8) {
        self.0.store(step, Ordering::Release);
    }

    fn answer_at_deadline(&self) -> Result<(), CognitoError> {
        match self.0.load(Ordering::Acquire) {
            Self::DONE => {
                tracing::warn!("the password-changed notice was cut short by the deadline");
                Ok(())
            }
            Self::ONE_WRITE => {
                tracing::error!(
                    "confirm cut short by its deadline during its one write: the same confirm retried finds it"
                );
                Err(CognitoError::InternalError)
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
    // The policy and the blocklist's checks that need no user: the same for everyone, so checking
    // them first tells nobody anything, and a refused password leaves the code unspent.
    let policy = |client: &AppClient| {
        service.pool.password_policy.check(&request.password)?;
        screen(service, request, client)
    };
    let Admitted { login, user } = admit(
        service,
        request.envelope(),
        policy,
        Operation::ConfirmForgotPassword,
        caller,
        now,
    )
    .await?;
    // Breached passwords, by the same token: asked of every admitted request, real or decoy, before
    // anything about the user is, and before the code is judged.
    refuse_breached(service, &request.password).await?;
    let login = login.as_str();
    // The rule ForgotPassword planned with: every login it answered from a decoy is judged here
    // against that decoy, so a wrong code costs the same work and gets the same answers
    // (CodeMismatch, TooManyFailedAttempts, ExpiredCode once the decoy's code has expired) for
    // every such login as for an unknown one.
    let (target, proves_email) = match reset_target(
        user.as_ref(),
        &service.pool.recovery,
        service.pool.prevent_user_existence_errors,
        service.pool.stuck_users,
        Operation::ConfirmForgotPassword,
    )? {
        ResetTarget::Deliver(channel) => {
            let proves = user
                .as_ref()
                .is_some_and(|u| proves_unverified_email(u, &channel));
            (user, proves)
        }
        ResetTarget::OwnRecord => (user, false),
        ResetTarget::Decoy => (None, false),
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
    let (mut user, changed) = match (target, service.ports.claims.as_deref()) {
        (Some(user), Some(claims)) => {
            progress.mark(Progress::ONE_WRITE);
            claim_with_password(service, claims, &user, &record, &attempt, now, request).await?;
            (user, Ok(()))
        }
        (target, _) => {
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
            let changed =
                claimed_then_set(service, &user, &record, &attempt, request, login).await?;
            (user, changed)
        }
    };
    if changed.is_ok() && proves_email {
        // The code went to the unverified email and came back: its owner controls it.
        match service
            .ports
            .users
            .mark_email_verified(&user.username)
            .await
        {
            Ok(()) => user.attributes.set("email_verified", "true"),
            Err(e) => tracing::error!(error = %e, user = %mask::login(login),
                "the reset proved the email, and marking it verified failed"),
        }
    }
    let user = user;
    let ended = async {
        let ended = match service.ports.users.end_sessions(&user.username).await {
            Ok(()) => Ok(()),
            Err(failure) => owe_sign_out(service, &user.username, login, failure).await,
        };
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

/// A sign-out that failed after a password change (or one that may have applied), recorded for its
/// retries outside the request (`OwedSignOuts`, the sign-out retry queue) when there is somewhere
/// to record it: the password did change, so the reset answers success, as Cognito would, and the
/// sessions from before it end within minutes. Without a record, the failure stands.
async fn owe_sign_out(
    service: &ResetService,
    username: &str,
    login: &str,
    failure: crate::ports::StoreError,
) -> Result<(), crate::ports::StoreError> {
    let Some(owed) = &service.ports.owed_sign_outs else {
        return Err(failure);
    };
    match owed.record(username).await {
        Ok(()) => {
            metrics::sign_out_owed("recorded");
            tracing::warn!(error = %failure, user = %mask::login(login),
                "sessions not ended after a password change: the sign-out is recorded for retries");
            Ok(())
        }
        Err(e) => {
            metrics::sign_out_owed("unrecorded");
            tracing::error!(error = %e, sign_out = %failure, user = %mask::login(login),
                "sessions not ended after a password change, and the retry record failed");
            Err(failure)
        }
    }
}

/// The two-write path: the code claimed (`redeem`), then the password set in the directory. Only
/// a definite refusal gives the code back; the error is the answer, a change that may have applied
/// is returned for the sign-out to follow it.
async fn claimed_then_set(
    service: &ResetService,
    user: &User,
    record: &str,
    attempt: &Attempt,
    request: &ConfirmForgotPasswordRequest,
    login: &str,
) -> Result<Result<(), PasswordChangeError>, CognitoError> {
    // The code is claimed: from here on only a definite refusal gives it back. The user's own
    // expected words are asked only now, of the code's holder: asked earlier they would tell
    // anyone whose username or email a password guesses.
    let changed = match user_expected(service, user, &request.password) {
        Some(blocked) => {
            tracing::info!(user = %mask::login(login), "new password refused: it contains the user's own words");
            Err(PasswordChangeError::Refused(blocked.reason().into()))
        }
        None => {
            service
                .ports
                .users
                .set_password(&user.username, &request.password)
                .await
        }
    };
    match changed {
        Err(e) if e.is_definite() => {
            // The password did not change: the code goes back to the user for another try.
            if let Err(release) = service.ports.codes.release(record, attempt).await {
                tracing::error!(error = %release, refused = %e,
                    "releasing a claimed code failed: the user must request a new one");
                // The code may still be claimed: an answer inviting a retry with it could be a
                // dead end.
                return Err(CognitoError::ExpiredCode);
            }
            Err(password_change_error(e))
        }
        changed => Ok(changed),
    }
}

/// The one-write path (`ClaimWithPassword`, the users table's directory): the attempt judged, then
/// the code's claim and the password in one write, resent until it answers for sure. Nothing is
/// claimed unless the password changes with it, so there is never a code to give back. A write
/// that still may have applied answers InternalErrorException: the SDKs' retry confirms if it did
/// not apply, and finds the code spent (the password changed) if it did.
async fn claim_with_password(
    service: &ResetService,
    claims: &dyn ClaimWithPassword,
    user: &User,
    record: &str,
    attempt: &Attempt,
    now: UnixTime,
    request: &ConfirmForgotPasswordRequest,
) -> Result<(), CognitoError> {
    let judged = claims
        .judge(record, attempt, now, &service.pool.codes)
        .await
        .map_err(store_error)?;
    let code = match judged {
        Judged::Right(code) => code,
        // Never `Accepted`: every refusal is an error.
        Judged::Refused(refused) => return redemption(refused).and(Err(CognitoError::ExpiredCode)),
    };
    if let Some(blocked) = user_expected(service, user, &request.password) {
        tracing::info!(user = %mask::login(&user.username), "new password refused: it contains the user's own words");
        return Err(password_change_error(PasswordChangeError::Refused(
            blocked.reason().into(),
        )));
    }
    match claims
        .claim_and_set_password(record, &code, &user.username, &request.password)
        .await
    {
        Ok(ClaimedReset::Done) => Ok(()),
        Ok(ClaimedReset::Spent) => Err(CognitoError::ExpiredCode),
        Err(e) if e.is_definite() => Err(password_change_error(e)),
        Err(e) => {
            tracing::error!(error = %e, "the claim and password change may have applied");
            Err(CognitoError::InternalError)
        }
    }
}

/// The blocklist's checks that need no user: the common passwords, and the words the request
/// names (the login as typed, the app client's name, the app's name).
fn screen(
    service: &ResetService,
    request: &ConfirmForgotPasswordRequest,
    client: &AppClient,
) -> Result<(), CognitoError> {
    let settings = &service.pool.blocklist;
    if !settings.enabled {
        return Ok(());
    }
    let words = ExpectedWords::new(
        [
            Some(request.username.as_str()),
            client.client_name.as_deref(),
            settings.app_name.as_deref(),
        ]
        .into_iter()
        .flatten(),
    );
    password_blocklist::check(&request.password, &words).map_err(|blocked| {
        tracing::info!(reason = ?blocked, "new password refused by the blocklist");
        blocked.refusal()
    })
}

/// A password seen in breaches, when the pool looks them up (`PWNED_PASSWORDS`). Nothing of the
/// password or of the verdict's detail (its count) is logged; a failed lookup is logged by its
/// cause alone, which names no part of the hash.
async fn refuse_breached(service: &ResetService, password: &str) -> Result<(), CognitoError> {
    let Some(breached) = &service.ports.breached else {
        return Ok(());
    };
    match breached.times_seen(password).await {
        Ok(0) => Ok(()),
        Ok(_) => {
            tracing::info!("new password refused: it appears in known data breaches");
            Err(Blocked::Breached.refusal())
        }
        Err(e) => match service.pool.blocklist.when_breach_check_fails {
            WhenBreachCheckFails::Accept => {
                tracing::warn!(error = %e, "breached-password lookup failed: the password is judged without it");
                Ok(())
            }
            WhenBreachCheckFails::Refuse => {
                tracing::error!(error = %e, "breached-password lookup failed: the reset is refused for a retry");
                Err(CognitoError::InternalError)
            }
        },
    }
}

/// The user's own expected words in the new password: the username, the email (and its local
/// part), the preferred username.
fn user_expected(service: &ResetService, user: &User, password: &str) -> Option<Blocked> {
    if !service.pool.blocklist.enabled {
        return None;
    }
    let attributes = ["email", "preferred_username"]
        .into_iter()
        .filter_map(|name| user.attributes.get(name));
    let words = ExpectedWords::new(std::iter::once(user.username.as_str()).chain(attributes));
    words.found_in(password).then_some(Blocked::Expected)
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
