//! Which adapters a process runs on, and where they point: `Wiring::from_env` (the functions) or
//! the runner's flags. A kind this build has no adapter for is refused here, naming the setting and
//! the cargo feature, so the kinds carry only what was compiled and nothing later needs a
//! not-compiled branch.

use std::time::Duration;

use super::ConfigError;
use super::delivery::AwsDeliverySettings;
use super::env::{self, Env, Spellings};
use super::source_table::SourceTable;

/// Who exists and which password signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryKind {
    /// The embedded store, seeded from settings (local runs and tests).
    Memory,
    /// The users table (a stack without a user pool).
    #[cfg(feature = "dynamodb")]
    Dynamodb,
    /// A Cognito user pool: the deployed default.
    #[cfg(feature = "cognito")]
    Cognito,
}

/// Where codes and request counts live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStoreKind {
    Memory,
    #[cfg(feature = "dynamodb")]
    Dynamodb,
}

/// How messages leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    /// Printed and appended to the outbox file.
    Outbox,
    /// SES v2 for email, End User Messaging SMS v2 for SMS.
    #[cfg(all(feature = "ses", feature = "sms"))]
    Aws,
}

/// A value of a setting, whether this build has its adapter, and the feature that brings it.
type Feature = (&'static str, bool, &'static str);

impl DirectoryKind {
    const SPELLINGS: Spellings<Self> = Spellings {
        what: "a directory",
        values: &[
            ("memory", Self::Memory),
            #[cfg(feature = "dynamodb")]
            ("dynamodb", Self::Dynamodb),
            #[cfg(feature = "cognito")]
            ("cognito", Self::Cognito),
        ],
    };
    const FEATURES: &[Feature] = &[
        ("dynamodb", cfg!(feature = "dynamodb"), "dynamodb"),
        ("cognito", cfg!(feature = "cognito"), "cognito"),
    ];

    /// A user pool: it brings its own app clients, users and policies.
    pub fn is_user_pool(self) -> bool {
        match self {
            #[cfg(feature = "cognito")]
            Self::Cognito => true,
            _ => false,
        }
    }

    /// Unset, the directory is the code store's kind: the embedded one beside the embedded store,
    /// the users table beside the codes table.
    pub fn beside(codes: CodeStoreKind) -> Self {
        match codes {
            CodeStoreKind::Memory => Self::Memory,
            #[cfg(feature = "dynamodb")]
            CodeStoreKind::Dynamodb => Self::Dynamodb,
        }
    }
}

impl CodeStoreKind {
    const SPELLINGS: Spellings<Self> = Spellings {
        what: "a known store",
        values: &[
            ("memory", Self::Memory),
            #[cfg(feature = "dynamodb")]
            ("dynamodb", Self::Dynamodb),
        ],
    };
    const FEATURES: &[Feature] = &[("dynamodb", cfg!(feature = "dynamodb"), "dynamodb")];
}

impl DeliveryKind {
    const SPELLINGS: Spellings<Self> = Spellings {
        what: "a known delivery",
        values: &[
            ("outbox", Self::Outbox),
            #[cfg(all(feature = "ses", feature = "sms"))]
            ("aws", Self::Aws),
        ],
    };
    const FEATURES: &[Feature] = &[(
        "aws",
        cfg!(all(feature = "ses", feature = "sms")),
        "ses` and `sms",
    )];
}

/// Where the UserMigration function finds users (`MIGRATION_SOURCE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationSourceKind {
    /// The users of `SOURCE_USERS_FILE`, in memory.
    Memory,
    /// The source table `SOURCE_TABLE` names: the deployed default.
    #[cfg(feature = "dynamodb")]
    Dynamodb,
}

impl MigrationSourceKind {
    const SPELLINGS: Spellings<Self> = Spellings {
        what: "a known source",
        values: &[
            ("memory", Self::Memory),
            #[cfg(feature = "dynamodb")]
            ("dynamodb", Self::Dynamodb),
        ],
    };
    const FEATURES: &[Feature] = &[("dynamodb", cfg!(feature = "dynamodb"), "dynamodb")];
    /// What unset means; a build without `dynamodb` refuses it, naming the feature.
    const DEFAULT: &str = "dynamodb";

    /// `MIGRATION_SOURCE`, `dynamodb` when unset.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaulted = |name: &str| {
            env(name).or_else(|| (name == env::MIGRATION_SOURCE).then(|| Self::DEFAULT.into()))
        };
        let vars = Env::new(&defaulted);
        built_choice(
            &vars,
            env::MIGRATION_SOURCE,
            &Self::SPELLINGS,
            Self::FEATURES,
        )?
        .ok_or_else(|| ConfigError::new(env::MIGRATION_SOURCE, "not set"))
    }
}

