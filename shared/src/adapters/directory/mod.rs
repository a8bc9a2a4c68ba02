//! Who exists and which password signs in (`UserDirectory`), and the pool's app clients
//! (`AppClients`): in memory, on the DynamoDB users table, or the Cognito user pool itself.

#[cfg(feature = "cognito")]
pub mod cognito;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
pub mod fixed_app_clients;
pub mod memory;
pub mod password_hashing;

use std::sync::Arc;

use crate::aws_sdk::Aws;
use crate::config::env;
use crate::config::{ConfigError, DirectoryKind, Settings, Wiring};
use crate::domain::pool::{PoolSettings, TriggerFunctions};
use crate::ports::{AppClients, UserDirectory};

/// The directory chosen and, for a user pool, its app clients; `None`: the embedded ones.
#[derive(Default)]
pub struct Directory {
    pub users: Option<Arc<dyn UserDirectory>>,
    pub clients: Option<Arc<dyn AppClients>>,
    /// A user pool's trigger functions (its `LambdaConfig`); none for the other directories.
    pub triggers: TriggerFunctions,
    /// The user pool, when it is the directory: its app clients are shared under the code keys.
    #[cfg(feature = "cognito")]
    pub pool: Option<Arc<cognito::CognitoPool>>,
}

impl Directory {
    /// Once the code keys are read: the user pool's app clients are shared between containers,
    /// sealed under a key derived from them.
    #[cfg_attr(not(feature = "cognito"), allow(unused_variables))]
    pub fn share_clients_under(&self, keys: &crate::domain::code::CodeKeys) {
        #[cfg(feature = "cognito")]
        if let Some(pool) = &self.pool {
            pool.share_clients_under(keys);
        }
    }
}

/// The directory `wiring` chose, and the pool settings it serves: a user pool's own recovery
/// setting, password policy and case sensitivity (one DescribeUserPool), unless the settings name
/// them.
#[cfg_attr(
    not(any(feature = "dynamodb", feature = "cognito")),
    allow(unused_variables)
)]
pub async fn build(
    settings: &Settings,
    wiring: &Wiring,
    aws: &Aws,
) -> Result<(Directory, PoolSettings), ConfigError> {
    #[cfg_attr(not(feature = "cognito"), allow(unused_mut))]
    let mut pool = settings.pool.clone();
    let directory = match wiring.directory {
        DirectoryKind::Memory => {
            need_clients(&pool)?;
            Directory::default()
        }
        #[cfg(feature = "dynamodb")]
        DirectoryKind::Dynamodb => {
            let table = crate::adapters::dynamodb_tables::table_name(
                env::USERS_TABLE,
                wiring.users_table.as_deref(),
            )?;
            need_clients(&pool)?;
            let client = aws_sdk_dynamodb::Client::new(aws.config(env::USERS_TABLE)?);
            Directory {
                users: Some(Arc::new(dynamodb::DynamoDbDirectory::new(client, table))),
                ..Directory::default()
            }
        }
        #[cfg(feature = "cognito")]
        DirectoryKind::Cognito => {
            let directory = cognito_pool(aws, wiring).await?;
            let description = directory.description();
            pool.user_pool_id = description.user_pool_id.clone();
            if !settings.explicit.recovery
                && let Some(recovery) = &description.recovery
            {
                pool.recovery = recovery.clone();
            }
            if !settings.explicit.password_policy
                && let Some(policy) = description.password_policy
            {
                pool.password_policy = policy;
            }
            if !settings.explicit.case_sensitive {
                pool.case_sensitive = description.case_sensitive;
            }
            let triggers = description.triggers.clone();
            let directory = Arc::new(directory);
            Directory {
                users: Some(directory.clone()),
                clients: Some(directory.clone()),
                triggers,
                pool: Some(directory),
            }
        }
    };
    Ok((directory, pool))
}

/// Without a user pool, the app clients are the settings' own.
fn need_clients(pool: &PoolSettings) -> Result<(), ConfigError> {
    if pool.clients.is_empty() {
        return Err(ConfigError::new(
            env::APP_CLIENTS,
            "at least one app client is needed unless DIRECTORY=cognito",
        ));
    }
    Ok(())
}

#[cfg(feature = "cognito")]
async fn cognito_pool(aws: &Aws, wiring: &Wiring) -> Result<cognito::CognitoPool, ConfigError> {
    use cognito::{CognitoOptions, CognitoPool};
    let pool_id = wiring
        .user_pool_id
        .clone()
        .ok_or_else(|| ConfigError::new(env::USER_POOL_ID, "required when DIRECTORY=cognito"))?;
    let sdk = aws.config(env::USER_POOL_ID)?;
    // The pool's quotas are the account's, shared by every container: no retry storm.
    let client = aws_sdk_cognitoidentityprovider::Client::from_conf(
        aws_sdk_cognitoidentityprovider::config::Builder::from(sdk)
            .retry_config(crate::aws_sdk::shared_quota_retries())
            .build(),
    );
    let shared = shared_table(aws, wiring)?;
    CognitoPool::connect_sharing(
        client,
        pool_id.clone(),
        CognitoOptions {
            sign_out_on_reset: wiring.sign_out_on_reset,
            ..CognitoOptions::default()
        },
        shared.as_ref(),
    )
    .await
    .map_err(|e| ConfigError::new(env::USER_POOL_ID, format!("user pool {pool_id}: {e}")))
}

/// Where containers share what they learned from the pool: the codes table, when the codes are
/// in DynamoDB (as deployed); none otherwise.
#[cfg(feature = "cognito")]
fn shared_table(aws: &Aws, wiring: &Wiring) -> Result<Option<cognito::SharedTable>, ConfigError> {
    #[cfg(feature = "dynamodb")]
    if wiring.codes == crate::config::CodeStoreKind::Dynamodb {
        let table = crate::adapters::dynamodb_tables::table_name(
            env::CODES_TABLE,
            wiring.codes_table.as_deref(),
        )?;
        let client = aws_sdk_dynamodb::Client::new(aws.config(env::CODES_TABLE)?);
        return Ok(Some(cognito::SharedTable::new(client, table)));
    }
    let _ = (aws, wiring);
    Ok(None)
}
