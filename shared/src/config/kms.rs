//! Settings of the custom sender triggers' decryption, read from the environment once at start.

use std::collections::BTreeMap;

use super::ConfigError;
use super::env::{Env, KMS_ENCRYPTION_CONTEXT, KMS_KEY_ARN};

/// The signing suites' public key lives under this context key; it cannot be required.
const RESERVED_PREFIX: &str = "aws-crypto-";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsSettings {
    pub key_arn: String,
    pub encryption_context: BTreeMap<String, String>,
}

impl KmsSettings {
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Env::new(env);
        let key_arn = vars.required(
            KMS_KEY_ARN,
            "not set: the ARN of the pool's KMS key is needed to decrypt codes",
        )?;
        if !is_key_arn(&key_arn) {
            return Err(ConfigError::new(
                KMS_KEY_ARN,
                format!(
                    "{key_arn:?} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)"
                ),
            ));
        }
        let encryption_context: BTreeMap<String, String> = vars
            .json(KMS_ENCRYPTION_CONTEXT, "not a JSON object of strings")?
            .unwrap_or_default();
        if let Some(key) = encryption_context
            .keys()
            .find(|k| k.starts_with(RESERVED_PREFIX))
        {
            return Err(ConfigError::new(
                KMS_ENCRYPTION_CONTEXT,
                format!("{key:?} is reserved for the Encryption SDK"),
            ));
        }
        Ok(Self {
            key_arn,
            encryption_context,
        })
    }
}

/// `arn:<partition>:kms:<region>:<12-digit account>:key/<id>`: the keyring compares it byte for
/// byte with what the message names, so an alias or a bare key id would never match.
fn is_key_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "kms", region, account, resource]
        if partition.starts_with("aws")
            && !region.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("key/").is_some_and(|id| !id.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_env as env;

    const ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn key_and_context() {
        let s = KmsSettings::from_env(&env(&[(KMS_KEY_ARN, ARN)])).unwrap();
        assert_eq!(s.key_arn, ARN);
        assert!(s.encryption_context.is_empty());
        let s = KmsSettings::from_env(&env(&[
            (KMS_KEY_ARN, ARN),
            (KMS_ENCRYPTION_CONTEXT, r#"{"userpool-id":"us-east-1_X"}"#),
        ]))
        .unwrap();
        assert_eq!(s.encryption_context["userpool-id"], "us-east-1_X");
    }

    #[test]
    fn every_bad_setting_is_named() {
        for (pairs, name) in [
            (vec![], KMS_KEY_ARN),
            (vec![(KMS_KEY_ARN, "alias/cognito")], KMS_KEY_ARN),
            (
                vec![(KMS_KEY_ARN, "arn:aws:kms:us-east-1:1234:key/x")],
                KMS_KEY_ARN,
            ),
            (
                vec![(KMS_KEY_ARN, "arn:aws:kms:us-east-1:123456789012:alias/x")],
                KMS_KEY_ARN,
            ),
            (
                vec![(KMS_KEY_ARN, ARN), (KMS_ENCRYPTION_CONTEXT, "[1]")],
                KMS_ENCRYPTION_CONTEXT,
            ),
            (
                vec![(KMS_KEY_ARN, ARN), (KMS_ENCRYPTION_CONTEXT, r#"{"a":1}"#)],
                KMS_ENCRYPTION_CONTEXT,
            ),
            (
                vec![
                    (KMS_KEY_ARN, ARN),
                    (KMS_ENCRYPTION_CONTEXT, r#"{"aws-crypto-public-key":"x"}"#),
                ],
                KMS_ENCRYPTION_CONTEXT,
            ),
        ] {
            let err = KmsSettings::from_env(&env(&pairs)).unwrap_err();
            assert_eq!(err.setting, name, "{pairs:?}: {err}");
        }
    }
}