/// The runner's `--store`, `--directory` and `--delivery` are these kinds, spelled as the settings
/// spell them (only the kinds this build serves).
#[cfg(feature = "clap")]
macro_rules! value_enum {
    ($kind:ty) => {
        impl clap::ValueEnum for $kind {
            fn value_variants<'a>() -> &'a [Self] {
                static ALL: std::sync::OnceLock<Vec<$kind>> = std::sync::OnceLock::new();
                ALL.get_or_init(|| Self::SPELLINGS.values.iter().map(|(_, v)| *v).collect())
            }

            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                Self::SPELLINGS
                    .values
                    .iter()
                    .find(|(_, v)| v == self)
                    .map(|(name, _)| clap::builder::PossibleValue::new(*name))
            }
        }
    };
}

#[cfg(feature = "clap")]
value_enum!(DirectoryKind);
#[cfg(feature = "clap")]
value_enum!(CodeStoreKind);
#[cfg(feature = "clap")]
value_enum!(DeliveryKind);

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
    /// `SIGN_OUT_RETRY_QUEUE_URL`, with a user pool: where failed sign-outs are recorded.
    pub sign_out_retry_queue_url: Option<String>,
    /// Whether the outbox also prints each message (the runner does).
    pub print_outbox: bool,
    /// `RESET_PAGE` (default true): the API functions answer `GET` with the reset page.
    pub reset_page: bool,
    /// SES and SMS settings, read when the delivery is `aws`.
    pub aws_delivery: Option<AwsDeliverySettings>,
    /// The migration source's table (`SOURCE_TABLE` and friends), when set.
    pub source_table: Option<SourceTable>,
    /// `CODE_HASH_KEY_SECRET_ARN`: the secret holding the code keys, read once at assembly.
    /// Exclusive with a literal key (`CODE_HASH_KEY`, the pool file's `CodeHashKey`).
    pub code_key_secret_arn: Option<String>,
    /// `ORIGIN_VERIFY_SECRET_ARN`: the secret CloudFront's origin header carries, read once at
    /// assembly; set, HTTP requests must carry it (`entry::edge`).
    pub origin_verify_secret_arn: Option<String>,
    /// `POOL_TRIGGER_FUNCTIONS`, with a user pool: the pool's trigger functions to invoke.
    pub pool_trigger_functions: Vec<String>,
    /// `STACK_TRIGGER_FUNCTIONS`, with a user pool: this stack's own trigger functions, which
    /// run in-process.
    pub stack_trigger_functions: Vec<String>,
    /// `POOL_SENDER_KEY_ARN`, with a user pool: the key the pool's own custom senders' codes are
    /// encrypted under.
    pub pool_sender_key_arn: Option<String>,
    /// Have I Been Pwned's range API, when `PWNED_PASSWORDS` is on.
    pub pwned_passwords: Option<PwnedPasswordsSettings>,
}

/// Where Have I Been Pwned's range API is and how long a lookup may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PwnedPasswordsSettings {
    /// `PWNED_PASSWORDS_URL`, without a trailing `/`.
    pub base_url: String,
    /// `PWNED_PASSWORDS_TIMEOUT_MS`.
    pub timeout: Duration,
}

impl PwnedPasswordsSettings {
    /// Have I Been Pwned's own range API.
    pub const DEFAULT_URL: &str = "https://api.pwnedpasswords.com";
    /// Short beside the confirm's 8 s deadline (`CONFIRM_DEADLINE`); the API answers in tens of ms.
    pub const DEFAULT_TIMEOUT_MS: u64 = 1500;

    /// The settings when `PWNED_PASSWORDS` is on, `None` when off; refused, naming the feature,
    /// in a build without the adapter.
    fn from_env(vars: &Env<'_>) -> Result<Option<Self>, ConfigError> {
        if !vars.flag(env::PWNED_PASSWORDS, false)? {
            return Ok(None);
        }
        if !cfg!(feature = "pwned-passwords") {
            return Err(not_built(env::PWNED_PASSWORDS, "true", "pwned-passwords"));
        }
        let base_url = vars
            .text(env::PWNED_PASSWORDS_URL)
            .unwrap_or_else(|| Self::DEFAULT_URL.into())
            .trim_end_matches('/')
            .to_string();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(ConfigError::new(
                env::PWNED_PASSWORDS_URL,
                "expected an http(s) URL",
            ));
        }
        let timeout_ms = vars.number(
            env::PWNED_PASSWORDS_TIMEOUT_MS,
            100..=5000,
            Self::DEFAULT_TIMEOUT_MS,
        )?;
        Ok(Some(Self {
            base_url,
            timeout: Duration::from_millis(timeout_ms),
        }))
    }
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
            sign_out_retry_queue_url: None,
            reset_page: true,
            print_outbox: false,
            aws_delivery: None,
            source_table: None,
            code_key_secret_arn: None,
            origin_verify_secret_arn: None,
            pwned_passwords: None,
            pool_trigger_functions: Vec::new(),
            stack_trigger_functions: Vec::new(),
            pool_sender_key_arn: None,
        }
    }
}

