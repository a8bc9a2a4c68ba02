//! The code keys from AWS Secrets Manager: one `GetSecretValue` at start, never again, and never
//! through the environment (the template hands the functions the secret's ARN, not its value).

use aws_sdk_secretsmanager::error::DisplayErrorContext;

use crate::config::{ConfigError, parse_code_keys};
use crate::domain::code::CodeKeys;

/// The setting naming the secret.
pub const SETTING: &str = crate::config::env::CODE_HASH_KEY_SECRET_ARN;

/// Reads and checks the keyring held by `secret_id` (its ARN or name); the AWSCURRENT version.
/// A failure names `CODE_HASH_KEY_SECRET_ARN` and never quotes the secret.
pub async fn read_code_keys(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<CodeKeys, ConfigError> {
    let fail = |problem: String| ConfigError::new(SETTING, problem);
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            fail(format!(
                "could not read the secret {secret_id}: {}",
                DisplayErrorContext(&e)
            ))
        })?;
    let Some(text) = out.secret_string() else {
        return Err(fail(format!(
            "the secret {secret_id} holds no SecretString (binary secrets are not read)"
        )));
    };
    let keys = parse_code_keys(SETTING, text)?;
    tracing::info!(current = %keys.current(), decoy = %keys.decoy(),
        keys = keys.ids().count(), "code keys read from Secrets Manager");
    Ok(keys)
}
