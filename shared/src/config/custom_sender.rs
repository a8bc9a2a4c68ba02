//! What the custom sender reads at start, each failure naming its setting: the key (`KMS_KEY_ARN`
//! and `KMS_ENCRYPTION_CONTEXT`, or a local `SENDER_LOCAL_KEY`), the templates
//! (`MESSAGE_TEMPLATES` / `_FILE`), then the delivery (`DELIVERY`: SES and SMS, or the outbox).

use super::ConfigError;
use super::delivery::AwsDeliverySettings;
use super::env::{DELIVERY, Env, Spellings};
use super::kms::KmsSettings;
use super::local_key::{LocalKey, local_key_from_env};
use crate::domain::message_catalog::MessageCatalog;

#[derive(Debug, Clone)]
pub struct Settings {
    pub key: SenderKey,
    pub catalog: MessageCatalog,
    /// SES and SMS (`DELIVERY=aws`, the default); `None`: the outbox (`DELIVERY=outbox`), for
    /// local runs.
    pub delivery: Option<AwsDeliverySettings>,
}

/// The key Cognito's codes are encrypted under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SenderKey {
    /// The pool's KMS key (deployed).
    Kms(KmsSettings),
    /// A local key (`sam local`, tests): never deployed.
    Local(LocalKey),
}

/// `DELIVERY`'s spellings here: whether the outbox delivers.
const OUTBOX: Spellings<bool> = Spellings {
    what: "a known delivery",
    values: &[("aws", false), ("outbox", true)],
};

/// Settings first (a bad one is named before any client is built).
pub fn settings_from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
    let key = match local_key_from_env(env)? {
        Some(local) => SenderKey::Local(local),
        None => SenderKey::Kms(KmsSettings::from_env(env)?),
    };
    let catalog = super::messages_from_env(env)?;
    let outbox = Env::new(env).choice(DELIVERY, &OUTBOX)?.unwrap_or(false);
    let delivery = if outbox {
        None
    } else {
        Some(AwsDeliverySettings::from_env(env)?)
    };
    Ok(Settings {
        key,
        catalog,
        delivery,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env::{KMS_KEY_ARN, SENDER_LOCAL_KEY, SES_FROM_ADDRESS};
    use crate::config::test_env as env;

    const ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/k";
    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn kms_and_ses_by_default_a_local_key_and_the_outbox_when_asked() {
        let deployed = settings_from_env(&env(&[
            (KMS_KEY_ARN, ARN),
            (SES_FROM_ADDRESS, "a@example.com"),
        ]))
        .unwrap();
        assert!(matches!(&deployed.key, SenderKey::Kms(k) if k.key_arn == ARN));
        assert!(deployed.delivery.is_some());
        let local = settings_from_env(&env(&[
            (KMS_KEY_ARN, ""),
            (SENDER_LOCAL_KEY, KEY),
            (DELIVERY, "outbox"),
        ]))
        .unwrap();
        assert!(matches!(local.key, SenderKey::Local(_)));
        assert!(local.delivery.is_none());
        let refused = settings_from_env(&env(&[(KMS_KEY_ARN, ARN), (DELIVERY, "pigeon")]));
        assert_eq!(refused.unwrap_err().setting, DELIVERY);
    }
}
