//! `SENDER_LOCAL_KEY`: a local AES-256 key the custom sender unwraps codes' data keys with instead
//! of KMS (the Encryption SDK's raw AES keyring), so the sample events decrypt where no KMS can be
//! reached (`sam local`, tests). Never deployed: the template declares it empty.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::ConfigError;
use super::env::{Env, KMS_KEY_ARN, SENDER_LOCAL_KEY};

/// The key's material. Debug shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct LocalKey(pub [u8; 32]);

impl std::fmt::Debug for LocalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalKey(..)")
    }
}

/// The local key, when one is given; refused beside a KMS key (which one would decrypt?).
pub fn local_key_from_env(
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<LocalKey>, ConfigError> {
    let vars = Env::new(env);
    let Some(text) = vars.text(SENDER_LOCAL_KEY) else {
        return Ok(None);
    };
    if vars.text(KMS_KEY_ARN).is_some() {
        return Err(ConfigError::new(
            SENDER_LOCAL_KEY,
            format!("set beside {KMS_KEY_ARN}: give one key, the local one only for local runs"),
        ));
    }
    let bytes = STANDARD
        .decode(&text)
        .map_err(|_| ConfigError::new(SENDER_LOCAL_KEY, "not valid base64"))?;
    let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
        ConfigError::new(
            SENDER_LOCAL_KEY,
            format!("{} bytes: an AES-256 key is 32", b.len()),
        )
    })?;
    Ok(Some(LocalKey(key)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_env as env;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn a_local_key_is_32_bytes_of_base64_and_alone() {
        assert_eq!(local_key_from_env(&env(&[])).unwrap(), None);
        assert_eq!(
            local_key_from_env(&env(&[(SENDER_LOCAL_KEY, " ")])).unwrap(),
            None
        );
        let key = local_key_from_env(&env(&[(SENDER_LOCAL_KEY, KEY), (KMS_KEY_ARN, "")]))
            .unwrap()
            .unwrap();
        assert_eq!(key.0[31], 31);
        assert_eq!(format!("{key:?}"), "LocalKey(..)");
        for pairs in [
            vec![(SENDER_LOCAL_KEY, "not base64!")],
            vec![(SENDER_LOCAL_KEY, "AAECAw==")],
            vec![
                (SENDER_LOCAL_KEY, KEY),
                (KMS_KEY_ARN, "arn:aws:kms:us-east-1:123456789012:key/k"),
            ],
        ] {
            let err = local_key_from_env(&env(&pairs)).unwrap_err();
            assert_eq!(err.setting, SENDER_LOCAL_KEY, "{pairs:?}");
            assert!(!err.to_string().contains(KEY));
        }
    }
}
