//! The CustomEmailSender / CustomSMSSender triggers' handler: the use case
//! (`password_reset::usecases::custom_sender`) on the KMS keyring and the SES v2 / SMS v2 senders.
//!
//! Cognito ignores the answer: a delivered message or an acknowledged no-op (a trigger source this
//! code does not know) returns the event; anything that kept the message from going out is a Lambda
//! error with a log line that says why.

use lambda_runtime::{Diagnostic, LambdaEvent};
use password_reset::adapters::delivery::aws::AwsDelivery;
use password_reset::adapters::esdk::{CodeDecryptor, Keyring, KmsKeyring};
use password_reset::aws_sdk::SdkConfig;
use password_reset::config::ConfigError;
use password_reset::usecases::custom_sender::CustomSender;
use serde_json::Value;

pub use password_reset::config::custom_sender::{Settings, settings_from_env};
pub use password_reset::usecases::custom_sender::{Outcome, Purpose, SendError, trigger};

/// The function's state on the KMS keyring (a fixed key in tests).
pub type Sender<K = KmsKeyring> = CustomSender<CodeDecryptor<K>>;

/// KMS, SES and SMS clients from one SDK configuration.
pub fn sender(sdk: &SdkConfig, settings: Settings) -> Sender {
    let delivery = AwsDelivery::new(sdk, settings.delivery);
    CustomSender {
        decryptor: CodeDecryptor {
            keyring: KmsKeyring::new(aws_sdk_kms::Client::new(sdk), settings.kms.key_arn),
            required_context: settings.kms.encryption_context,
        },
        catalog: settings.catalog,
        email: delivery.email,
        sms: delivery.sms,
    }
}

/// Settings first, then the clients, once per container.
pub async fn sender_from_env() -> Result<Sender, ConfigError> {
    let settings = settings_from_env(&password_reset::config::env::process)?;
    let sender = sender(&password_reset::aws_sdk::load_sdk_config().await?, settings);
    tracing::info!(
        kms_key = sender.decryptor.keyring.key_arn(),
        "custom sender configured"
    );
    Ok(sender)
}

pub async fn handle<K: Keyring>(
    sender: &Sender<K>,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic> {
    sender.send(&event.payload).await?;
    Ok(event.payload)
}
