//! Settings, read once at start: from a JSON pool file (the local runner) or from the environment
//! (Lambda). Every failure names the bad setting.

pub mod delivery;
pub mod kms;

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use crate::domain::caller::MAX_CALLER_REQUESTS;
use crate::domain::code::{CodeKey, CodeKeys, CodePolicy, KeyId, MAX_KEYS};
use crate::domain::message_catalog::MessageCatalog;
use crate::domain::migration::SourceUser;
use crate::domain::password::PasswordPolicy;
use crate::domain::pool::{AppClient, PoolSettings, PreventUserExistenceErrors};
use crate::domain::recovery::{AccountRecovery, MechanismName, RecoveryMechanism};
use crate::domain::user::User;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {setting}: {problem}")]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

fn bad(setting: &str, problem: impl std::fmt::Display) -> ConfigError {
    ConfigError {
        setting: setting.to_string(),
        problem: problem.to_string(),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RecoverySettingFile {
    #[serde(default)]
    recovery_mechanisms: Vec<RecoveryMechanism>,
}

/// Cognito's `UsernameConfiguration`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct UsernameConfigurationFile {
    #[serde(default)]
    case_sensitive: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OutboxSettings {
    /// Where delivered messages are appended, one JSON line each.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// When present, the outbox imitates a sandbox: only these destinations are accepted.
    #[serde(default)]
    pub verified_destinations: Option<Vec<String>>,
}

/// The pool file: Cognito's own names where Cognito has them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct PoolFile {
    #[serde(default)]
    user_pool_id: String,
    /// Required unless the directory is a user pool, whose own clients are used.
    #[serde(default)]
    clients: Vec<AppClient>,
    #[serde(default)]
    account_recovery_setting: Option<RecoverySettingFile>,
    #[serde(default)]
    prevent_user_existence_errors: PreventUserExistenceErrors,
    /// `CaseSensitive` (default false, as Cognito's since 2020): how logins compare.
    #[serde(default)]
    username_configuration: Option<UsernameConfigurationFile>,
    #[serde(default)]
    password_policy: PasswordPolicy,
    #[serde(default)]
    codes: CodePolicy,
    /// CustomMessage templates (see `domain::message_catalog`).
    #[serde(default)]
    messages: Option<serde_json::Value>,
    #[serde(default)]
    users: Vec<User>,
    /// Users only an old system knows: migrated on their first ForgotPassword.
    #[serde(default)]
    source_users: Option<Vec<SourceUser>>,
    #[serde(default)]
    outbox: OutboxSettings,
    /// The PasswordChanged notice after a reset.
    #[serde(default = "yes")]
    notify_password_changed: bool,
    /// Base64 of at least 32 bytes; random per start when absent.
    #[serde(default)]
    code_hash_key: Option<String>,
}

/// Everything a process needs to build its service.
#[derive(Debug, Clone)]
pub struct Settings {
    pub pool: PoolSettings,
    pub key: Option<CodeKey>,
    pub users: Vec<User>,
    /// A source user source kept in memory (the pool file's `SourceUsers`, or `SOURCE_USERS_FILE`).
    pub source_users: Option<Vec<SourceUser>>,
    pub outbox: OutboxSettings,
    /// Which pool settings were given here, so a user pool's own fill in only the others.
    pub explicit: Explicit,
}

/// Settings given explicitly (environment or pool file) rather than defaulted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Explicit {
    pub recovery: bool,
    pub password_policy: bool,
    pub case_sensitive: bool,
}

fn yes() -> bool {
    true
}

fn pool_settings(
    user_pool_id: String,
    clients: Vec<AppClient>,
    mechanisms: &[RecoveryMechanism],
    prevent: PreventUserExistenceErrors,
    password_policy: PasswordPolicy,
    codes: CodePolicy,
    messages: MessageCatalog,
) -> Result<PoolSettings, ConfigError> {
    Ok(PoolSettings {
        user_pool_id,
        clients,
        recovery: AccountRecovery::from_mechanisms(mechanisms)
            .map_err(|e| bad("AccountRecoverySetting", e))?,
        prevent_user_existence_errors: prevent,
        password_policy: password_policy
            .validated()
            .map_err(|e| bad("PasswordPolicy", e))?,
        codes: codes.validated().map_err(|e| bad("Codes", e))?,
        messages,
        notify_password_changed: true,
        case_sensitive: false,
    })
}

