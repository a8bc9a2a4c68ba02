//! The migration source table's settings (`SOURCE_TABLE` and friends): which table, which key, how
//! its items map to Cognito attributes. The DynamoDB source (`adapters::migration_source::dynamodb`)
//! reads items by them.

use std::collections::BTreeMap;

use super::ConfigError;
use super::env::{
    Env, SOURCE_ASSUME_VERIFIED, SOURCE_ATTRIBUTES, SOURCE_EMAIL_INDEX, SOURCE_KEY,
    SOURCE_PASSWORD_HASH_ATTRIBUTE, SOURCE_TABLE,
};

/// Where the source users are and how their items read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceTable {
    pub table: String,
    /// The partition key (a string): what the user signs in with.
    pub key: String,
    /// The attribute holding the argon2 or bcrypt hash.
    pub password_hash: String,
    /// Cognito attribute name -> item attribute name.
    pub attributes: BTreeMap<String, String>,
    /// A global secondary index keyed by the mapped `email` attribute, for email logins.
    pub email_index: Option<String>,
    /// Treat the source contacts as verified when the item carries no `*_verified` flag.
    pub assume_verified: bool,
}

const DEFAULT_ATTRIBUTES: [&str; 8] = [
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "name",
    "given_name",
    "family_name",
    "locale",
];

impl SourceTable {
    /// `SOURCE_TABLE` (required), `SOURCE_KEY` (default `username`), `SOURCE_PASSWORD_HASH_ATTRIBUTE`
    /// (default `password_hash`), `SOURCE_ATTRIBUTES` (JSON object, Cognito name -> item name, added
    /// to the identity mapping of the standard attributes), `SOURCE_EMAIL_INDEX`,
    /// `SOURCE_ASSUME_VERIFIED` (`true`/`false`, default `false`).
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Env::new(env);
        let table = vars.required(SOURCE_TABLE, "not set")?;
        let mut attributes: BTreeMap<String, String> = DEFAULT_ATTRIBUTES
            .iter()
            .map(|a| (a.to_string(), a.to_string()))
            .collect();
        let extra: Option<BTreeMap<String, String>> = vars.json(
            SOURCE_ATTRIBUTES,
            "expected a JSON object of attribute names",
        )?;
        attributes.extend(extra.unwrap_or_default());
        Ok(Self {
            table,
            key: vars.text(SOURCE_KEY).unwrap_or_else(|| "username".into()),
            password_hash: vars
                .text(SOURCE_PASSWORD_HASH_ATTRIBUTE)
                .unwrap_or_else(|| "password_hash".into()),
            attributes,
            email_index: vars.text(SOURCE_EMAIL_INDEX),
            assume_verified: vars.flag(SOURCE_ASSUME_VERIFIED, false)?,
        })
    }
}
