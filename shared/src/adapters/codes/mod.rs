//! Where codes, request windows and caller windows live (`CodeStore`): in memory, or on the
//! DynamoDB codes table; and the keys codes are digested under, read from Secrets Manager.

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "secrets")]
pub mod key_secret;
pub mod memory;
