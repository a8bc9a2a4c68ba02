//! The secret CloudFront adds to its origin requests, from AWS Secrets Manager: one
//! `GetSecretValue` at start, beside the code keys', and never through the environment (the
//! template hands the functions the secret's ARN; CloudFront gets the value by a dynamic reference).

use aws_sdk_secretsmanager::error::DisplayErrorContext;

use crate::aws_sdk::Aws;
use crate::config::ConfigError;
use crate::config::env::ORIGIN_VERIFY_SECRET_ARN;

/// The secret `arn` names (its AWSCURRENT version, a plain string, never blank). A failure names
/// `ORIGIN_VERIFY_SECRET_ARN` and never quotes the secret.
pub async fn read(aws: &Aws, arn: &str) -> Result<String, ConfigError> {
    let fail = |problem: String| ConfigError::new(ORIGIN_VERIFY_SECRET_ARN, problem);
    let client = aws_sdk_secretsmanager::Client::new(aws.config(ORIGIN_VERIFY_SECRET_ARN)?);
    let out = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| {
            fail(format!(
                "could not read the secret {arn}: {}",
                DisplayErrorContext(&e)
            ))
        })?;
    let secret = out
        .secret_string()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| fail(format!("the secret {arn} holds no non-blank SecretString")))?;
    tracing::info!("origin secret read: HTTP requests must come through CloudFront");
    Ok(secret.to_string())
}
