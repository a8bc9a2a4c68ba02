//! The one composition root: directory × code store × delivery × migration source, for the Lambda
//! functions and the local runner alike. Settings are read first (a bad one is named before any
//! client exists); the AWS SDK configuration is then loaded once, and only when an AWS adapter is
//! chosen. `compose` puts every port no AWS adapter serves on the embedded ones (memory stores,
//! outbox), for `assemble` and for `crate::embedded` alike.

use std::sync::Arc;

use rand::CryptoRng;

use crate::adapters::codes::memory::MemoryCodes;
use crate::adapters::delivery::outbox::Outbox;
use crate::adapters::directory::fixed_app_clients::FixedAppClients;
use crate::adapters::directory::memory::MemoryDirectory;
use crate::adapters::migration_source::memory::MemorySourceUsers;
use crate::config::env::{self, Env, Spellings};
use crate::config::{ConfigError, Settings};
use crate::domain::code::CodeKeys;
use crate::domain::pool::PoolSettings;
use crate::ports::{AppClients, CodeStore, EmailSender, MigrationSource, SmsSender, UserDirectory};
use crate::usecases::{DeliveryTiming, Ports, ResetService};

/// The setting a missing code key is reported under: the one this build reads the keys from.
#[cfg(feature = "secrets")]
const KEY_SETTING: &str = env::CODE_HASH_KEY_SECRET_ARN;
#[cfg(not(feature = "secrets"))]
const KEY_SETTING: &str = env::CODE_HASH_KEY;

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

impl DirectoryKind {
    const SPELLINGS: Spellings<Self> = Spellings {
        what: "a directory",
        values: &[
            ("memory", Self::Memory),
            ("dynamodb", Self::Dynamodb),
            ("cognito", Self::Cognito),
        ],
    };
}

impl CodeStoreKind {
    const SPELLINGS: Spellings<Self> = Spellings {
        what: "a known store",
        values: &[("memory", Self::Memory), ("dynamodb", Self::Dynamodb)],
    };
}

impl DeliveryKind {
    const SPELLINGS: Spellings<Self> = Spellings {
        what: "a known delivery",
        values: &[("outbox", Self::Outbox), ("aws", Self::Aws)],
    };
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
    /// `RESET_PAGE` (default true): the API functions answer `GET` with the reset page.
    pub reset_page: bool,
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
            reset_page: true,
            print_outbox: false,
            #[cfg(all(feature = "ses", feature = "sms"))]
            aws_delivery: None,
            #[cfg(feature = "dynamodb")]
            source_table: None,
            code_key_secret_arn: None,
        }
    }
}

impl Wiring {
    /// `DIRECTORY` (`memory`, `dynamodb`, `cognito`; unset: the same as `STORE`), `STORE` (the
    /// code store: `memory` or `dynamodb`), `DELIVERY` (`outbox` or `aws`), the table names,
    /// `USER_POOL_ID` and `SIGN_OUT_ON_RESET`.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Env::new(env);
        let codes = vars
            .choice(env::STORE, &CodeStoreKind::SPELLINGS)?
            .unwrap_or(CodeStoreKind::Memory);
        let directory = vars
            .choice(env::DIRECTORY, &DirectoryKind::SPELLINGS)?
            .unwrap_or(match codes {
                CodeStoreKind::Memory => DirectoryKind::Memory,
                CodeStoreKind::Dynamodb => DirectoryKind::Dynamodb,
            });
        let delivery = vars
            .choice(env::DELIVERY, &DeliveryKind::SPELLINGS)?
            .unwrap_or(DeliveryKind::Outbox);
        let mut wiring = Self {
            directory,
            codes,
            delivery,
            sign_out_on_reset: vars.flag(env::SIGN_OUT_ON_RESET, true)?,
            reset_page: vars.flag(env::RESET_PAGE, true)?,
            users_table: vars.text(env::USERS_TABLE),
            codes_table: vars.text(env::CODES_TABLE),
            user_pool_id: vars.text(env::USER_POOL_ID),
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
        let vars = Env::new(env);
        if self.delivery == DeliveryKind::Aws {
            #[cfg(all(feature = "ses", feature = "sms"))]
            {
                self.aws_delivery =
                    Some(crate::config::delivery::AwsDeliverySettings::from_env(env)?);
            }
            #[cfg(not(all(feature = "ses", feature = "sms")))]
            return Err(not_built(env::DELIVERY, "aws", "ses` and `sms"));
        }
        self.code_key_secret_arn = vars.text(env::CODE_HASH_KEY_SECRET_ARN);
        #[cfg(not(feature = "secrets"))]
        if self.code_key_secret_arn.is_some() {
            return Err(ConfigError::new(
                env::CODE_HASH_KEY_SECRET_ARN,
                "a key from Secrets Manager needs the `secrets` cargo feature, which this build \
                 does not have; give a literal key in CODE_HASH_KEY instead",
            ));
        }
        if vars.text(env::SOURCE_TABLE).is_some() {
            #[cfg(feature = "dynamodb")]
            {
                self.source_table =
                    Some(crate::adapters::migration_source::dynamodb::SourceTable::from_env(env)?);
            }
            #[cfg(not(feature = "dynamodb"))]
            return Err(not_built(env::SOURCE_TABLE, "a source table", "dynamodb"));
        }
        Ok(())
    }