/// A base64 code-hashing key of at least 32 bytes; `setting` names it in the error.
pub fn decode_key(setting: &str, value: &str) -> Result<CodeKey, ConfigError> {
    let bytes = STANDARD
        .decode(value.trim())
        .map_err(|_| bad(setting, "not valid base64"))?;
    CodeKey::from_bytes(&bytes).map_err(|e| bad(setting, e))
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
        return Err(bad(
            setting,
            format!("the secret is not a JSON object: {SHAPE}"),
        ));
    };
    let named = |field: &str| -> Result<KeyId, ConfigError> {
        match entries.get(field) {
            Some(serde_json::Value::String(id)) => KeyId::parse(id).map_err(|_| {
                bad(
                    setting,
                    format!("\"{field}\" is not a valid key id (1-32 of A-Z a-z 0-9 - _ .)"),
                )
            }),
            Some(_) => Err(bad(setting, format!("\"{field}\" must be a key id string"))),
            None => Err(bad(setting, format!("\"{field}\" is missing: {SHAPE}"))),
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
            bad(
                setting,
                "an entry's name is not a key id (1-32 of A-Z a-z 0-9 - _ .)",
            )
        })?;
        let serde_json::Value::String(value) = value else {
            return Err(bad(
                setting,
                format!("key \"{id}\" must be a base64 string"),
            ));
        };
        let bytes = STANDARD
            .decode(value.trim())
            .map_err(|_| bad(setting, format!("key \"{id}\" is not valid base64")))?;
        let key =
            CodeKey::from_bytes(&bytes).map_err(|e| bad(setting, format!("key \"{id}\": {e}")))?;
        keys.push((id, key));
    }
    if keys.len() > MAX_KEYS {
        return Err(bad(
            setting,
            format!("at most {MAX_KEYS} keys, got {}", keys.len()),
        ));
    }
    CodeKeys::new(current, decoy, keys).map_err(|e| bad(setting, e))
}

