//! Where users not yet in the directory are found and migrated from (Cognito's UserMigration
//! trigger): the old user store.

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod memory;