impl Wiring {
    /// `DIRECTORY` (`memory`, `dynamodb`, `cognito`; unset: the same as `STORE`), `STORE` (the
    /// code store: `memory` or `dynamodb`), `DELIVERY` (`outbox` or `aws`), the table names,
    /// `USER_POOL_ID` and `SIGN_OUT_ON_RESET`.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Env::new(env);
        let codes = built_choice(
            &vars,
            env::STORE,
            &CodeStoreKind::SPELLINGS,
            CodeStoreKind::FEATURES,
        )?
        .unwrap_or(CodeStoreKind::Memory);
        let directory = built_choice(
            &vars,
            env::DIRECTORY,
            &DirectoryKind::SPELLINGS,
            DirectoryKind::FEATURES,
        )?
        .unwrap_or(DirectoryKind::beside(codes));
        let delivery = built_choice(
            &vars,
            env::DELIVERY,
            &DeliveryKind::SPELLINGS,
            DeliveryKind::FEATURES,
        )?
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

    /// The settings of the adapters chosen: SES/SMS for `aws` delivery, the code keys' secret, the
    /// source table when `SOURCE_TABLE` is set. Every read of the environment the assembly needs
    /// happens here or in `from_env`, before any client exists.
    pub fn read_adapter_settings(
        &mut self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        let vars = Env::new(env);
        if self.directory.is_user_pool() {
            self.pool_trigger_functions = vars.list(env::POOL_TRIGGER_FUNCTIONS);
            self.stack_trigger_functions = vars.list(env::STACK_TRIGGER_FUNCTIONS);
            self.pool_sender_key_arn = vars.text(env::POOL_SENDER_KEY_ARN);
        }
        if self.directory.is_user_pool() {
            self.sign_out_retry_queue_url = vars.text(env::SIGN_OUT_RETRY_QUEUE_URL);
            if self.sign_out_retry_queue_url.is_some() && !cfg!(feature = "sqs") {
                return Err(not_built(
                    env::SIGN_OUT_RETRY_QUEUE_URL,
                    "a sign-out retry queue",
                    "sqs",
                ));
            }
        }
        if self.delivery != DeliveryKind::Outbox {
            self.aws_delivery = Some(AwsDeliverySettings::from_env(env)?);
        }
        self.code_key_secret_arn = vars.text(env::CODE_HASH_KEY_SECRET_ARN);
        self.pwned_passwords = PwnedPasswordsSettings::from_env(&vars)?;
        self.origin_verify_secret_arn = vars.text(env::ORIGIN_VERIFY_SECRET_ARN);
        if self.origin_verify_secret_arn.is_some() && !cfg!(feature = "secrets") {
            return Err(not_built(
                env::ORIGIN_VERIFY_SECRET_ARN,
                "an origin secret",
                "secrets",
            ));
        }
        if self.code_key_secret_arn.is_some() && !cfg!(feature = "secrets") {
            return Err(ConfigError::new(
                env::CODE_HASH_KEY_SECRET_ARN,
                "a key from Secrets Manager needs the `secrets` cargo feature, which this build \
                 does not have; give a literal key in CODE_HASH_KEY instead",
            ));
        }
        if vars.text(env::SOURCE_TABLE).is_some() {
            if !cfg!(feature = "dynamodb") {
                return Err(not_built(env::SOURCE_TABLE, "a source table", "dynamodb"));
            }
            self.source_table = Some(SourceTable::from_env(env)?);
        }
        Ok(())
    }

    /// Whether any adapter chosen calls AWS: the one case the SDK configuration is loaded.
    pub fn needs_aws(&self) -> bool {
        self.source_table.is_some()
            || self.directory != DirectoryKind::Memory
            || self.codes != CodeStoreKind::Memory
            || self.delivery != DeliveryKind::Outbox
            || self.code_key_secret_arn.is_some()
            || self.origin_verify_secret_arn.is_some()
    }
}

/// `name`'s choice in `set`; a value whose adapter this build lacks is refused with its feature.
fn built_choice<T: Copy>(
    vars: &Env<'_>,
    name: &str,
    set: &Spellings<T>,
    features: &[Feature],
) -> Result<Option<T>, ConfigError> {
    if let Some(value) = vars.text(name)
        && let Some((_, _, feature)) = features
            .iter()
            .find(|(spelling, built, _)| !built && spelling.eq_ignore_ascii_case(&value))
    {
        return Err(not_built(name, &value, feature));
    }
    vars.choice(name, set)
}

fn not_built(setting: &str, value: &str, feature: &str) -> ConfigError {
    ConfigError::new(
        setting,
        format!("{value} needs the `{feature}` cargo feature, which this build does not have"),
    )
}