impl Settings {
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let file: PoolFile = serde_json::from_str(text).map_err(|e| bad("pool file", e))?;
        let raw: serde_json::Value = serde_json::from_str(text).map_err(|e| bad("pool file", e))?;
        let explicit = Explicit {
            recovery: raw.get("AccountRecoverySetting").is_some(),
            password_policy: raw.get("PasswordPolicy").is_some(),
            case_sensitive: raw.get("UsernameConfiguration").is_some(),
        };
        let mechanisms = file
            .account_recovery_setting
            .unwrap_or_default()
            .recovery_mechanisms;
        let mut pool = pool_settings(
            file.user_pool_id,
            file.clients,
            &mechanisms,
            file.prevent_user_existence_errors,
            file.password_policy,
            file.codes,
            file.messages
                .map(MessageCatalog::from_json)
                .transpose()
                .map_err(|e| bad("Messages", e))?
                .unwrap_or_default(),
        )?;
        pool.notify_password_changed = file.notify_password_changed;
        pool.case_sensitive = file
            .username_configuration
            .is_some_and(|c| c.case_sensitive);
        let key = file
            .code_hash_key
            .as_deref()
            .map(|k| decode_key("CodeHashKey", k))
            .transpose()?;
        Ok(Self {
            pool,
            key,
            users: file.users,
            source_users: file.source_users,
            outbox: file.outbox,
            explicit,
        })
    }

    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| bad(&path.display().to_string(), e))?;
        Self::from_json(&text)
    }

    /// Lambda configuration. `env` is the process environment in production, a map in tests.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let parse_num = |name: &str| -> Result<Option<u64>, ConfigError> {
            env(name)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| bad(name, format!("{v:?} is not a number")))
                })
                .transpose()
        };
        let parse_bool = |name: &str, default: bool| -> Result<bool, ConfigError> {
            match env(name).as_deref().map(str::trim) {
                None | Some("") => Ok(default),
                Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
                Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
                Some(v) => Err(bad(name, format!("{v:?} is neither true nor false"))),
            }
        };
        // Not needed when the directory is a user pool (its own clients): checked at assembly.
        let clients: Vec<AppClient> = match env("APP_CLIENTS") {
            Some(v) => serde_json::from_str(&v).map_err(|e| {
                bad(
                    "APP_CLIENTS",
                    format!("expected a JSON list of {{\"ClientId\", \"ClientSecret\"}}: {e}"),
                )
            })?,
            None => Vec::new(),
        };
        let given = |name: &str| env(name).is_some_and(|v| !v.trim().is_empty());
        let explicit = Explicit {
            recovery: given("RECOVERY_MECHANISMS"),
            password_policy: [
                "PASSWORD_MIN_LENGTH",
                "PASSWORD_REQUIRE_UPPERCASE",
                "PASSWORD_REQUIRE_LOWERCASE",
                "PASSWORD_REQUIRE_NUMBERS",
                "PASSWORD_REQUIRE_SYMBOLS",
            ]
            .into_iter()
            .any(given),
            case_sensitive: given("USERNAME_CASE_SENSITIVE"),
        };
        let mechanisms = mechanisms_from_env(&env)?;
        let prevent = match env("PREVENT_USER_EXISTENCE_ERRORS")
            .as_deref()
            .map(str::trim)
        {
            None | Some("") | Some("ENABLED") => PreventUserExistenceErrors::Enabled,
            Some("LEGACY") => PreventUserExistenceErrors::Legacy,
            Some(v) => {
                return Err(bad(
                    "PREVENT_USER_EXISTENCE_ERRORS",
                    format!("{v:?} is neither ENABLED nor LEGACY"),
                ));
            }
        };
        let d = CodePolicy::default();
        let narrow = |name: &str, v: Option<u64>, default: u64| -> Result<u64, ConfigError> {
            let v = v.unwrap_or(default);
            if v > u64::from(u32::MAX) {
                Err(bad(name, "too large"))
            } else {
                Ok(v)
            }
        };
        let caller_limit = |name: &str, v: Option<u64>, default: u32| -> Result<u32, ConfigError> {
            match v {
                None => Ok(default),
                Some(v) if v <= u64::from(MAX_CALLER_REQUESTS) => Ok(v as u32),
                Some(v) => Err(bad(
                    name,
                    format!("{v} is not 0 (off) to {MAX_CALLER_REQUESTS} requests per hour"),
                )),
            }
        };
        let codes = CodePolicy {
            length: u8::try_from(narrow(
                "CODE_LENGTH",
                parse_num("CODE_LENGTH")?,
                u64::from(d.length),
            )?)
            .map_err(|_| bad("CODE_LENGTH", "must be 6-10"))?,
            ttl_seconds: parse_num("CODE_TTL_SECONDS")?.unwrap_or(d.ttl_seconds),
            max_requests: narrow(
                "MAX_REQUESTS_PER_HOUR",
                parse_num("MAX_REQUESTS_PER_HOUR")?,
                u64::from(d.max_requests),
            )? as u32,
            window_seconds: d.window_seconds,
            max_failed_attempts: narrow(
                "MAX_FAILED_ATTEMPTS",
                parse_num("MAX_FAILED_ATTEMPTS")?,
                u64::from(d.max_failed_attempts),
            )? as u32,
            max_requests_per_caller: caller_limit(
                "MAX_REQUESTS_PER_CALLER_PER_HOUR",
                parse_num("MAX_REQUESTS_PER_CALLER_PER_HOUR")?,
                d.max_requests_per_caller,
            )?,
            max_confirms_per_caller: caller_limit(
                "MAX_CONFIRMS_PER_CALLER_PER_HOUR",
                parse_num("MAX_CONFIRMS_PER_CALLER_PER_HOUR")?,
                d.max_confirms_per_caller,
            )?,
        };
        let p = PasswordPolicy::default();
        let password_policy = PasswordPolicy {
            minimum_length: u8::try_from(
                parse_num("PASSWORD_MIN_LENGTH")?.unwrap_or(u64::from(p.minimum_length)),
            )
            .map_err(|_| bad("PASSWORD_MIN_LENGTH", "must be 6-99"))?,
            require_uppercase: parse_bool("PASSWORD_REQUIRE_UPPERCASE", p.require_uppercase)?,
            require_lowercase: parse_bool("PASSWORD_REQUIRE_LOWERCASE", p.require_lowercase)?,
            require_numbers: parse_bool("PASSWORD_REQUIRE_NUMBERS", p.require_numbers)?,
            require_symbols: parse_bool("PASSWORD_REQUIRE_SYMBOLS", p.require_symbols)?,
        };
        let messages = messages_from_env(&env)?;
        let mut pool = pool_settings(
            env("USER_POOL_ID").unwrap_or_default(),
            clients,
            &mechanisms,
            prevent,
            password_policy,
            codes,
            messages,
        )?;
        pool.notify_password_changed = parse_bool("NOTIFY_PASSWORD_CHANGED", true)?;
        pool.case_sensitive = parse_bool("USERNAME_CASE_SENSITIVE", false)?;
        let key = env("CODE_HASH_KEY")
            .map(|k| decode_key("CODE_HASH_KEY", &k))
            .transpose()?;
        let users = match env("SEED_USERS_FILE") {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| bad("SEED_USERS_FILE", format!("{path}: {e}")))?;
                serde_json::from_str(&text)
                    .map_err(|e| bad("SEED_USERS_FILE", format!("{path}: {e}")))?
            }
            None => Vec::new(),
        };
        let outbox = OutboxSettings {
            path: env("OUTBOX_PATH").map(PathBuf::from),
            verified_destinations: None,
        };
        let source_users = source_users_from_env(&env)?;
        Ok(Self {
            pool,
            key,
            users,
            source_users,
            outbox,
            explicit,
        })
    }
}

