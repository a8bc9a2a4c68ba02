//! The one composition root: directory × code store × delivery × migration source, for the Lambda
//! functions and the local runner alike. Settings are read first (a bad one is named before any
//! client exists); the AWS SDK configuration is then loaded once, and only when an AWS adapter is
//! chosen.

use std::str::FromStr;
use std::sync::Arc;

use rand::CryptoRng;

use crate::adapters::codes::memory::MemoryCodes;
use crate::adapters::delivery::outbox::Outbox;
use crate::adapters::directory::fixed_app_clients::FixedAppClients;
use crate::adapters::directory::memory::MemoryDirectory;
use crate::adapters::migration_source::memory::MemorySourceUsers;
use crate::config::{ConfigError, Settings};
use crate::domain::code::CodeKeys;
use crate::ports::{AppClients, CodeStore, EmailSender, MigrationSource, SmsSender, UserDirectory};
use crate::usecases::{Ports, ResetService};

/// The setting a missing code key is reported under: the one this build reads the keys from.
#[cfg(feature = "secrets")]
const KEY_SETTING: &str = "CODE_HASH_KEY_SECRET_ARN";
#[cfg(not(feature = "secrets"))]
const KEY_SETTING: &str = "CODE_HASH_KEY";

fn bad(setting: &str, problem: impl std::fmt::Display) -> ConfigError {
    ConfigError {
        setting: setting.to_string(),
        problem: problem.to_string(),
    }
}

/// Who exists and which password signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryKind {
    /// The embedded store, seeded from settings (local runs and tests).
    Memory,
    /// The users table (a stack without a user pool).
    Dynamodb,
    /// A Cognito user pool: the deployed default.
    Cognito,
}

/// Where codes and request counts live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStoreKind {
    Memory,
    Dynamodb,
}

/// How messages leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    /// Printed and appended to the outbox file.
    Outbox,
    /// SES v2 for email, End User Messaging SMS v2 for SMS.
    Aws,
}

impl FromStr for DirectoryKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "memory" => Ok(Self::Memory),
            "dynamodb" => Ok(Self::Dynamodb),
            "cognito" => Ok(Self::Cognito),
            other => Err(format!(
                "{other:?} is not a directory (memory, dynamodb, cognito)"
            )),
        }
    }
}

impl FromStr for CodeStoreKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "memory" => Ok(Self::Memory),
            "dynamodb" => Ok(Self::Dynamodb),
            other => Err(format!("{other:?} is not a known store (memory, dynamodb)")),
        }
    }
}

impl FromStr for DeliveryKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "outbox" => Ok(Self::Outbox),
            "aws" => Ok(Self::Aws),
            other => Err(format!("{other:?} is not a known delivery (outbox, aws)")),
        }
    }
}

/// Which adapters a process runs on, and where they point.
#[derive(Debug, Clone)]
pub struct Wiring {
    pub directory: DirectoryKind,
    pub codes: CodeStoreKind,
    pub delivery: DeliveryKind,
    /// `USERS_TABLE`, for the DynamoDB directory.
    pub users_table: Option<String>,
    /// `CODES_TABLE`, for the DynamoDB code store.
    pub codes_table: Option<String>,
    /// `USER_POOL_ID`, for the Cognito directory.
    pub user_pool_id: Option<String>,
    /// `SIGN_OUT_ON_RESET` (default true): a reset ends every session of the user.
    pub sign_out_on_reset: bool,
    /// Whether the outbox also prints each message (the runner does).
    pub print_outbox: bool,
    /// SES and SMS settings, read when the delivery is `aws`.
    #[cfg(all(feature = "ses", feature = "sms"))]
    pub aws_delivery: Option<crate::config::delivery::AwsDeliverySettings>,
    /// The migration source's table (`SOURCE_TABLE` and friends), when set.
    #[cfg(feature = "dynamodb")]
    pub source_table: Option<crate::adapters::migration_source::dynamodb::SourceTable>,
    /// `CODE_HASH_KEY_SECRET_ARN`: the secret holding the code keys, read once at assembly.
    /// Exclusive with a literal key (`CODE_HASH_KEY`, the pool file's `CodeHashKey`).
    pub code_key_secret_arn: Option<String>,
}

