//! The two DynamoDB tables the DynamoDB directory (`directory::dynamodb`, the users table) and
//! code store (`codes::dynamodb`, the codes table) are built on (feature `dynamodb`): names of
//! keys, indexes and attributes, table creation, the item type and the client (DynamoDB's
//! failures are mapped in `aws_errors`). Neither adapter; what both stand on, so that the two may
//! be deployed together or apart.

pub mod schema;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

pub use schema::{Tables, create_tables};

/// An item as the SDK reads and writes it.
pub type Item = HashMap<String, AttributeValue>;

/// A client from the one AWS configuration (`aws_sdk::load_sdk_config`: region, credentials, and
/// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_DYNAMODB` for an emulator).
pub async fn client_from_env() -> Result<Client, crate::config::ConfigError> {
    Ok(Client::new(&crate::aws_sdk::load_sdk_config().await?))
}

/// The table `setting` names (`USERS_TABLE`, `CODES_TABLE`), required by the adapter on it.
pub fn table_name(setting: &str, name: Option<&str>) -> Result<String, crate::config::ConfigError> {
    name.map(str::to_string)
        .ok_or_else(|| crate::config::ConfigError::new(setting, "must name a DynamoDB table"))
}
