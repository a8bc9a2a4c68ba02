//! The Cognito user pool as the directory and the source of app clients (feature `cognito`).
//!
//! Round trips (Cognito API calls):
//! - `connect`: none when another container shared the pool's description less than 5 minutes
//!   ago (an item in the codes table, `SharedTable`); else one DescribeUserPool, shared once
//!   answered, retried with jitter within the start's budget when throttled (`describe.rs`).
//! - `AppClients::find`: one DescribeUserPoolClient the first time a client id is seen, unless
//!   another container shared it less than 5 minutes ago (an item in the codes table, sealed:
//!   `sealed_client.rs`); none after (a miss is asked again only after `client_miss_recheck`,
//!   and never shared); ids never seen share one token bucket per container (a burst of 10, then
//!   1 a second), past which the answer is TooManyRequests without a call, or a stale shared
//!   item when there is one.
//! - `UserDirectory::find`: by the login's form alone, never by whether it exists: one
//!   AdminGetUser for a login that can only be a username; for one that may be a sub or an alias
//!   the pool has (email / phone_number / preferred_username in `AliasAttributes`), one ListUsers
//!   with a filter (emulators such as moto resolve neither through AdminGetUser) and then one
//!   AdminGetUser, by the username found or else by the login.
//! - `set_password`: one AdminSetUserPassword (a single attempt, no SDK retry).
//! - `end_sessions`: one AdminUserGlobalSignOut when `sign_out_on_reset` (the default), retried
//!   only when it fails, within `sign_out_deadline`; none otherwise.
//! - `create`: one AdminCreateUser and one AdminSetUserPassword (plus one AdminDeleteUser to
//!   undo the creation if that fails).
//!
//! IAM: `cognito-idp:DescribeUserPool`, `DescribeUserPoolClient`, `AdminGetUser`, `ListUsers`,
//! `AdminSetUserPassword`, `AdminUserGlobalSignOut`, and for migration `AdminCreateUser`,
//! `AdminDeleteUser`, all on the pool's ARN.

mod clients;
mod describe;
mod directory;
mod pool;
mod sealed_client;
#[cfg(feature = "dynamodb")]
mod shared_table;
/// Without the `dynamodb` feature there is no table to share through.
#[cfg(not(feature = "dynamodb"))]
mod shared_table {
    use std::time::Duration;

    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(super) struct SharedFact {
        pub json: String,
        pub age: Duration,
    }

    #[derive(Debug, Clone)]
    pub enum SharedTable {}

    impl SharedTable {
        pub(super) async fn read(&self, _: &str) -> Option<SharedFact> {
            match *self {}
        }

        pub(super) async fn write(&self, _: &str, _: String) {
            match *self {}
        }

        pub(super) fn item_key(&self, _: &str) -> String {
            match *self {}
        }
    }
}

use std::sync::OnceLock;
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::Client;

use crate::domain::code::CodeKeys;
use crate::ports::StoreError;

pub use pool::{PoolDescription, account_recovery, password_policy};
pub use shared_table::SharedTable;

/// The adapter's own settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CognitoOptions {
    /// End every session (AdminUserGlobalSignOut) after a reset: a stolen password's sessions
    /// must not outlive it. Default true.
    pub sign_out_on_reset: bool,
    /// How long an unknown client id is believed unknown before DescribeUserPoolClient is asked
    /// again. Default 60 s.
    pub client_miss_recheck: Duration,
    /// The one AdminSetUserPassword attempt of a reset (never retried by the SDK: a retry's answer
    /// could hide that the first attempt applied). Past it the outcome is unknown. Default 2 s.
    pub password_change_timeout: Duration,
    /// How long the sign-out after a password change is retried before the reset fails (each
    /// attempt at most `sign_out_attempt_timeout`). Defaults 3 s and 1 s: with the password
    /// change, well inside the confirm's deadline (8 s) and the function's timeout (10 s).
    pub sign_out_deadline: Duration,
    pub sign_out_attempt_timeout: Duration,
}

impl Default for CognitoOptions {
    fn default() -> Self {
        Self {
            sign_out_on_reset: true,
            client_miss_recheck: Duration::from_secs(60),
            password_change_timeout: Duration::from_secs(2),
            sign_out_deadline: Duration::from_secs(3),
            sign_out_attempt_timeout: Duration::from_secs(1),
        }
    }
}

/// One user pool, as `UserDirectory` and `AppClients`. Built once per container.
pub struct CognitoPool {
    client: Client,
    description: PoolDescription,
    options: CognitoOptions,
    clients: clients::ClientCache,
    /// Where containers share what they learned (the app clients as well as the description).
    shared: Option<SharedTable>,
    /// The app clients' seal, once the code keys are read (`share_clients_under`): until then
    /// clients are neither read from nor written to `shared`.
    client_seal: OnceLock<sealed_client::ClientSeal>,
}

impl std::fmt::Debug for CognitoPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CognitoPool")
            .field("description", &self.description)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl CognitoPool {
    /// `connect_sharing` with nothing shared: DescribeUserPool alone.
    pub async fn connect(
        client: Client,
        user_pool_id: String,
        options: CognitoOptions,
    ) -> Result<Self, StoreError> {
        Self::connect_sharing(client, user_pool_id, options, None).await
    }

    /// Reads the pool's settings once (`describe.rs`: from what other containers shared through
    /// `shared`, else DescribeUserPool); fails when the pool does not exist, or when Cognito gave
    /// no answer within the start's budget and nothing was shared.
    pub async fn connect_sharing(
        client: Client,
        user_pool_id: String,
        options: CognitoOptions,
        shared: Option<&SharedTable>,
    ) -> Result<Self, StoreError> {
        let description = describe::describe(&client, &user_pool_id, shared).await?;
        tracing::info!(pool = %user_pool_id, case_sensitive = description.case_sensitive,
            aliases = ?description.alias_attributes, username_attributes = ?description.username_attributes,
            "user pool described");
        Ok(Self {
            client,
            description,
            options,
            clients: clients::ClientCache::default(),
            shared: shared.cloned(),
            client_seal: OnceLock::new(),
        })
    }

    /// Shares the app clients through the table given at connection, sealed under a key derived
    /// from `keys`' current key (the code keys are read beside the pool's description, so they
    /// come after it).
    pub fn share_clients_under(&self, keys: &CodeKeys) {
        if self.shared.is_some() {
            let seal = sealed_client::ClientSeal::new(keys, &self.description.user_pool_id);
            let _ = self.client_seal.set(seal);
        }
    }

    pub fn description(&self) -> &PoolDescription {
        &self.description
    }

    /// The pool's triggers as the functions read them at start (`doctor`'s view of them).
    pub async fn triggers_of(
        sdk: &crate::aws_sdk::SdkConfig,
        user_pool_id: &str,
    ) -> Result<crate::domain::pool::TriggerFunctions, StoreError> {
        let pool = Self::connect(
            Client::new(sdk),
            user_pool_id.to_string(),
            CognitoOptions::default(),
        )
        .await?;
        Ok(pool.description.triggers)
    }
}
