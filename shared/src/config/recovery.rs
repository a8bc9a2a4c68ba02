//! The pool's AccountRecoverySetting from the environment.

use super::ConfigError;
use super::env::{self, Env, Spellings};
use crate::domain::recovery::{AccountRecovery, MechanismName, RecoveryMechanism};

const MECHANISMS: Spellings<MechanismName> = Spellings {
    what: "a recovery mechanism",
    values: &[
        ("verified_email", MechanismName::VerifiedEmail),
        ("verified_phone_number", MechanismName::VerifiedPhoneNumber),
        ("admin_only", MechanismName::AdminOnly),
    ],
};

/// `RECOVERY_MECHANISMS`: `verified_email,verified_phone_number` (comma-separated, highest
/// priority first), `admin_only`, or unset for a legacy pool.
pub fn recovery_from_env(
    env: &impl Fn(&str) -> Option<String>,
) -> Result<AccountRecovery, ConfigError> {
    AccountRecovery::from_mechanisms(&mechanisms_from_env(env)?)
        .map_err(|e| ConfigError::new(env::RECOVERY_MECHANISMS, e))
}

/// The mechanisms as listed, prioritised in order; unchecked (the pool file's are checked the
/// same way, as `AccountRecoverySetting`).
pub(super) fn mechanisms_from_env(
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<RecoveryMechanism>, ConfigError> {
    let names = Env::new(env).choices(env::RECOVERY_MECHANISMS, &MECHANISMS)?;
    Ok(names
        .into_iter()
        .zip(1u8..)
        .map(|(name, priority)| RecoveryMechanism { name, priority })
        .collect())
}