    fn needs_aws(&self) -> bool {
        #[cfg(feature = "dynamodb")]
        let source_table = self.source_table.is_some();
        #[cfg(not(feature = "dynamodb"))]
        let source_table = false;
        source_table
            || self.directory != DirectoryKind::Memory
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
    ConfigError::new(
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
                return Err(ConfigError::new(
                    env::CODE_HASH_KEY_SECRET_ARN,
                    "set either CODE_HASH_KEY_SECRET_ARN or a literal key (CODE_HASH_KEY, \
                     --code-hash-key, the pool file's CodeHashKey), not both",
                ));
            }
            (Some(key), None, _) => Some(key.clone().into()),
            (None, Some(_), _) => None,
            (None, None, CodeStoreKind::Memory) => Some(CodeKeys::generate(rng)),
            // A random key per process would make codes issued by one container fail in another.
            (None, None, CodeStoreKind::Dynamodb) => {
                return Err(ConfigError::new(
                    KEY_SETTING,
                    "a shared code store (STORE=dynamodb) needs the code keys, the same in every \
                     function: CODE_HASH_KEY_SECRET_ARN (the secret holding them, as deployed) or \
                     CODE_HASH_KEY (a literal base64 key of at least 32 bytes)",
                ));
            }
        };

    #[cfg(feature = "aws-sdk")]
    let sdk = if wiring.needs_aws() {
        Some(crate::aws_sdk::load_sdk_config().await)
    } else {
        None
    };
    #[cfg(not(feature = "aws-sdk"))]
    if wiring.needs_aws() {
        return Err(ConfigError::new(
            env::DIRECTORY,
            "an AWS adapter was chosen in a build without AWS features",
        ));
    }

    let key = match literal_key {
        Some(key) => key,
        None => {
            #[cfg(feature = "secrets")]
            {
                let arn = wiring.code_key_secret_arn.as_deref().unwrap_or_default();
                let sdk = sdk.as_ref().ok_or_else(|| {
                    ConfigError::new(env::CODE_HASH_KEY_SECRET_ARN, "no AWS configuration")
                })?;
                crate::adapters::codes::key_secret::read_code_keys(
                    &aws_sdk_secretsmanager::Client::new(sdk),
                    arn,
                )
                .await?
            }
            #[cfg(not(feature = "secrets"))]
            return Err(ConfigError::new(
                env::CODE_HASH_KEY_SECRET_ARN,
                "a key from Secrets Manager needs the `secrets` cargo feature",
            ));
        }
    };

    // Without a user pool, the app clients are the settings' own.
    let need_clients = |pool: &PoolSettings| -> Result<(), ConfigError> {
        if pool.clients.is_empty() {
            return Err(ConfigError::new(
                env::APP_CLIENTS,
                "at least one app client is needed unless DIRECTORY=cognito",
            ));
        }
        Ok(())
    };

