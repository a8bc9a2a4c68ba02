//! Where users not yet in the directory are found and migrated from (Cognito's UserMigration
//! trigger): the old user store.

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod memory;

use std::sync::Arc;

use crate::aws_sdk::Aws;
use crate::config::{ConfigError, Wiring};
use crate::ports::MigrationSource;

/// The source table `wiring` names (`SOURCE_TABLE`); `None`: the settings' source users, if any.
/// `Wiring` reads a source table only in a build with `dynamodb`.
#[cfg_attr(not(feature = "dynamodb"), allow(unused_variables))]
pub fn build(wiring: &Wiring, aws: &Aws) -> Result<Option<Arc<dyn MigrationSource>>, ConfigError> {
    #[cfg(feature = "dynamodb")]
    if let Some(table) = &wiring.source_table {
        let sdk = aws.config(crate::config::env::SOURCE_TABLE)?;
        return Ok(Some(Arc::new(dynamodb::DynamoDbSourceUsers::connect(
            sdk,
            table.clone(),
        ))));
    }
    Ok(None)
}
