//! Users and codes in DynamoDB (feature `dynamodb`). See `schema` for the tables.
//!
//! Round trips: a lookup is one read (GetItem by username, or one Query on the alias index the
//! login's form names); an issue or a revoke is one conditional UpdateItem; a confirm is one
//! transaction (consume the code + set the password), plus one conditional UpdateItem counting
//! the attempt when the code was wrong.

mod codes;
pub(crate) mod errors;
pub mod schema;
mod users;

use aws_sdk_dynamodb::Client;

use crate::domain::code::CodePolicy;

pub use schema::{Tables, create_tables};
pub use users::{FromTable, LoginForm, UserItem};

/// Both ports over the two tables. Built once per process; cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    tables: Tables,
    /// The request limit of the pool this store serves: the number of window slots per code item.
    request_slots: u32,
}

impl DynamoStore {
    pub fn new(client: Client, tables: Tables, policy: &CodePolicy) -> Self {
        Self {
            client,
            tables,
            request_slots: policy.max_requests,
        }
    }

    /// A client from the environment's AWS configuration (region, credentials, and
    /// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_DYNAMODB` for an emulator).
    pub async fn client_from_env() -> Client {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Client::new(&config)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }
}

/// The store a function uses when `STORE=dynamodb`: table names from `USERS_TABLE` and
/// `CODES_TABLE`, the client from the environment's AWS configuration.
pub async fn store_from_env(
    env: impl Fn(&str) -> Option<String>,
    policy: &CodePolicy,
) -> Result<DynamoStore, crate::config::ConfigError> {
    use crate::config::env::{CODES_TABLE, Env, MAX_REQUESTS_PER_HOUR, USERS_TABLE};
    let vars = Env::new(&env);
    let why = "must name a DynamoDB table when STORE=dynamodb";
    let tables = Tables {
        users: vars.required(USERS_TABLE, why)?,
        codes: vars.required(CODES_TABLE, why)?,
    };
    if !(1..=schema::MAX_REQUEST_SLOTS).contains(&policy.max_requests) {
        return Err(crate::config::ConfigError::new(
            MAX_REQUESTS_PER_HOUR,
            format!(
                "the DynamoDB store supports 1..={} requests per window",
                schema::MAX_REQUEST_SLOTS
            ),
        ));
    }
    Ok(DynamoStore::new(
        DynamoStore::client_from_env().await,
        tables,
        policy,
    ))
}
