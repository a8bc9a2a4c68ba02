//! The runner's DynamoDB tools: the table names, `create-tables` and `import-users`.

#[cfg(feature = "aws")]
use std::path::Path;

#[cfg(feature = "aws")]
use password_reset::adapters::directory::dynamodb::DynamoDbDirectory;
#[cfg(feature = "aws")]
use password_reset::adapters::dynamodb_tables::{self, Tables};
#[cfg(feature = "aws")]
use password_reset::domain::user::User;

use password_reset::config::env;

#[derive(Debug, clap::Args)]
pub struct TableArgs {
    /// The users table (with `--store dynamodb`, `create-tables`, `import-users`).
    #[arg(long, env = env::USERS_TABLE, default_value = "cognito-reset-users")]
    pub users_table: String,
    /// The codes table.
    #[arg(long, env = env::CODES_TABLE, default_value = "cognito-reset-codes")]
    pub codes_table: String,
}

#[cfg(feature = "aws")]
impl TableArgs {
    fn tables(&self) -> Tables {
        Tables {
            users: self.users_table.clone(),
            codes: self.codes_table.clone(),
        }
    }
}

#[cfg(feature = "aws")]
pub async fn create_tables(args: &TableArgs) -> Result<(), String> {
    let client = dynamodb_tables::client_from_env()
        .await
        .map_err(|e| e.to_string())?;
    let tables = args.tables();
    dynamodb_tables::create_tables(&client, &tables)
        .await
        .map_err(|e| e.to_string())?;
    println!("tables ready: {} and {}", tables.users, tables.codes);
    Ok(())
}

/// Users from `file`: a JSON list of users, or an object with a "Users" list (a pool file).
#[cfg(feature = "aws")]
fn read_users(file: &Path) -> Result<Vec<User>, String> {
    let text =
        std::fs::read_to_string(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let list = match value {
        serde_json::Value::Object(mut pool) => pool
            .remove("Users")
            .ok_or_else(|| format!("{}: no \"Users\" list", file.display()))?,
        other => other,
    };
    serde_json::from_value(list).map_err(|e| format!("{}: {e}", file.display()))
}

#[cfg(feature = "aws")]
pub async fn import_users(args: &TableArgs, file: &Path) -> Result<(), String> {
    let users = read_users(file)?;
    let client = dynamodb_tables::client_from_env()
        .await
        .map_err(|e| e.to_string())?;
    let store = DynamoDbDirectory::new(client, &args.users_table);
    let count = users.len();
    for user in users {
        let username = user.username.clone();
        store
            .put_user(&user)
            .await
            .map_err(|e| format!("user {username}: {e}"))?;
    }
    println!("imported {count} users into {}", args.users_table);
    Ok(())
}
