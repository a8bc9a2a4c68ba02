//! What the custom sender reads at start, each failure naming its setting: `KMS_KEY_ARN`,
//! `KMS_ENCRYPTION_CONTEXT`, the templates (`MESSAGE_TEMPLATES` / `_FILE`), then SES and SMS.

use super::ConfigError;
use super::delivery::AwsDeliverySettings;
use super::kms::KmsSettings;
use crate::domain::message_catalog::MessageCatalog;

#[derive(Debug, Clone)]
pub struct Settings {
    pub kms: KmsSettings,
    pub catalog: MessageCatalog,
    pub delivery: AwsDeliverySettings,
}

/// Settings first (a bad one is named before any client is built).
pub fn settings_from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
    Ok(Settings {
        kms: KmsSettings::from_env(env)?,
        catalog: super::messages_from_env(env)?,
        delivery: AwsDeliverySettings::from_env(env)?,
    })
}