/// The CustomMessage templates: `MESSAGE_TEMPLATES_FILE` (a JSON file shipped with the function)
/// and/or `MESSAGE_TEMPLATES` (JSON), whose sources replace the file's; built-in texts otherwise.
pub fn messages_from_env(
    env: &impl Fn(&str) -> Option<String>,
) -> Result<MessageCatalog, ConfigError> {
    let mut merged = serde_json::Map::new();
    if let Some(path) = env("MESSAGE_TEMPLATES_FILE") {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| bad("MESSAGE_TEMPLATES_FILE", format!("{path}: {e}")))?;
        match serde_json::from_str(&text) {
            Ok(serde_json::Value::Object(map)) => merged.extend(map),
            Ok(_) => {
                return Err(bad(
                    "MESSAGE_TEMPLATES_FILE",
                    format!("{path}: not a JSON object"),
                ));
            }
            Err(e) => return Err(bad("MESSAGE_TEMPLATES_FILE", format!("{path}: {e}"))),
        }
    }
    let mut setting = "MESSAGE_TEMPLATES_FILE";
    if let Some(text) = env("MESSAGE_TEMPLATES") {
        setting = "MESSAGE_TEMPLATES";
        match serde_json::from_str(&text) {
            Ok(serde_json::Value::Object(map)) => merged.extend(map),
            Ok(_) => return Err(bad(setting, "not a JSON object")),
            Err(e) => return Err(bad(setting, e)),
        }
    }
    MessageCatalog::from_json(serde_json::Value::Object(merged)).map_err(|e| bad(setting, e))
}

/// A source users file: the list itself, or a pool file holding it under `SourceUsers`.
#[derive(Deserialize)]
#[serde(untagged)]
enum SourceUsersFile {
    List(Vec<SourceUser>),
    #[serde(rename_all = "PascalCase")]
    Pool {
        source_users: Vec<SourceUser>,
    },
}

/// `SOURCE_USERS_FILE`: source users (`Username`, `Attributes`, `PasswordHash`) served from memory,
/// for local runs and tests; a JSON list, or a pool file such as `config/demo-pool.json`.
pub fn source_users_from_env(
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<Vec<SourceUser>>, ConfigError> {
    env("SOURCE_USERS_FILE")
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| bad("SOURCE_USERS_FILE", format!("{path}: {e}")))?;
            match serde_json::from_str(&text) {
                Ok(
                    SourceUsersFile::List(users)
                    | SourceUsersFile::Pool {
                        source_users: users,
                    },
                ) => Ok(users),
                Err(_) => Err(bad(
                    "SOURCE_USERS_FILE",
                    format!(
                        "{path}: expected a list of source users or an object with SourceUsers"
                    ),
                )),
            }
        })
        .transpose()
}

/// `RECOVERY_MECHANISMS`: `verified_email,verified_phone_number` (comma-separated, highest
/// priority first), `admin_only`, or unset for a legacy pool.
pub fn recovery_from_env(
    env: &impl Fn(&str) -> Option<String>,
) -> Result<AccountRecovery, ConfigError> {
    AccountRecovery::from_mechanisms(&mechanisms_from_env(env)?)
        .map_err(|e| bad("RECOVERY_MECHANISMS", e))
}