impl Default for Wiring {
    fn default() -> Self {
        Self {
            directory: DirectoryKind::Memory,
            codes: CodeStoreKind::Memory,
            delivery: DeliveryKind::Outbox,
            users_table: None,
            codes_table: None,
            user_pool_id: None,
            sign_out_on_reset: true,
            print_outbox: false,
            #[cfg(all(feature = "ses", feature = "sms"))]
            aws_delivery: None,
            #[cfg(feature = "dynamodb")]
            source_table: None,
            code_key_secret_arn: None,
        }
    }
}

fn non_empty(env: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl Wiring {
    /// `DIRECTORY` (`memory`, `dynamodb`, `cognito`; unset: the same as `STORE`), `STORE` (the
    /// code store: `memory` or `dynamodb`), `DELIVERY` (`outbox` or `aws`), the table names,
    /// `USER_POOL_ID` and `SIGN_OUT_ON_RESET`.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let codes: CodeStoreKind = non_empty(env, "STORE")
            .map(|v| v.parse())
            .transpose()
            .map_err(|e| bad("STORE", e))?
            .unwrap_or(CodeStoreKind::Memory);
        let directory = match non_empty(env, "DIRECTORY") {
            Some(v) => v.parse().map_err(|e| bad("DIRECTORY", e))?,
            None => match codes {
                CodeStoreKind::Memory => DirectoryKind::Memory,
                CodeStoreKind::Dynamodb => DirectoryKind::Dynamodb,
            },
        };
        let delivery = non_empty(env, "DELIVERY")
            .map(|v| v.parse())
            .transpose()
            .map_err(|e| bad("DELIVERY", e))?
            .unwrap_or(DeliveryKind::Outbox);
        let sign_out_on_reset = match non_empty(env, "SIGN_OUT_ON_RESET").as_deref() {
            None => true,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                return Err(bad(
                    "SIGN_OUT_ON_RESET",
                    format!("{v:?} is neither true nor false"),
                ));
            }
        };
        let mut wiring = Self {
            directory,
            codes,
            delivery,
            users_table: non_empty(env, "USERS_TABLE"),
            codes_table: non_empty(env, "CODES_TABLE"),
            user_pool_id: non_empty(env, "USER_POOL_ID"),
            sign_out_on_reset,
            ..Self::default()
        };
        wiring.read_adapter_settings(env)?;
        Ok(wiring)
    }

    /// The settings of the adapters chosen: SES/SMS for `aws` delivery, the source table when
    /// `SOURCE_TABLE` is set. Every read of the environment the assembly needs happens here or in
    /// `from_env`, before any client exists.
    pub fn read_adapter_settings(
        &mut self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        if self.delivery == DeliveryKind::Aws {
            #[cfg(all(feature = "ses", feature = "sms"))]
            {
                self.aws_delivery =
                    Some(crate::config::delivery::AwsDeliverySettings::from_env(env)?);
            }
            #[cfg(not(all(feature = "ses", feature = "sms")))]
            return Err(not_built("DELIVERY", "aws", "ses` and `sms"));
        }
        self.code_key_secret_arn = non_empty(env, "CODE_HASH_KEY_SECRET_ARN");
        #[cfg(not(feature = "secrets"))]
        if self.code_key_secret_arn.is_some() {
            return Err(bad(
                "CODE_HASH_KEY_SECRET_ARN",
                "a key from Secrets Manager needs the `secrets` cargo feature, which this build \
                 does not have; give a literal key in CODE_HASH_KEY instead",
            ));
        }
        if non_empty(env, "SOURCE_TABLE").is_some() {
            #[cfg(feature = "dynamodb")]
            {
                self.source_table =
                    Some(crate::adapters::migration_source::dynamodb::SourceTable::from_env(env)?);
            }
            #[cfg(not(feature = "dynamodb"))]
            return Err(not_built("SOURCE_TABLE", "a source table", "dynamodb"));
        }
        Ok(())
    }

    #[cfg(any(
        feature = "dynamodb",
        feature = "ses",
        feature = "sms",
        feature = "cognito",
        feature = "secrets"
    ))]
    fn has_source_table(&self) -> bool {
        #[cfg(feature = "dynamodb")]
        return self.source_table.is_some();
        #[cfg(not(feature = "dynamodb"))]
        false
    }

    fn needs_aws(&self) -> bool {
        self.directory != DirectoryKind::Memory
            || self.codes != CodeStoreKind::Memory
            || self.delivery != DeliveryKind::Outbox
            || self.code_key_secret_arn.is_some()
    }
}

