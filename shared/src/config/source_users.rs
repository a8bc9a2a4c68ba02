//! Source users kept in memory, from the file `SOURCE_USERS_FILE` names.

use serde::Deserialize;

use super::ConfigError;
use super::env::{self, Env};
use crate::domain::migration::SourceUser;

/// A source users file: the list itself, or a pool file holding it under `SourceUsers`.
#[derive(Deserialize)]
#[serde(untagged)]
enum SourceUsersFile {
    List(Vec<SourceUser>),
    #[serde(rename_all = "PascalCase")]
    Pool {
        source_users: Vec<SourceUser>,
    },
}

/// `SOURCE_USERS_FILE`: source users (`Username`, `Attributes`, `PasswordHash`) served from memory,
/// for local runs and tests; a JSON list, or a pool file such as `config/demo-pool.json`.
pub fn source_users_from_env(
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<Vec<SourceUser>>, ConfigError> {
    let file = Env::new(env).json_file::<SourceUsersFile>(
        env::SOURCE_USERS_FILE,
        "expected a list of source users or an object with SourceUsers",
    )?;
    Ok(file.map(|f| match f {
        SourceUsersFile::List(users)
        | SourceUsersFile::Pool {
            source_users: users,
        } => users,
    }))
}