fn mechanisms_from_env(
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<RecoveryMechanism>, ConfigError> {
    env("RECOVERY_MECHANISMS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .zip(1u8..)
        .map(|(name, priority)| {
            let name = match name {
                "verified_email" => MechanismName::VerifiedEmail,
                "verified_phone_number" => MechanismName::VerifiedPhoneNumber,
                "admin_only" => MechanismName::AdminOnly,
                other => {
                    return Err(bad(
                        "RECOVERY_MECHANISMS",
                        format!("unknown mechanism {other:?}"),
                    ));
                }
            };
            Ok(RecoveryMechanism { name, priority })
        })
        .collect()
}

/// An environment for tests: the given pairs and nothing else.
#[cfg(test)]
pub(crate) fn test_env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::test_env as env;

    #[test]
    fn environment_with_defaults() {
        let s = Settings::from_env(env(&[("APP_CLIENTS", r#"[{"ClientId":"abc"}]"#)])).unwrap();
        assert_eq!(s.pool.codes, CodePolicy::default());
        assert_eq!(s.pool.recovery, AccountRecovery::Legacy);
        assert_eq!(
            s.pool.prevent_user_existence_errors,
            PreventUserExistenceErrors::Enabled
        );
    }

    #[test]
    fn every_bad_setting_is_named() {
        let clients = ("APP_CLIENTS", r#"[{"ClientId":"abc"}]"#);
        for (name, value) in [
            ("CODE_LENGTH", "5"),
            ("CODE_LENGTH", "six"),
            ("MAX_FAILED_ATTEMPTS", "0"),
            ("PASSWORD_MIN_LENGTH", "3"),
            ("PASSWORD_REQUIRE_SYMBOLS", "yes"),
            ("RECOVERY_MECHANISMS", "carrier_pigeon"),
            ("RECOVERY_MECHANISMS", "admin_only,verified_email"),
            ("PREVENT_USER_EXISTENCE_ERRORS", "MAYBE"),
            ("CODE_HASH_KEY", "c2hvcnQ="),
            ("MAX_REQUESTS_PER_CALLER_PER_HOUR", "101"),
            ("MAX_CONFIRMS_PER_CALLER_PER_HOUR", "many"),
        ] {
            let err = Settings::from_env(env(&[clients, (name, value)])).unwrap_err();
            let shown = err.to_string();
            let expected = match name {
                "CODE_LENGTH" | "MAX_FAILED_ATTEMPTS" if value != "six" => "Codes",
                "PASSWORD_MIN_LENGTH" => "PasswordPolicy",
                "RECOVERY_MECHANISMS" if value.contains(',') => "AccountRecoverySetting",
                _ => name,
            };
            assert!(shown.contains(expected), "{name}={value}: {shown}");
        }
        assert!(
            Settings::from_env(env(&[("APP_CLIENTS", "[{")]))
                .unwrap_err()
                .to_string()
                .contains("APP_CLIENTS")
        );
    }

    #[test]
    fn per_caller_limits_are_read_from_the_environment_and_the_pool_file() {
        let s = Settings::from_env(env(&[
            ("APP_CLIENTS", r#"[{"ClientId":"abc"}]"#),
            ("MAX_REQUESTS_PER_CALLER_PER_HOUR", "12"),
            ("MAX_CONFIRMS_PER_CALLER_PER_HOUR", "0"),
        ]))
        .unwrap();
        assert_eq!(s.pool.codes.max_requests_per_caller, 12);
        assert_eq!(s.pool.codes.max_confirms_per_caller, 0);
        let s = Settings::from_json(
            r#"{"Clients":[{"ClientId":"abc"}],"Codes":{"MaxRequestsPerCaller":7,"MaxConfirmsPerCaller":9}}"#,
        )
        .unwrap();
        assert_eq!(s.pool.codes.max_requests_per_caller, 7);
        assert_eq!(s.pool.codes.max_confirms_per_caller, 9);
        let err = Settings::from_json(
            r#"{"Clients":[{"ClientId":"abc"}],"Codes":{"MaxConfirmsPerCaller":500}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("Codes"), "{err}");
    }

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

    #[test]
    fn the_committed_demo_pool_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/demo-pool.json");
        let s = Settings::from_file(&path).unwrap();
        assert!(s.pool.client("38fjsnc484p94kpqsnet7mpld0").is_some());
        assert!(
            s.users
                .iter()
                .any(|u| u.attributes.get("email") == Some("jane@example.com"))
        );
    }
}
