//! Implementations of the ports.

#[cfg(all(feature = "ses", feature = "sms"))]
pub mod aws_delivery;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "kms")]
pub mod esdk;
#[cfg(feature = "dynamodb")]
pub mod legacy_dynamodb;
pub mod legacy_memory;
pub mod memory;
pub mod outbox;
#[cfg(any(feature = "ses", feature = "sms"))]
pub mod redact;
#[cfg(feature = "ses")]
pub mod ses;
#[cfg(feature = "sms")]
pub mod sms;
#[cfg(any(feature = "ses", feature = "sms"))]
pub mod verified_cache;
