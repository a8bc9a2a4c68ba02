//! Where users not yet in the directory are found and migrated from (Cognito's UserMigration
//! trigger): the old user store.

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod memory;

use std::sync::Arc;

use crate::aws_sdk::Aws;
use crate::config::env;
use crate::config::{ConfigError, MigrationSourceKind, Wiring, source_users_from_env};
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

/// The UserMigration function's one port, as `MIGRATION_SOURCE` chooses: the source table
/// `SOURCE_TABLE` names (required then), or the users of `SOURCE_USERS_FILE` in memory.
pub async fn from_env(
    vars: &impl Fn(&str) -> Option<String>,
) -> Result<Arc<dyn MigrationSource>, ConfigError> {
    let not_set = |name: &str| {
        ConfigError::new(
            name,
            format!("not set ({} needs it)", env::MIGRATION_SOURCE),
        )
    };
    match MigrationSourceKind::from_env(vars)? {
        MigrationSourceKind::Memory => {
            let users =
                source_users_from_env(vars)?.ok_or_else(|| not_set(env::SOURCE_USERS_FILE))?;
            Ok(Arc::new(memory::MemorySourceUsers::new(users)))
        }
        #[cfg(feature = "dynamodb")]
        MigrationSourceKind::Dynamodb => {
            if env::Env::new(vars).text(env::SOURCE_TABLE).is_none() {
                return Err(not_set(env::SOURCE_TABLE));
            }
            let wiring = Wiring {
                source_table: Some(crate::config::source_table::SourceTable::from_env(vars)?),
                ..Wiring::default()
            };
            let aws = Aws::load(true).await;
            build(&wiring, &aws)?.ok_or_else(|| ConfigError::new(env::SOURCE_TABLE, "not set"))
        }
    }
}
