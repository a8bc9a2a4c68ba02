//! The CustomEmailSender / CustomSMSSender triggers' handler: the use case
//! (`password_reset::usecases::custom_sender`) on the KMS keyring and the SES v2 / SMS v2 senders.
//!
//! Cognito ignores the answer: a delivered message or an acknowledged no-op (a trigger source this
//! code does not know) returns the event; anything that kept the message from going out is a Lambda
//! error with a log line that says why.

use std::sync::Arc;

use async_trait::async_trait;
use lambda_runtime::{Diagnostic, LambdaEvent};
use password_reset::adapters::delivery::aws::AwsDelivery;
use password_reset::adapters::delivery::outbox::Outbox;
use password_reset::adapters::esdk::{
    CodeDecryptor, DecryptError, EncryptedDataKey, EncryptionContext, Keyring, KmsKeyring,
    RawAesKeyring,
};
use password_reset::aws_sdk::SdkConfig;
use password_reset::config::ConfigError;
use password_reset::config::custom_sender::SenderKey;
use password_reset::config::env::SENDER_LOCAL_KEY;
use password_reset::usecases::custom_sender::CustomSender;
use serde_json::Value;
use zeroize::Zeroizing;

pub use password_reset::config::custom_sender::{Settings, settings_from_env};
pub use password_reset::usecases::custom_sender::{Outcome, Purpose, SendError, trigger};

/// The function's state on its keyring (a fixed key in tests).
pub type Sender<K = SenderKeyring> = CustomSender<CodeDecryptor<K>>;

/// The keyring the settings chose: the pool's KMS key, or a local key (`sam local`, tests).
pub enum SenderKeyring {
    Kms(KmsKeyring),
    Local(RawAesKeyring),
}

#[async_trait]
impl Keyring for SenderKeyring {
    async fn unwrap_key(
        &self,
        keys: &[EncryptedDataKey],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
        match self {
            Self::Kms(kms) => kms.unwrap_key(keys, context).await,
            Self::Local(local) => local.unwrap_key(keys, context).await,
        }
    }
}

/// The keyring, SES and SMS (or the outbox) of the settings; KMS, SES and SMS clients from one
/// SDK configuration, which only they need.
pub fn sender(sdk: Option<&SdkConfig>, settings: Settings) -> Result<Sender, ConfigError> {
    let needs_aws = || {
        sdk.ok_or_else(|| {
            ConfigError::new(
                password_reset::config::env::DELIVERY,
                "no AWS configuration",
            )
        })
    };
    let (keyring, required_context) = match settings.key {
        SenderKey::Kms(kms) => (
            SenderKeyring::Kms(KmsKeyring::new(
                aws_sdk_kms::Client::new(needs_aws()?),
                kms.key_arn,
            )),
            kms.encryption_context,
        ),
        SenderKey::Local(local) => (
            SenderKeyring::Local(RawAesKeyring::new(local.0)),
            EncryptionContext::new(),
        ),
    };
    let (email, sms): (
        Arc<dyn password_reset::ports::EmailSender>,
        Arc<dyn password_reset::ports::SmsSender>,
    ) = match settings.delivery {
        Some(delivery) => {
            let delivery = AwsDelivery::new(needs_aws()?, delivery);
            (delivery.email, delivery.sms)
        }
        None => {
            let outbox = Arc::new(Outbox::new(None, None, true));
            (outbox.clone(), outbox)
        }
    };
    Ok(CustomSender {
        decryptor: CodeDecryptor {
            keyring,
            required_context,
        },
        catalog: settings.catalog,
        email,
        sms,
    })
}

/// Settings first, then the clients (only if KMS or SES/SMS are used), once per container.
pub async fn sender_from_env() -> Result<Sender, ConfigError> {
    let settings = settings_from_env(&password_reset::config::env::process)?;
    let uses_aws = matches!(settings.key, SenderKey::Kms(_)) || settings.delivery.is_some();
    let sdk = if uses_aws {
        Some(password_reset::aws_sdk::load_sdk_config().await?)
    } else {
        None
    };
    let sender = sender(sdk.as_ref(), settings)?;
    match &sender.decryptor.keyring {
        SenderKeyring::Kms(kms) => {
            tracing::info!(kms_key = kms.key_arn(), "custom sender configured");
        }
        SenderKeyring::Local(_) => tracing::warn!(
            setting = SENDER_LOCAL_KEY,
            "custom sender configured with a LOCAL key, not KMS: for sam local and tests only; \
             Cognito's codes cannot be decrypted with it"
        ),
    }
    Ok(sender)
}

pub async fn handle<K: Keyring>(
    sender: &Sender<K>,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic> {
    sender.send(&event.payload).await?;
    Ok(event.payload)
}
