//! ConfirmForgotPassword: judge the code, then set the new password in the directory; the code is
//! consumed only when the password is set.
//!
//! The code store and the directory are two systems (a user pool is not in a DynamoDB
//! transaction), so the order is what keeps them consistent: an accepted attempt *claims* the code
//! (dead to every other attempt), the directory sets the password, and a refusal or failure there
//! *releases* the code for another try. A crash between the two leaves a claimed code and an
//! unchanged password (the user asks for a new code), never a changed password and a live code.

use crate::domain::caller::{Caller, CallerOperation};
use crate::domain::delivery::DeliveryMedium;
use crate::domain::error::CognitoError;
use crate::domain::mask;
use crate::domain::message::MessageParams;
use crate::domain::recovery::{self, AccountRecovery};
use crate::domain::request::ConfirmForgotPasswordRequest;
use crate::domain::reset::{ResetOperation, ResetTarget, reset_target};
use crate::domain::time::UnixTime;
use crate::domain::user::User;

use super::ResetService;
use super::admission::admit;
use super::decoy::decoy_key;
use super::errors::{password_change_error, redemption, store_error};

pub(super) async fn run(
    service: &ResetService,
    request: &ConfirmForgotPasswordRequest,
    caller: &Caller,
    now: UnixTime,
) -> Result<(), CognitoError> {
    request.validate()?;
    // The policy is the pool's, not the user's: checking it first tells nobody anything.
    let policy = || service.pool.password_policy.check(&request.password);
    admit(
        service,
        request.envelope(),
        policy,
        CallerOperation::ConfirmForgotPassword,
        caller,
        now,
    )
    .await?;

    let login = service.pool.normalize_login(&request.username);
    let login = login.as_str();
    let user = service.ports.users.find(login).await.map_err(store_error)?;
    // The rule ForgotPassword planned with: every login it answered from a decoy is judged here
    // against that decoy, so a wrong code costs the same work and gets the same answers
    // (CodeMismatch, TooManyFailedAttempts, ExpiredCode once the decoy's code has expired) for
    // every such login as for an unknown one.
    let target = match reset_target(
        user.as_ref(),
        &service.pool.recovery,
        service.pool.prevent_user_existence_errors,
        ResetOperation::ConfirmForgotPassword,
    )? {
        ResetTarget::Deliver(_) | ResetTarget::OwnRecord => user,
        ResetTarget::Decoy => None,
    };
    let key = match &target {
        Some(user) => user.username.clone(),
        None => decoy_key(&service.key, login),
    };
    // Under every key: the store compares it under the key the code was issued under.
    let attempt = service.key.attempt(&key, &request.confirmation_code);
    let outcome = service
        .ports
        .codes
        .redeem(&key, &attempt, now, &service.pool.codes)
        .await
        .map_err(store_error)?;
    let Some(user) = target else {
        // A decoy is never redeemed: even a lucky guess of its unsent code is a mismatch.
        return redemption(outcome).and(Err(CognitoError::CodeMismatch));
    };
    redemption(outcome)?;
    if let Err(e) = service
        .ports
        .users
        .set_password(&user.username, &request.password)
        .await
    {
        // The password did not change: the code goes back to the user for another try.
        if let Err(release) = service.ports.codes.release(&key, &attempt).await {
            tracing::error!(error = %release, "releasing a claimed code failed: the user must request a new one");
        }
        return Err(password_change_error(e));
    }
    tracing::info!(user = %mask::login(login), "password reset confirmed");
    if service.pool.notify_password_changed {
        notify_password_changed(service, &user).await;
    }
    Ok(())
}

/// OWASP's notice after a reset, to the user's verified email (else phone). It never fails
/// the reset: the password is already changed; a failure is logged.
async fn notify_password_changed(service: &ResetService, user: &User) {
    let order = AccountRecovery::Ordered(vec![DeliveryMedium::Email, DeliveryMedium::Sms]);
    let Ok(channel) = recovery::resolve_channel(&order, user) else {
        tracing::info!(user = %mask::login(&user.username), "no verified channel for the password-changed notice");
        return;
    };
    let params = MessageParams {
        code: "",
        username: &user.username,
        link: None,
        attributes: &user.attributes,
    };
    let message = match service.pool.messages.password_changed(&params) {
        Ok(message) => message,
        Err(e) => {
            tracing::error!(error = %e, "the password-changed notice cannot be rendered");
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
            tracing::info!(destination = %channel.masked(), "password-changed notice sent")
        }
        Err(e) => {
            tracing::warn!(error = %e, destination = %channel.masked(), "password-changed notice not delivered")
        }
    }
}
