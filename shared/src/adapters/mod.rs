//! Implementations of the ports.

pub mod app_clients;
#[cfg(all(feature = "ses", feature = "sms"))]
pub mod aws_delivery;
#[cfg(feature = "cognito")]
pub mod cognito;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "kms")]
pub mod esdk;
pub mod memory;
pub mod migration_source;
pub mod outbox;
pub mod password_hashing;
#[cfg(any(feature = "ses", feature = "sms"))]
pub mod redact;
#[cfg(feature = "secrets")]
pub mod secrets;
#[cfg(feature = "ses")]
pub mod ses;
#[cfg(feature = "sms")]
pub mod sms;
#[cfg(any(feature = "ses", feature = "sms"))]
pub mod verified_cache;