/// What the assembly built: the service, and the embedded parts a runner or a test looks into.
pub struct Assembled {
    pub service: ResetService,
    /// The embedded directory, when it serves.
    pub memory_users: Option<Arc<MemoryDirectory>>,
    /// The embedded code store, when it serves.
    pub memory_codes: Option<Arc<MemoryCodes>>,
    /// The outbox, when it is the delivery.
    pub outbox: Option<Arc<Outbox>>,
}

#[cfg(not(all(
    feature = "dynamodb",
    feature = "ses",
    feature = "sms",
    feature = "cognito"
)))]
fn not_built(setting: &str, value: &str, feature: &str) -> ConfigError {
    bad(
        setting,
        format!("{value} needs the `{feature}` cargo feature, which this build does not have"),
    )
}

/// Builds the service `wiring` describes, loading the AWS SDK configuration once if an AWS
/// adapter is chosen.
pub async fn assemble<R: CryptoRng + ?Sized>(
    settings: &Settings,
    wiring: &Wiring,
    rng: &mut R,
) -> Result<Assembled, ConfigError> {
    #[cfg_attr(not(feature = "cognito"), allow(unused_mut))]
    let mut pool = settings.pool.clone();
    // The code keys: a literal key here, or the secret's (read once the SDK is configured).
    let literal_key: Option<CodeKeys> =
        match (&settings.key, &wiring.code_key_secret_arn, wiring.codes) {
            (Some(_), Some(_), _) => {
                return Err(bad(
                    "CODE_HASH_KEY_SECRET_ARN",
                    "set either CODE_HASH_KEY_SECRET_ARN or a literal key (CODE_HASH_KEY, \
                     --code-hash-key, the pool file's CodeHashKey), not both",
                ));
            }
            (Some(key), None, _) => Some(key.clone().into()),
            (None, Some(_), _) => None,
            (None, None, CodeStoreKind::Memory) => Some(CodeKeys::generate(rng)),
            // A random key per process would make codes issued by one container fail in another.
            (None, None, CodeStoreKind::Dynamodb) => {
                return Err(bad(
                    KEY_SETTING,
                    "a shared code store (STORE=dynamodb) needs the code keys, the same in every \
                     function: CODE_HASH_KEY_SECRET_ARN (the secret holding them, as deployed) or \
                     CODE_HASH_KEY (a literal base64 key of at least 32 bytes)",
                ));
            }
        };

    #[cfg(any(
        feature = "dynamodb",
        feature = "ses",
        feature = "sms",
        feature = "cognito",
        feature = "secrets"
    ))]
    let sdk = if wiring.needs_aws() || wiring.has_source_table() {
        Some(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .load()
                .await,
        )
    } else {
        None
    };
    #[cfg(not(any(
        feature = "dynamodb",
        feature = "ses",
        feature = "sms",
        feature = "cognito",
        feature = "secrets"
    )))]
    if wiring.needs_aws() {
        return Err(bad(
            "DIRECTORY",
            "an AWS adapter was chosen in a build without AWS features",
        ));
    }

    let key = match literal_key {
        Some(key) => key,
        None => {
            #[cfg(feature = "secrets")]
            {
                let arn = wiring.code_key_secret_arn.as_deref().unwrap_or_default();
                let sdk = sdk
                    .as_ref()
                    .ok_or_else(|| bad("CODE_HASH_KEY_SECRET_ARN", "no AWS configuration"))?;
                crate::adapters::codes::key_secret::read_code_keys(
                    &aws_sdk_secretsmanager::Client::new(sdk),
                    arn,
                )
                .await?
            }
            #[cfg(not(feature = "secrets"))]
            return Err(bad(
                "CODE_HASH_KEY_SECRET_ARN",
                "a key from Secrets Manager needs the `secrets` cargo feature",
            ));
        }
    };

    let memory_users = (wiring.directory == DirectoryKind::Memory)
        .then(|| Arc::new(MemoryDirectory::with_users(settings.users.clone())));
    let memory_codes =
        (wiring.codes == CodeStoreKind::Memory).then(|| Arc::new(MemoryCodes::new()));

    let fixed_clients = || -> Result<Arc<dyn AppClients>, ConfigError> {
        if pool.clients.is_empty() {
            return Err(bad(
                "APP_CLIENTS",
                "at least one app client is needed unless DIRECTORY=cognito",
            ));
        }
        Ok(Arc::new(FixedAppClients::new(pool.clients.clone())))
    };

    let (users, clients): (Arc<dyn UserDirectory>, Arc<dyn AppClients>) = match wiring.directory {
        DirectoryKind::Memory => match &memory_users {
            Some(store) => (store.clone(), fixed_clients()?),
            None => return Err(bad("DIRECTORY", "memory store missing")),
        },
        DirectoryKind::Dynamodb => {
            #[cfg(feature = "dynamodb")]
            {
                let (client, table) = dynamodb_table(sdk.as_ref(), wiring, &pool, true)?;
                let directory =
                    crate::adapters::directory::dynamodb::DynamoDirectory::new(client, table);
                (Arc::new(directory), fixed_clients()?)
            }
            #[cfg(not(feature = "dynamodb"))]
            return Err(not_built("DIRECTORY", "dynamodb", "dynamodb"));
        }
        DirectoryKind::Cognito => {
            #[cfg(feature = "cognito")]
            {
                let directory = cognito_pool(sdk.as_ref(), wiring).await?;
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
                let directory = Arc::new(directory);
                (directory.clone(), directory)
            }
            #[cfg(not(feature = "cognito"))]
            return Err(not_built("DIRECTORY", "cognito", "cognito"));
        }
    };

    let codes: Arc<dyn CodeStore> = match wiring.codes {
        CodeStoreKind::Memory => match &memory_codes {
            Some(store) => store.clone(),
            None => return Err(bad("STORE", "memory store missing")),
        },
        CodeStoreKind::Dynamodb => {
            #[cfg(feature = "dynamodb")]
            {
                let (client, table) = dynamodb_table(sdk.as_ref(), wiring, &pool, false)?;
                Arc::new(crate::adapters::codes::dynamodb::DynamoCodes::new(
                    client,
                    table,
                    &pool.codes,
                ))
            }
            #[cfg(not(feature = "dynamodb"))]
            return Err(not_built("STORE", "dynamodb", "dynamodb"));
        }
    };

    #[allow(clippy::type_complexity)]
    let (email, sms, outbox): (
        Arc<dyn EmailSender>,
        Arc<dyn SmsSender>,
        Option<Arc<Outbox>>,
    ) = match wiring.delivery {
        DeliveryKind::Outbox => {
            let sink = Arc::new(Outbox::new(
                settings.outbox.path.clone(),
                settings.outbox.verified_destinations.clone(),
                wiring.print_outbox,
            ));
            (sink.clone(), sink.clone(), Some(sink))
        }
        DeliveryKind::Aws => {
            #[cfg(all(feature = "ses", feature = "sms"))]
            {
                let delivery_settings = wiring
                    .aws_delivery
                    .clone()
                    .ok_or_else(|| bad("DELIVERY", "SES and SMS settings were not read"))?;
                let sdk = sdk
                    .as_ref()
                    .ok_or_else(|| bad("DELIVERY", "no AWS configuration"))?;
                let aws = crate::adapters::delivery::aws::AwsDelivery::new(sdk, delivery_settings);
                (aws.email, aws.sms, None)
            }
            #[cfg(not(all(feature = "ses", feature = "sms")))]
            return Err(not_built("DELIVERY", "aws", "ses` and `sms"));
        }
    };

    #[cfg(feature = "dynamodb")]
    let source_table: Option<Arc<dyn MigrationSource>> = match &wiring.source_table {
        Some(table) => {
            let sdk = sdk
                .as_ref()
                .ok_or_else(|| bad("SOURCE_TABLE", "no AWS configuration"))?;
            Some(Arc::new(
                crate::adapters::migration_source::dynamodb::DynamoDbSourceUsers::new(
                    aws_sdk_dynamodb::Client::new(sdk),
                    table.clone(),
                ),
            ))
        }
        None => None,
    };
    #[cfg(not(feature = "dynamodb"))]
    let source_table: Option<Arc<dyn MigrationSource>> = None;
    let migration_source = source_table.or_else(|| {
        settings
            .source_users
            .clone()
            .map(|users| Arc::new(MemorySourceUsers::new(users)) as Arc<dyn MigrationSource>)
    });

    tracing::info!(
        directory = ?wiring.directory,
        codes = ?wiring.codes,
        delivery = ?wiring.delivery,
        migration = migration_source.is_some(),
        "service assembled"
    );
    let mut service = ResetService::new(
        pool,
        key,
        Ports {
            users,
            clients,
            codes,
            email,
            sms,
            migration_source,
        },
    );
    if matches!(wiring.delivery, DeliveryKind::Outbox) {
        // The outbox takes no time: nothing to wait out before the first delivery.
        service.timing = crate::usecases::DeliveryTiming::unseeded();
    }
    Ok(Assembled {
        service,
        memory_users,
        memory_codes,
        outbox,
    })
}

