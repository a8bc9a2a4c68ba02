//! AccountRecoverySetting: which verified channel receives the code.

use serde::{Deserialize, Serialize};

use super::delivery::{Channel, DeliveryMedium};
use super::error::CognitoError;
use super::user::{MfaChannel, User};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MechanismName {
    VerifiedEmail,
    VerifiedPhoneNumber,
    AdminOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecoveryMechanism {
    pub name: MechanismName,
    pub priority: u8,
}

/// A validated setting: `Legacy` when the pool has none (verified phone first, then email).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AccountRecovery {
    #[default]
    Legacy,
    AdminOnly,
    /// One or two self-service mechanisms, highest priority first.
    Ordered(Vec<DeliveryMedium>),
}

/// Cognito's order for a pool without AccountRecoverySetting: verified phone, then email.
pub const LEGACY_ORDER: [DeliveryMedium; 2] = [DeliveryMedium::Sms, DeliveryMedium::Email];

impl AccountRecovery {
    /// The media a code may go by, highest priority first; none under `admin_only`.
    pub fn order(&self) -> &[DeliveryMedium] {
        match self {
            Self::Legacy => &LEGACY_ORDER,
            Self::AdminOnly => &[],
            Self::Ordered(order) => order,
        }
    }

    /// Builds the setting from Cognito's `RecoveryMechanisms` list, with Cognito's rules:
    /// one or two entries, distinct priorities 1-2, `admin_only` alone.
    pub fn from_mechanisms(list: &[RecoveryMechanism]) -> Result<Self, String> {
        if list.is_empty() {
            return Ok(Self::Legacy);
        }
        if list.len() > 2 {
            return Err("RecoveryMechanisms holds at most two mechanisms".into());
        }
        if list.iter().any(|m| m.name == MechanismName::AdminOnly) {
            return if list.len() == 1 {
                Ok(Self::AdminOnly)
            } else {
                Err("admin_only cannot be combined with another recovery mechanism".into())
            };
        }
        let mut sorted = list.to_vec();
        sorted.sort_by_key(|m| m.priority);
        if sorted.iter().any(|m| !(1..=2).contains(&m.priority))
            || sorted
                .windows(2)
                .any(|w| w[0].priority == w[1].priority || w[0].name == w[1].name)
        {
            return Err(
                "RecoveryMechanisms need distinct names and distinct priorities 1 and 2".into(),
            );
        }
        Ok(Self::Ordered(
            sorted
                .iter()
                .map(|m| match m.name {
                    MechanismName::VerifiedPhoneNumber => DeliveryMedium::Sms,
                    _ => DeliveryMedium::Email,
                })
                .collect(),
        ))
    }
}

pub const NO_VERIFIED_CHANNEL: &str =
    "Cannot reset password for the user as there is no registered/verified email or phone_number";
pub const ADMIN_ONLY: &str = "Contact administrator to reset password.";

/// The user's channel on `medium`, if it has the attribute, it is verified and not the MFA channel.
fn qualifying(user: &User, medium: DeliveryMedium) -> Option<Channel> {
    let (attr, flag, mfa) = match medium {
        DeliveryMedium::Email => ("email", "email_verified", MfaChannel::Email),
        DeliveryMedium::Sms => ("phone_number", "phone_number_verified", MfaChannel::Sms),
    };
    let destination = user.attributes.get(attr)?;
    if !user.attributes.is_true(flag) || user.mfa == Some(mfa) {
        return None;
    }
    Some(Channel {
        medium,
        destination: destination.to_string(),
    })
}

/// The user's email although unverified (`StuckUsers::unverified_email`), when the recovery
/// order sends by email and the email is not the user's MFA channel.
pub fn unverified_email(setting: &AccountRecovery, user: &User) -> Option<Channel> {
    if !setting.order().contains(&DeliveryMedium::Email) || user.mfa == Some(MfaChannel::Email) {
        return None;
    }
    Some(Channel {
        medium: DeliveryMedium::Email,
        destination: user.attributes.get("email")?.to_string(),
    })
}

