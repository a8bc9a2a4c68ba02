//! UserMigration: a source user mapped to what Cognito needs to create it in the pool.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::delivery::DeliveryMedium;
use super::error::CognitoError;
use super::recovery::{AccountRecovery, resolve_channel};
use super::user::{Attributes, User, UserStatus};

/// The error message an unknown user gets, so Cognito answers as it does for an unknown user.
pub const USER_DOES_NOT_EXIST: &str = "User does not exist.";
/// The error message of a failed sign-in: it says neither which part was wrong nor why.
pub const INCORRECT_CREDENTIALS: &str = "Incorrect username or password.";
/// The message action of every migration: the user already knows their account.
pub const SUPPRESS: &str = "SUPPRESS";

/// A user as a migration source keeps it. Debug hides the hash.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SourceUser {
    pub username: String,
    #[serde(default)]
    pub attributes: Attributes,
    /// argon2 PHC string or bcrypt hash; absent when the old system kept none.
    #[serde(default)]
    pub password_hash: Option<String>,
}

impl std::fmt::Debug for SourceUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceUser")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The trigger's answer: Cognito creates the user from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub user_attributes: BTreeMap<String, String>,
    pub final_user_status: UserStatus,
    pub message_action: &'static str,
    pub desired_delivery_mediums: Vec<DeliveryMedium>,
}

/// Attributes Cognito owns: a migration cannot set them.
fn is_reserved(name: &str) -> bool {
    matches!(
        name,
        "sub" | "username" | "cognito:username" | "cognito:user_status"
    ) || name.starts_with("cognito:")
}

/// The source attributes, with `email_verified` / `phone_number_verified` always set beside
/// `email` / `phone_number` ("true" only where the migration source says so).
fn attributes(source_user: &SourceUser) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = source_user
        .attributes
        .0
        .iter()
        .filter(|(k, v)| !is_reserved(k) && !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (attr, flag) in [
        ("email", "email_verified"),
        ("phone_number", "phone_number_verified"),
    ] {
        if source_user.attributes.get(attr).is_some() {
            out.insert(
                flag.into(),
                source_user.attributes.is_true(flag).to_string(),
            );
        } else {
            out.remove(flag);
        }
    }
    out
}

fn as_user(source_user: &SourceUser, attrs: &BTreeMap<String, String>, status: UserStatus) -> User {
    User {
        username: source_user.username.clone(),
        sub: String::new(),
        status,
        enabled: true,
        attributes: Attributes(attrs.clone()),
        password_hash: None,
        mfa: None,
    }
}

/// UserMigration_ForgotPassword: RESET_REQUIRED, nothing sent by Cognito, the code going to the
/// channel the pool's recovery setting picks. No qualifying channel: the recovery error.
pub fn for_reset(
    source_user: &SourceUser,
    recovery: &AccountRecovery,
) -> Result<Migration, CognitoError> {
    let user_attributes = attributes(source_user);
    let channel = resolve_channel(
        recovery,
        &as_user(source_user, &user_attributes, UserStatus::ResetRequired),
    )?;
    Ok(Migration {
        user_attributes,
        final_user_status: UserStatus::ResetRequired,
        message_action: SUPPRESS,
        desired_delivery_mediums: vec![channel.medium],
    })
}

/// UserMigration_Authentication (the password already checked): CONFIRMED. The medium named is
/// one the user can receive: the recovery's pick, else their verified email, else their verified
/// phone. Cognito reads a missing `desiredDeliveryMediums` as SMS, which an email-only user cannot
/// get; with SUPPRESS nothing is sent either way. None only for a user with no verified contact.
pub fn for_sign_in(source_user: &SourceUser, recovery: &AccountRecovery) -> Migration {
    let user_attributes = attributes(source_user);
    let verified = |flag: &str| user_attributes.get(flag).is_some_and(|v| v == "true");
    let mediums = resolve_channel(
        recovery,
        &as_user(source_user, &user_attributes, UserStatus::Confirmed),
    )
    .map(|c| c.medium)
    .ok()
    .or_else(|| verified("email_verified").then_some(DeliveryMedium::Email))
    .or_else(|| verified("phone_number_verified").then_some(DeliveryMedium::Sms))
    .into_iter()
    .collect();
    Migration {
        user_attributes,
        final_user_status: UserStatus::Confirmed,
        message_action: SUPPRESS,
        desired_delivery_mediums: mediums,
    }
}

