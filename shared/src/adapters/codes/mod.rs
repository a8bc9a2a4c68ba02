//! Where codes, request windows and caller windows live (`CodeStore`): in memory, or on the
//! DynamoDB codes table; and the keys codes are digested under, read from Secrets Manager.

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "secrets")]
pub mod key_secret;
pub mod memory;

use std::sync::Arc;

use rand::CryptoRng;

use crate::aws_sdk::Aws;
use crate::config::env;
use crate::config::{CodeStoreKind, ConfigError, Settings, Wiring};
use crate::domain::code::{CodeKeys, CodePolicy};
use crate::ports::{ClaimWithPassword, CodeStore};

/// The code store `wiring` chose; `None`: the embedded one.
#[cfg_attr(not(feature = "dynamodb"), allow(unused_variables))]
pub fn build(
    wiring: &Wiring,
    policy: &CodePolicy,
    aws: &Aws,
) -> Result<Option<Arc<dyn CodeStore>>, ConfigError> {
    match wiring.codes {
        CodeStoreKind::Memory => Ok(None),
        #[cfg(feature = "dynamodb")]
        CodeStoreKind::Dynamodb => {
            use crate::adapters::dynamodb_tables::{schema, table_name};
            let table = table_name(env::CODES_TABLE, wiring.codes_table.as_deref())?;
            if !(1..=schema::MAX_REQUEST_SLOTS).contains(&policy.max_requests) {
                return Err(ConfigError::new(
                    env::MAX_REQUESTS_PER_HOUR,
                    format!(
                        "the DynamoDB store supports 1..={} requests per window",
                        schema::MAX_REQUEST_SLOTS
                    ),
                ));
            }
            let client = aws_sdk_dynamodb::Client::new(aws.config(env::CODES_TABLE)?);
            Ok(Some(Arc::new(dynamodb::DynamoDbCodes::new(
                client, table, policy,
            ))))
        }
    }
}

/// The one write over the codes and users tables (`ClaimWithPassword`), when the code store and
/// the directory are both on DynamoDB (one account and Region: the stack's); `None` otherwise.
#[cfg_attr(not(feature = "dynamodb"), allow(unused_variables))]
pub fn build_claims(
    wiring: &Wiring,
    policy: &CodePolicy,
    aws: &Aws,
) -> Result<Option<Arc<dyn ClaimWithPassword>>, ConfigError> {
    match (wiring.codes, wiring.directory) {
        #[cfg(feature = "dynamodb")]
        (CodeStoreKind::Dynamodb, crate::config::DirectoryKind::Dynamodb) => {
            use crate::adapters::dynamodb_tables::table_name;
            let codes = table_name(env::CODES_TABLE, wiring.codes_table.as_deref())?;
            let users = table_name(env::USERS_TABLE, wiring.users_table.as_deref())?;
            let client = aws_sdk_dynamodb::Client::new(aws.config(env::CODES_TABLE)?);
            let store = dynamodb::DynamoDbCodes::new(client, codes, policy);
            Ok(Some(Arc::new(
                dynamodb::claim_with_password::DynamoDbClaims::new(store, users),
            )))
        }
        _ => Ok(None),
    }
}

/// Where the code keys come from: a literal key (or, for the embedded store alone, a random one),
/// or the secret holding them, read once the SDK is configured.
pub enum KeySource {
    Literal(CodeKeys),
    #[cfg(feature = "secrets")]
    Secret(String),
}

impl KeySource {
    pub fn choose<R: CryptoRng + ?Sized>(
        settings: &Settings,
        wiring: &Wiring,
        rng: &mut R,
    ) -> Result<Self, ConfigError> {
        match (&settings.key, &wiring.code_key_secret_arn) {
            (Some(_), Some(_)) => Err(ConfigError::new(
                env::CODE_HASH_KEY_SECRET_ARN,
                "set either CODE_HASH_KEY_SECRET_ARN or a literal key (CODE_HASH_KEY, \
                 --code-hash-key, the pool file's CodeHashKey), not both",
            )),
            (Some(key), None) => Ok(Self::Literal(key.clone().into())),
            #[cfg(feature = "secrets")]
            (None, Some(arn)) => Ok(Self::Secret(arn.clone())),
            // `Wiring` refuses a secret in a build without `secrets`.
            (None, _) => match wiring.codes {
                CodeStoreKind::Memory => Ok(Self::Literal(CodeKeys::generate(rng))),
                // A random key per process would make codes issued by one container fail in another.
                #[cfg(feature = "dynamodb")]
                CodeStoreKind::Dynamodb => Err(ConfigError::new(
                    if cfg!(feature = "secrets") {
                        env::CODE_HASH_KEY_SECRET_ARN
                    } else {
                        env::CODE_HASH_KEY
                    },
                    "a shared code store (STORE=dynamodb) needs the code keys, the same in every \
                     function: CODE_HASH_KEY_SECRET_ARN (the secret holding them, as deployed) or \
                     CODE_HASH_KEY (a literal base64 key of at least 32 bytes)",
                )),
            },
        }
    }

    /// The keys: the literal ones, or the secret's (one GetSecretValue).
    #[cfg_attr(not(feature = "secrets"), allow(unused_variables))]
    pub async fn read(self, aws: &Aws) -> Result<CodeKeys, ConfigError> {
        match self {
            Self::Literal(keys) => Ok(keys),
            #[cfg(feature = "secrets")]
            Self::Secret(arn) => {
                let sdk = aws.config(env::CODE_HASH_KEY_SECRET_ARN)?;
                key_secret::read_code_keys(&aws_sdk_secretsmanager::Client::new(sdk), &arn).await
            }
        }
    }
}
