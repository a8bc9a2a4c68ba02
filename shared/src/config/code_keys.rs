//! The code-hashing keys as settings: one literal key, or the keyring a secret holds.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::ConfigError;
use crate::domain::code::{CodeKey, CodeKeys, KeyId, MAX_KEYS};

/// A base64 code-hashing key of at least 32 bytes; `setting` names it in the error.
pub fn decode_key(setting: &str, value: &str) -> Result<CodeKey, ConfigError> {
    let bytes = STANDARD
        .decode(value.trim())
        .map_err(|_| ConfigError::new(setting, "not valid base64"))?;
    CodeKey::from_bytes(&bytes).map_err(|e| ConfigError::new(setting, e))
}

/// The code keys held in a secret (`CODE_HASH_KEY_SECRET_ARN`): a JSON object naming the key that
/// issues codes (`current`), the stable key decoys are derived from (`decoy`), and every key by
/// its id, base64 of at least 32 bytes:
///
/// ```json
/// {"current": "k2", "decoy": "k1", "k1": "<base64>", "k2": "<base64>"}
/// ```
///
/// Flat, so Secrets Manager's generator makes the first one at deploy time (`SecretStringTemplate`
/// `{"current":"k1","decoy":"k1"}`, `GenerateStringKey` `k1`, 64 alphanumerics: valid base64 for
/// 48 bytes). Errors name `setting` and never quote a key; key ids are named (at most 32
/// characters, so a valid id is never a valid key).
pub fn parse_code_keys(setting: &str, text: &str) -> Result<CodeKeys, ConfigError> {
    const SHAPE: &str = r#"expected a JSON object {"current": "<key id>", "decoy": "<key id>", "<key id>": "<base64 key>", ...}"#;
    // serde_json's messages can quote the input: none of them is shown.
    let Ok(serde_json::Value::Object(entries)) = serde_json::from_str::<serde_json::Value>(text)
    else {
        return Err(ConfigError::new(
            setting,
            format!("the secret is not a JSON object: {SHAPE}"),
        ));
    };
    let named = |field: &str| -> Result<KeyId, ConfigError> {
        match entries.get(field) {
            Some(serde_json::Value::String(id)) => KeyId::parse(id).map_err(|_| {
                ConfigError::new(
                    setting,
                    format!("\"{field}\" is not a valid key id (1-32 of A-Z a-z 0-9 - _ .)"),
                )
            }),
            Some(_) => Err(ConfigError::new(
                setting,
                format!("\"{field}\" must be a key id string"),
            )),
            None => Err(ConfigError::new(
                setting,
                format!("\"{field}\" is missing: {SHAPE}"),
            )),
        }
    };
    let current = named("current")?;
    let decoy = named("decoy")?;
    let mut keys = Vec::new();
    for (name, value) in entries
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), "current" | "decoy"))
    {
        let id = KeyId::parse(name).map_err(|_| {
            ConfigError::new(
                setting,
                "an entry's name is not a key id (1-32 of A-Z a-z 0-9 - _ .)",
            )
        })?;
        let serde_json::Value::String(value) = value else {
            return Err(ConfigError::new(
                setting,
                format!("key \"{id}\" must be a base64 string"),
            ));
        };
        let bytes = STANDARD
            .decode(value.trim())
            .map_err(|_| ConfigError::new(setting, format!("key \"{id}\" is not valid base64")))?;
        let key = CodeKey::from_bytes(&bytes)
            .map_err(|e| ConfigError::new(setting, format!("key \"{id}\": {e}")))?;
        keys.push((id, key));
    }
    if keys.len() > MAX_KEYS {
        return Err(ConfigError::new(
            setting,
            format!("at most {MAX_KEYS} keys, got {}", keys.len()),
        ));
    }
    CodeKeys::new(current, decoy, keys).map_err(|e| ConfigError::new(setting, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_key_secret_is_read_and_checked() {
        let key = |b: u8| STANDARD.encode([b; 32]);
        let rotated = format!(
            r#"{{"current":"k2","decoy":"k1","k1":"{}","k2":"{}"}}"#,
            key(1),
            key(2)
        );
        let keys = parse_code_keys("CODE_HASH_KEY_SECRET_ARN", &rotated).unwrap();
        assert_eq!(
            format!("{keys:?}"),
            r#"CodeKeys { current: "k2", decoy: "k1", ids: ["k1", "k2"] }"#
        );
        // What the template's GenerateSecretString makes: 64 alphanumerics are base64 of 48 bytes.
        let generated = format!(
            r#"{{"current":"k1","decoy":"k1","k1":"{}"}}"#,
            "Ab3".repeat(21) + "x"
        );
        assert!(parse_code_keys("CODE_HASH_KEY_SECRET_ARN", &generated).is_ok());
    }

    #[test]
    fn a_malformed_code_key_secret_is_named_and_never_quoted() {
        let k = STANDARD.encode([7u8; 32]);
        let short = STANDARD.encode([7u8; 16]);
        for (secret, expected) in [
            (format!("not json {k}"), "not a JSON object"),
            (format!(r#"["{k}"]"#), "not a JSON object"),
            (
                format!(r#"{{"decoy":"k1","k1":"{k}"}}"#),
                r#""current" is missing"#,
            ),
            (
                format!(r#"{{"current":"k1","k1":"{k}"}}"#),
                r#""decoy" is missing"#,
            ),
            (
                format!(r#"{{"current":"k2","decoy":"k1","k1":"{k}"}}"#),
                r#""current" names key "k2", which is not in the keyring"#,
            ),
            (
                format!(r#"{{"current":"{k}","decoy":"k1","k1":"{k}"}}"#),
                r#""current" is not a valid key id"#,
            ),
            (
                format!(r#"{{"current":"k1","decoy":"k1","{k}":"{k}"}}"#),
                "an entry's name is not a key id",
            ),
            (
                r#"{"current":"k1","decoy":"k1","k1":"short!"}"#.to_string(),
                r#"key "k1" is not valid base64"#,
            ),
            (
                format!(r#"{{"current":"k1","decoy":"k1","k1":"{short}"}}"#),
                r#"key "k1": the code-hashing key needs at least 32 bytes"#,
            ),
            (
                r#"{"current":"k1","decoy":"k1","k1":7}"#.to_string(),
                r#"key "k1" must be a base64 string"#,
            ),
        ] {
            let err = parse_code_keys("CODE_HASH_KEY_SECRET_ARN", &secret).unwrap_err();
            let shown = err.to_string();
            assert!(
                shown.starts_with("invalid setting CODE_HASH_KEY_SECRET_ARN: "),
                "{shown}"
            );
            assert!(shown.contains(expected), "{secret}: {shown}");
            assert!(
                !shown.contains(&k[..16]) && !shown.contains(&short[..16]),
                "{shown}"
            );
        }
    }
}