impl Migration {
    /// The user the directory gets, under the login the person typed and a fresh `sub`.
    pub fn into_user(self, username: &str, sub: String) -> User {
        User {
            username: username.to_string(),
            sub,
            status: self.final_user_status,
            enabled: true,
            attributes: Attributes(self.user_attributes),
            password_hash: None,
            mfa: None,
        }
    }
}

/// A random (version 4) UUID for a new user's `sub`.
pub fn new_sub<R: rand::CryptoRng + ?Sized>(rng: &mut R) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::recovery::{MechanismName, RecoveryMechanism};
    use rand::SeedableRng;

    fn source_user(pairs: &[(&str, serde_json::Value)]) -> SourceUser {
        let attrs: serde_json::Map<_, _> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        serde_json::from_value(serde_json::json!({"Username": "lee", "Attributes": attrs})).unwrap()
    }

    fn email_first() -> AccountRecovery {
        AccountRecovery::from_mechanisms(&[
            RecoveryMechanism {
                name: MechanismName::VerifiedEmail,
                priority: 1,
            },
            RecoveryMechanism {
                name: MechanismName::VerifiedPhoneNumber,
                priority: 2,
            },
        ])
        .unwrap()
    }

    #[test]
    fn reset_migration_sets_flags_status_action_and_medium() {
        use serde_json::json;
        let l = source_user(&[
            ("email", json!("lee@legacy.example.com")),
            ("email_verified", json!(true)),
            ("phone_number", json!("+14255550100")),
            ("sub", json!("old-sub")),
            ("name", json!("Lee")),
        ]);
        let m = for_reset(&l, &email_first()).unwrap();
        assert_eq!(m.final_user_status, UserStatus::ResetRequired);
        assert_eq!(m.message_action, "SUPPRESS");
        assert_eq!(m.desired_delivery_mediums, vec![DeliveryMedium::Email]);
        assert_eq!(m.user_attributes["email_verified"], "true");
        assert_eq!(m.user_attributes["phone_number_verified"], "false");
        assert_eq!(m.user_attributes["name"], "Lee");
        assert!(!m.user_attributes.contains_key("sub"));

        let phone_only = source_user(&[
            ("phone_number", json!("+14255550100")),
            ("phone_number_verified", json!("true")),
        ]);
        assert_eq!(
            for_reset(&phone_only, &email_first())
                .unwrap()
                .desired_delivery_mediums,
            vec![DeliveryMedium::Sms]
        );
        let unverified = source_user(&[("email", json!("x@y.z"))]);
        assert_eq!(
            for_reset(&unverified, &email_first()).unwrap_err().kind(),
            "InvalidParameterException"
        );
        let sign_in = for_sign_in(&unverified, &email_first());
        assert_eq!(sign_in.final_user_status, UserStatus::Confirmed);
        assert!(sign_in.desired_delivery_mediums.is_empty());
    }

    #[test]
    fn a_sign_in_names_a_medium_the_user_can_receive_even_outside_the_recovery() {
        use serde_json::json;
        let email_only = AccountRecovery::from_mechanisms(&[RecoveryMechanism {
            name: MechanismName::VerifiedEmail,
            priority: 1,
        }])
        .unwrap();
        let phone_only_recovery = AccountRecovery::from_mechanisms(&[RecoveryMechanism {
            name: MechanismName::VerifiedPhoneNumber,
            priority: 1,
        }])
        .unwrap();
        let phone_user = source_user(&[
            ("phone_number", json!("+14255550123")),
            ("phone_number_verified", json!(true)),
        ]);
        let email_user = source_user(&[
            ("email", json!("lee@legacy.example.com")),
            ("email_verified", json!("true")),
        ]);
        for (user, recovery, medium) in [
            (&phone_user, &email_only, DeliveryMedium::Sms),
            (&email_user, &phone_only_recovery, DeliveryMedium::Email),
            (&email_user, &email_only, DeliveryMedium::Email),
        ] {
            let m = for_sign_in(user, recovery);
            assert_eq!(m.final_user_status, UserStatus::Confirmed);
            assert_eq!(m.desired_delivery_mediums, vec![medium]);
        }
    }

    #[test]
    fn subs_are_version_4_uuids() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let a = new_sub(&mut rng);
        let b = new_sub(&mut rng);
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }
}