    let (users, clients): DirectoryChoice = match wiring.directory {
        DirectoryKind::Memory => {
            need_clients(&pool)?;
            (None, None)
        }
        DirectoryKind::Dynamodb => {
            #[cfg(feature = "dynamodb")]
            {
                let (client, table) = dynamodb_table(sdk.as_ref(), wiring, &pool, true)?;
                need_clients(&pool)?;
                let directory =
                    crate::adapters::directory::dynamodb::DynamoDirectory::new(client, table);
                (Some(Arc::new(directory)), None)
            }
            #[cfg(not(feature = "dynamodb"))]
            return Err(not_built(env::DIRECTORY, "dynamodb", "dynamodb"));
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
                (Some(directory.clone()), Some(directory))
            }
            #[cfg(not(feature = "cognito"))]
            return Err(not_built(env::DIRECTORY, "cognito", "cognito"));
        }
    };

    let codes: Option<Arc<dyn CodeStore>> = match wiring.codes {
        CodeStoreKind::Memory => None,
        CodeStoreKind::Dynamodb => {
            #[cfg(feature = "dynamodb")]
            {
                let (client, table) = dynamodb_table(sdk.as_ref(), wiring, &pool, false)?;
                Some(Arc::new(
                    crate::adapters::codes::dynamodb::DynamoCodes::new(client, table, &pool.codes),
                ))
            }
            #[cfg(not(feature = "dynamodb"))]
            return Err(not_built(env::STORE, "dynamodb", "dynamodb"));
        }
    };

    let senders: Option<Senders> = match wiring.delivery {
        DeliveryKind::Outbox => None,
        DeliveryKind::Aws => {
            #[cfg(all(feature = "ses", feature = "sms"))]
            {
                let delivery_settings = wiring.aws_delivery.clone().ok_or_else(|| {
                    ConfigError::new(env::DELIVERY, "SES and SMS settings were not read")
                })?;
                let sdk = sdk
                    .as_ref()
                    .ok_or_else(|| ConfigError::new(env::DELIVERY, "no AWS configuration"))?;
                let aws = crate::adapters::delivery::aws::AwsDelivery::new(sdk, delivery_settings);
                Some((aws.email, aws.sms))
            }
            #[cfg(not(all(feature = "ses", feature = "sms")))]
            return Err(not_built(env::DELIVERY, "aws", "ses` and `sms"));
        }
    };

    #[cfg(feature = "dynamodb")]
    let source_table: Option<Arc<dyn MigrationSource>> = match &wiring.source_table {
        Some(table) => {
            let sdk = sdk
                .as_ref()
                .ok_or_else(|| ConfigError::new(env::SOURCE_TABLE, "no AWS configuration"))?;
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

    let embedded = EmbeddedAdapters::new(settings, wiring.print_outbox);
    let chosen = Chosen {
        users,
        clients,
        codes,
        senders,
        migration_source: source_table,
    };
    tracing::info!(
        directory = ?wiring.directory,
        codes = ?wiring.codes,
        delivery = ?wiring.delivery,
        migration = chosen.migration_source.is_some() || settings.source_users.is_some(),
        "service assembled"
    );
    let service = compose(settings, pool, key, chosen, &embedded);
    Ok(Assembled {
        service,
        memory_users: (wiring.directory == DirectoryKind::Memory).then_some(embedded.users),
        memory_codes: (wiring.codes == CodeStoreKind::Memory).then_some(embedded.codes),
        outbox: (wiring.delivery == DeliveryKind::Outbox).then_some(embedded.outbox),
    })
}

/// The email and SMS senders.
type Senders = (Arc<dyn EmailSender>, Arc<dyn SmsSender>);

/// A directory and, for a user pool, its app clients; `None`: the embedded ones.
type DirectoryChoice = (Option<Arc<dyn UserDirectory>>, Option<Arc<dyn AppClients>>);

/// The adapters chosen for each port; `None`: the embedded one.
#[derive(Default)]
pub struct Chosen {
    pub users: Option<Arc<dyn UserDirectory>>,
    /// `None`: the settings' app clients.
    pub clients: Option<Arc<dyn AppClients>>,
    pub codes: Option<Arc<dyn CodeStore>>,
    pub senders: Option<Senders>,
    /// `None`: the settings' source users, if any, from memory.
    pub migration_source: Option<Arc<dyn MigrationSource>>,
}

/// The embedded adapters: the memory directory, seeded with the settings' users, the memory code
/// store and the outbox. All are cheap and touch nothing until used, so they are built whatever
/// the wiring.
pub struct EmbeddedAdapters {
    pub users: Arc<MemoryDirectory>,
    pub codes: Arc<MemoryCodes>,
    pub outbox: Arc<Outbox>,
}

impl EmbeddedAdapters {
    /// `print`: whether the outbox prints each message to stdout (the local runner does).
    pub fn new(settings: &Settings, print: bool) -> Self {
        Self {
            users: Arc::new(MemoryDirectory::with_users(settings.users.iter().cloned())),
            codes: Arc::new(MemoryCodes::new()),
            outbox: Arc::new(Outbox::new(
                settings.outbox.path.clone(),
                settings.outbox.verified_destinations.clone(),
                print,
            )),
        }
    }
}

/// The service on the adapters `chosen`, every port left open running on `embedded`: the one
/// place the embedded adapters are wired, for `assemble` and, synchronously, for
/// `crate::embedded`.
pub fn compose(
    settings: &Settings,
    pool: PoolSettings,
    key: CodeKeys,
    chosen: Chosen,
    embedded: &EmbeddedAdapters,
) -> ResetService {
    let on_outbox = chosen.senders.is_none();
    let (email, sms): Senders = chosen
        .senders
        .unwrap_or_else(|| (embedded.outbox.clone(), embedded.outbox.clone()));
    let clients = chosen
        .clients
        .unwrap_or_else(|| Arc::new(FixedAppClients::new(pool.clients.clone())));
    let ports = Ports {
        users: chosen.users.unwrap_or_else(|| embedded.users.clone()),
        codes: chosen.codes.unwrap_or_else(|| embedded.codes.clone()),
        migration_source: chosen.migration_source.or_else(|| {
            let users = settings.source_users.clone()?;
            Some(Arc::new(MemorySourceUsers::new(users)))
        }),
        clients,
        email,
        sms,
    };
    let mut service = ResetService::new(pool, key, ports);
    if on_outbox {
        // The outbox takes no time: nothing to wait out before the first delivery.
        service.timing = DeliveryTiming::unseeded();
    }
    service
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
        (env::USERS_TABLE, &wiring.users_table)
    } else {
        (env::CODES_TABLE, &wiring.codes_table)
    };
    let name = name
        .clone()
        .ok_or_else(|| ConfigError::new(setting, "must name a DynamoDB table"))?;
    if !users && !(1..=schema::MAX_REQUEST_SLOTS).contains(&pool.codes.max_requests) {
        return Err(ConfigError::new(
            env::MAX_REQUESTS_PER_HOUR,
            format!(
                "the DynamoDB store supports 1..={} requests per window",
                schema::MAX_REQUEST_SLOTS
            ),
        ));
    }
    let sdk = sdk.ok_or_else(|| ConfigError::new(setting, "no AWS configuration"))?;
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
        .ok_or_else(|| ConfigError::new(env::USER_POOL_ID, "required when DIRECTORY=cognito"))?;
    let sdk = sdk.ok_or_else(|| ConfigError::new(env::USER_POOL_ID, "no AWS configuration"))?;
    CognitoPool::connect(
        aws_sdk_cognitoidentityprovider::Client::new(sdk),
        pool_id.clone(),
        CognitoOptions {
            sign_out_on_reset: wiring.sign_out_on_reset,
            ..CognitoOptions::default()
        },
    )
    .await
    .map_err(|e| ConfigError::new(env::USER_POOL_ID, format!("user pool {pool_id}: {e}")))
}

/// The Lambda functions' service, and the wiring it was built with: settings and wiring from the
/// process environment.
pub async fn service_from_env() -> Result<(ResetService, Wiring), ConfigError> {
    let settings = Settings::from_env(env::process)?;
    let wiring = Wiring::from_env(&env::process)?;
    let assembled = assemble(&settings, &wiring, &mut crate::request_rng()).await?;
    Ok((assembled.service, wiring))
}
