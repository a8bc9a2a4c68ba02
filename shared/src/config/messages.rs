//! The CustomMessage templates from the environment.

use super::ConfigError;
use super::env::{self, Env};
use crate::domain::message_catalog::MessageCatalog;

type Object = serde_json::Map<String, serde_json::Value>;

/// `MESSAGE_TEMPLATES_FILE` (a JSON file shipped with the function) and/or `MESSAGE_TEMPLATES`
/// (JSON), whose sources replace the file's; built-in texts otherwise.
pub fn messages_from_env(
    env: &impl Fn(&str) -> Option<String>,
) -> Result<MessageCatalog, ConfigError> {
    let vars = Env::new(env);
    let mut merged = vars
        .json_file::<Object>(env::MESSAGE_TEMPLATES_FILE, "not a JSON object")?
        .unwrap_or_default();
    // A template breaking Cognito's rules is blamed on the variable that brought the last word.
    let mut setting = env::MESSAGE_TEMPLATES_FILE;
    if let Some(inline) = vars.json::<Object>(env::MESSAGE_TEMPLATES, "not a JSON object")? {
        setting = env::MESSAGE_TEMPLATES;
        merged.extend(inline);
    }
    MessageCatalog::from_json(serde_json::Value::Object(merged))
        .map_err(|e| ConfigError::new(setting, e))
}
