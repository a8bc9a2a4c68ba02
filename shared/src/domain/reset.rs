//! Who a reset is for: the one rule ForgotPassword and ConfirmForgotPassword both ask. A login
//! ForgotPassword answers from a decoy is judged by Confirm against that same decoy, so no class
//! of user (unknown, disabled, unconfirmed, FORCE_CHANGE_PASSWORD, no channel the recovery setting
//! accepts) answers Confirm differently from an unknown login.

use super::delivery::{Channel, DeliveryMedium};
use super::error::CognitoError;
use super::operation::Operation;
use super::pool::{PreventUserExistenceErrors, StuckUsers};
use super::recovery::{self, AccountRecovery};
use super::user::{User, UserStatus};

pub const CANNOT_RESET: &str = "User password cannot be reset in the current state.";
pub const DISABLED: &str = "User is disabled.";

/// Why no code can be delivered to the user a login names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undeliverable {
    Unknown,
    ForceChangePassword,
    Disabled,
    /// An unconfirmed sign-up has proven no channel.
    Unconfirmed,
    /// No verified channel in the recovery order that is not the MFA one (or `admin_only`): the
    /// recovery rule's own refusal.
    NoChannel(CognitoError),
}

/// What an operation works on for a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetTarget {
    /// A deliverable user: the code goes by this channel, and is redeemed under their username.
    Deliver(Channel),
    /// LEGACY at Confirm only, for a user ForgotPassword refuses for want of a channel: Cognito
    /// judges the code against the user's own (empty) record.
    OwnRecord,
    /// PreventUserExistenceErrors=ENABLED, every undeliverable login: the login's decoy record.
    Decoy,
}

/// The user's channel, or why there is none. `stuck`: the users Cognito leaves stuck that this
/// pool lets reset (each opt-in).
pub fn deliverability(
    user: Option<&User>,
    recovery: &AccountRecovery,
    stuck: StuckUsers,
) -> Result<Channel, Undeliverable> {
    let Some(user) = user else {
        return Err(Undeliverable::Unknown);
    };
    if user.status == UserStatus::ForceChangePassword && !stuck.force_change_password {
        return Err(Undeliverable::ForceChangePassword);
    }
    if !user.enabled {
        return Err(Undeliverable::Disabled);
    }
    if user.status == UserStatus::Unconfirmed {
        return Err(Undeliverable::Unconfirmed);
    }
    recovery::resolve_channel(recovery, user).or_else(|refused| {
        stuck
            .unverified_email
            .then(|| recovery::unverified_email(recovery, user))
            .flatten()
            .ok_or(Undeliverable::NoChannel(refused))
    })
}

/// Whether a reset through `channel` proves the user's unverified email (`StuckUsers`): a
/// confirmed reset then marks it verified.
pub fn proves_unverified_email(user: &User, channel: &Channel) -> bool {
    channel.medium == DeliveryMedium::Email && !user.attributes.is_true("email_verified")
}