/// The DynamoDB client and the table serving the directory (`users`) or the codes.
#[cfg(feature = "dynamodb")]
fn dynamodb_table(
    sdk: Option<&aws_config::SdkConfig>,
    wiring: &Wiring,
    pool: &crate::domain::pool::PoolSettings,
    users: bool,
) -> Result<(aws_sdk_dynamodb::Client, String), ConfigError> {
    use crate::adapters::dynamodb_tables::schema;
    let (setting, name) = if users {
        ("USERS_TABLE", &wiring.users_table)
    } else {
        ("CODES_TABLE", &wiring.codes_table)
    };
    let name = name
        .clone()
        .ok_or_else(|| bad(setting, "must name a DynamoDB table"))?;
    if !users && !(1..=schema::MAX_REQUEST_SLOTS).contains(&pool.codes.max_requests) {
        return Err(bad(
            "MAX_REQUESTS_PER_HOUR",
            format!(
                "the DynamoDB store supports 1..={} requests per window",
                schema::MAX_REQUEST_SLOTS
            ),
        ));
    }
    let sdk = sdk.ok_or_else(|| bad(setting, "no AWS configuration"))?;
    Ok((aws_sdk_dynamodb::Client::new(sdk), name))
}

#[cfg(feature = "cognito")]
async fn cognito_pool(
    sdk: Option<&aws_config::SdkConfig>,
    wiring: &Wiring,
) -> Result<crate::adapters::directory::cognito::CognitoPool, ConfigError> {
    use crate::adapters::directory::cognito::{CognitoOptions, CognitoPool};
    let pool_id = wiring
        .user_pool_id
        .clone()
        .ok_or_else(|| bad("USER_POOL_ID", "required when DIRECTORY=cognito"))?;
    let sdk = sdk.ok_or_else(|| bad("USER_POOL_ID", "no AWS configuration"))?;
    CognitoPool::connect(
        aws_sdk_cognitoidentityprovider::Client::new(sdk),
        pool_id.clone(),
        CognitoOptions {
            sign_out_on_reset: wiring.sign_out_on_reset,
            ..CognitoOptions::default()
        },
    )
    .await
    .map_err(|e| bad("USER_POOL_ID", format!("user pool {pool_id}: {e}")))
}

/// The Lambda functions' service: settings and wiring from the process environment.
pub async fn service_from_env() -> Result<ResetService, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    let settings = Settings::from_env(env)?;
    let wiring = Wiring::from_env(&env)?;
    let assembled = assemble(&settings, &wiring, &mut crate::request_rng()).await?;
    Ok(assembled.service)
}
