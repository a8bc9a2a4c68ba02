//! Confirmation codes: generation, keyed hashing, and the life of one user's code record.
//!
//! The record is the unit every store keeps per user and changes atomically: the live code's keyed
//! hash with its expiry and failed attempts, and the times of the requests in the current window.
//!
//! `policy` holds the limits and the code in clear, `keys` the keyring codes are hashed under, and
//! `record` the record itself; every name is used from here.

mod keys;
mod policy;
mod record;

pub use keys::{
    Attempt, CodeDigest, CodeKey, CodeKeys, KeyId, MAX_KEY_ID_CHARS, MAX_KEYS, MIN_KEY_BYTES,
};
pub use policy::{
    CodePolicy, ConfirmationCode, MAX_CALLER_REQUESTS, MAX_SMS_TTL_SECONDS, MAX_TTL_SECONDS,
    MIN_TTL_SECONDS,
};
pub use record::{CodeRecord, CodeState, LiveCode, Redemption, RequestLimitReached};