/// Exactly one channel: the first mechanism, in priority order, that the user qualifies for.
pub fn resolve_channel(setting: &AccountRecovery, user: &User) -> Result<Channel, CognitoError> {
    if *setting == AccountRecovery::AdminOnly {
        return Err(CognitoError::NotAuthorized(ADMIN_ONLY.into()));
    }
    setting
        .order()
        .iter()
        .find_map(|m| qualifying(user, *m))
        .ok_or_else(|| CognitoError::InvalidParameter(NO_VERIFIED_CHANNEL.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::{Attributes, UserStatus};

    fn user(attrs: &[(&str, &str)], mfa: Option<MfaChannel>) -> User {
        let mut attributes = Attributes::default();
        for (k, v) in attrs {
            attributes.set(k, *v);
        }
        User {
            username: "u".into(),
            sub: "s".into(),
            status: UserStatus::Confirmed,
            enabled: true,
            attributes,
            password_hash: None,
            mfa,
        }
    }

    fn setting(list: &[(MechanismName, u8)]) -> AccountRecovery {
        let list: Vec<_> = list
            .iter()
            .map(|(name, priority)| RecoveryMechanism {
                name: *name,
                priority: *priority,
            })
            .collect();
        AccountRecovery::from_mechanisms(&list).unwrap()
    }

    const BOTH: [(&str, &str); 4] = [
        ("email", "jane@example.com"),
        ("email_verified", "true"),
        ("phone_number", "+12065550142"),
        ("phone_number_verified", "true"),
    ];

    #[test]
    fn priority_then_fallback() {
        use MechanismName::*;
        let email_first = setting(&[(VerifiedPhoneNumber, 2), (VerifiedEmail, 1)]);
        let got = resolve_channel(&email_first, &user(&BOTH, None)).unwrap();
        assert_eq!(got.medium, DeliveryMedium::Email);

        let phone_only = user(&BOTH[2..], None);
        assert_eq!(
            resolve_channel(&email_first, &phone_only).unwrap().medium,
            DeliveryMedium::Sms
        );

        let only_email_setting = setting(&[(VerifiedEmail, 1)]);
        let err = resolve_channel(&only_email_setting, &phone_only).unwrap_err();
        assert_eq!(err.to_string(), NO_VERIFIED_CHANNEL);
        assert_eq!(err.kind(), "InvalidParameterException");
    }

    #[test]
    fn unverified_and_mfa_channels_do_not_qualify() {
        use MechanismName::*;
        let phone_first = setting(&[(VerifiedPhoneNumber, 1), (VerifiedEmail, 2)]);
        let sms_mfa = user(&BOTH, Some(MfaChannel::Sms));
        assert_eq!(
            resolve_channel(&phone_first, &sms_mfa).unwrap().medium,
            DeliveryMedium::Email
        );
        let unverified = user(
            &[
                ("email", "a@b.c"),
                ("email_verified", "false"),
                ("phone_number", "+1555"),
            ],
            None,
        );
        assert_eq!(
            resolve_channel(&phone_first, &unverified)
                .unwrap_err()
                .kind(),
            "InvalidParameterException"
        );
        let email_mfa_only = user(&BOTH[..2], Some(MfaChannel::Email));
        assert!(resolve_channel(&phone_first, &email_mfa_only).is_err());
    }

    #[test]
    fn legacy_prefers_phone_and_admin_only_refuses() {
        assert_eq!(
            resolve_channel(&AccountRecovery::Legacy, &user(&BOTH, None))
                .unwrap()
                .medium,
            DeliveryMedium::Sms
        );
        let err = resolve_channel(&AccountRecovery::AdminOnly, &user(&BOTH, None)).unwrap_err();
        assert_eq!(err.kind(), "NotAuthorizedException");
        assert_eq!(err.to_string(), ADMIN_ONLY);
    }

    #[test]
    fn setting_rules() {
        use MechanismName::*;
        let m = |name, priority| RecoveryMechanism { name, priority };
        assert!(AccountRecovery::from_mechanisms(&[m(AdminOnly, 1), m(VerifiedEmail, 2)]).is_err());
        assert!(
            AccountRecovery::from_mechanisms(&[m(VerifiedEmail, 1), m(VerifiedPhoneNumber, 1)])
                .is_err()
        );
        assert!(
            AccountRecovery::from_mechanisms(&[m(VerifiedEmail, 1), m(VerifiedEmail, 2)]).is_err()
        );
        assert_eq!(
            AccountRecovery::from_mechanisms(&[]).unwrap(),
            AccountRecovery::Legacy
        );
    }
}