/// The one answer both operations act on. Under ENABLED every undeliverable login is a decoy for
/// both; under LEGACY each class keeps the error Cognito gives it in that operation.
pub fn reset_target(
    user: Option<&User>,
    recovery: &AccountRecovery,
    prevent: PreventUserExistenceErrors,
    stuck: StuckUsers,
    operation: Operation,
) -> Result<ResetTarget, CognitoError> {
    let why = match deliverability(user, recovery, stuck) {
        Ok(channel) => return Ok(ResetTarget::Deliver(channel)),
        Err(why) => why,
    };
    if prevent == PreventUserExistenceErrors::Enabled {
        return Ok(ResetTarget::Decoy);
    }
    use Operation::*;
    match (why, operation) {
        (Undeliverable::Unknown, _) => Err(CognitoError::UserNotFound),
        (Undeliverable::ForceChangePassword, _) => {
            Err(CognitoError::NotAuthorized(CANNOT_RESET.into()))
        }
        (Undeliverable::Disabled, _) => Err(CognitoError::NotAuthorized(DISABLED.into())),
        (Undeliverable::Unconfirmed, ForgotPassword) => Err(CognitoError::InvalidParameter(
            recovery::NO_VERIFIED_CHANNEL.into(),
        )),
        (Undeliverable::Unconfirmed, ConfirmForgotPassword) => Err(CognitoError::UserNotConfirmed),
        (Undeliverable::NoChannel(e), ForgotPassword) => Err(e),
        (Undeliverable::NoChannel(_), ConfirmForgotPassword) => Ok(ResetTarget::OwnRecord),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::{Attributes, MfaChannel};

    fn user(status: UserStatus, enabled: bool, attrs: &[(&str, &str)]) -> User {
        User {
            username: "u".into(),
            sub: "s".into(),
            status,
            enabled,
            attributes: attrs.iter().copied().collect::<Attributes>(),
            password_hash: None,
            mfa: None,
        }
    }

    const EMAIL: [(&str, &str); 2] = [("email", "u@example.com"), ("email_verified", "true")];

    /// Every class ForgotPassword cannot deliver to, with a pool recovering by email only.
    fn undeliverable() -> Vec<(&'static str, Option<User>)> {
        let mut mfa = user(UserStatus::Confirmed, true, &EMAIL);
        mfa.mfa = Some(MfaChannel::Email);
        vec![
            ("unknown", None),
            ("disabled", Some(user(UserStatus::Confirmed, false, &EMAIL))),
            (
                "unconfirmed",
                Some(user(UserStatus::Unconfirmed, true, &EMAIL)),
            ),
            (
                "force change",
                Some(user(UserStatus::ForceChangePassword, true, &EMAIL)),
            ),
            (
                "unverified",
                Some(user(
                    UserStatus::Confirmed,
                    true,
                    &[("email", "u@example.com"), ("email_verified", "false")],
                )),
            ),
            ("mfa channel", Some(mfa)),
            (
                "medium left out",
                Some(user(
                    UserStatus::Confirmed,
                    true,
                    &[
                        ("phone_number", "+12065550142"),
                        ("phone_number_verified", "true"),
                    ],
                )),
            ),
        ]
    }

    #[test]
    fn under_enabled_every_undeliverable_login_is_a_decoy_for_both_operations() {
        let email_only = AccountRecovery::Ordered(vec![DeliveryMedium::Email]);
        for (class, u) in undeliverable() {
            for op in [Operation::ForgotPassword, Operation::ConfirmForgotPassword] {
                assert_eq!(
                    reset_target(
                        u.as_ref(),
                        &email_only,
                        PreventUserExistenceErrors::Enabled,
                        StuckUsers::default(),
                        op
                    ),
                    Ok(ResetTarget::Decoy),
                    "{class} {op:?}"
                );
            }
        }
        let deliverable = user(UserStatus::ResetRequired, true, &EMAIL);
        for op in [Operation::ForgotPassword, Operation::ConfirmForgotPassword] {
            let got = reset_target(
                Some(&deliverable),
                &email_only,
                PreventUserExistenceErrors::Enabled,
                StuckUsers::default(),
                op,
            );
            assert!(
                matches!(got, Ok(ResetTarget::Deliver(c)) if c.medium == DeliveryMedium::Email)
            );
        }
    }

    #[test]
    fn under_legacy_each_class_keeps_cognitos_error() {
        let email_only = AccountRecovery::Ordered(vec![DeliveryMedium::Email]);
        let legacy = PreventUserExistenceErrors::Legacy;
        let stuck = StuckUsers::default();
        let answer = |u: Option<&User>, op| match reset_target(u, &email_only, legacy, stuck, op) {
            Ok(t) => format!("{t:?}"),
            Err(e) => e.kind().to_string(),
        };
        let got: Vec<(String, String)> = undeliverable()
            .iter()
            .map(|(_, u)| {
                (
                    answer(u.as_ref(), Operation::ForgotPassword),
                    answer(u.as_ref(), Operation::ConfirmForgotPassword),
                )
            })
            .collect();
        let want = [
            ("UserNotFoundException", "UserNotFoundException"),
            ("NotAuthorizedException", "NotAuthorizedException"),
            ("InvalidParameterException", "UserNotConfirmedException"),
            ("NotAuthorizedException", "NotAuthorizedException"),
            ("InvalidParameterException", "OwnRecord"),
            ("InvalidParameterException", "OwnRecord"),
            ("InvalidParameterException", "OwnRecord"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn stuck_users_reset_only_when_their_option_is_on() {
        let email_only = AccountRecovery::Ordered(vec![DeliveryMedium::Email]);
        let forced = user(UserStatus::ForceChangePassword, true, &EMAIL);
        let unverified = user(
            UserStatus::Confirmed,
            true,
            &[("email", "u@example.com"), ("email_verified", "false")],
        );
        let target = |u: &User, stuck| {
            reset_target(
                Some(u),
                &email_only,
                PreventUserExistenceErrors::Enabled,
                stuck,
                Operation::ConfirmForgotPassword,
            )
        };
        let off = StuckUsers::default();
        assert_eq!(target(&forced, off), Ok(ResetTarget::Decoy));
        assert_eq!(target(&unverified, off), Ok(ResetTarget::Decoy));
        let on = StuckUsers {
            force_change_password: true,
            unverified_email: true,
        };
        let Ok(ResetTarget::Deliver(channel)) = target(&forced, on) else {
            panic!("a forced user with a verified email resets")
        };
        assert!(!proves_unverified_email(&forced, &channel));
        let Ok(ResetTarget::Deliver(channel)) = target(&unverified, on) else {
            panic!("an unverified email is used")
        };
        assert_eq!(channel.destination, "u@example.com");
        assert!(proves_unverified_email(&unverified, &channel));
        // Neither option opens the door to a disabled user, or an unverified email that is the
        // user's email MFA.
        let mut disabled = forced.clone();
        disabled.enabled = false;
        assert_eq!(target(&disabled, on), Ok(ResetTarget::Decoy));
        let mut mfa = unverified.clone();
        mfa.mfa = Some(MfaChannel::Email);
        assert_eq!(target(&mfa, on), Ok(ResetTarget::Decoy));
    }
}
