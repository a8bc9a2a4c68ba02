//! The decoy record: the code-record key standing in for a login that has no real user behind it.

use crate::domain::code::CodeKeys;

/// Stable and keyed, so simulated requests are limited and answered exactly like real ones.
/// `login` is normalized (`PoolSettings::normalize_login`).
pub(super) fn decoy_key(key: &CodeKeys, login: &str) -> String {
    format!("decoy#{}", key.pseudonym("decoy-record", login))
}
