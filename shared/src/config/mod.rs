//! Settings, read once at start: from the environment (Lambda; every variable name and the typed
//! parsers in `env`) or from a JSON pool file (the local runner). Every failure names the bad
//! setting.

pub mod code_keys;
pub mod custom_sender;
pub mod delivery;
pub mod env;
mod error;
pub mod kms;
pub mod local_key;
mod messages;
mod pool_file;
mod recovery;
mod settings;
pub mod source_table;
mod source_users;
pub mod wiring;

pub use code_keys::{decode_key, parse_code_keys};
#[cfg(test)]
pub(crate) use env::test_env;
pub use error::ConfigError;
pub use messages::messages_from_env;
pub use recovery::recovery_from_env;
pub use settings::{Explicit, OutboxSettings, Settings};
pub use source_users::source_users_from_env;
pub use wiring::{CodeStoreKind, DeliveryKind, DirectoryKind, MigrationSourceKind, Wiring};
