//! The pool file (JSON), the local runner's settings: Cognito's own names where Cognito has them.

use std::path::Path;

use serde::Deserialize;

use super::ConfigError;
use super::code_keys::decode_key;
use super::settings::{Explicit, OutboxSettings, Settings, pool_settings};
use crate::domain::code::CodePolicy;
use crate::domain::message_catalog::MessageCatalog;
use crate::domain::migration::SourceUser;
use crate::domain::password::PasswordPolicy;
use crate::domain::pool::{AppClient, BlocklistSettings, PreventUserExistenceErrors, StuckUsers};
use crate::domain::recovery::RecoveryMechanism;
use crate::domain::user::User;

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
    /// The blocklist beside the password policy (on by default).
    #[serde(default)]
    password_blocklist: BlocklistSettings,
    /// Users Cognito leaves stuck, each let reset when its option is on.
    #[serde(default)]
    stuck_users: StuckUsers,
    /// Base64 of at least 32 bytes; random per start when absent.
    #[serde(default)]
    code_hash_key: Option<String>,
}

fn yes() -> bool {
    true
}

impl Settings {
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let file: PoolFile =
            serde_json::from_str(text).map_err(|e| ConfigError::new("pool file", e))?;
        let raw: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ConfigError::new("pool file", e))?;
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
                .map_err(|e| ConfigError::new("Messages", e))?
                .unwrap_or_default(),
        )?;
        pool.notify_password_changed = file.notify_password_changed;
        pool.blocklist = file.password_blocklist;
        pool.stuck_users = file.stuck_users;
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
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(&path.display().to_string(), e))?;
        Self::from_json(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
