//! A user of the pool as the reset workflow sees it.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    Unconfirmed,
    Confirmed,
    ResetRequired,
    ForceChangePassword,
    ExternalProvider,
    Archived,
    Compromised,
    Unknown,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unconfirmed => "UNCONFIRMED",
            Self::Confirmed => "CONFIRMED",
            Self::ResetRequired => "RESET_REQUIRED",
            Self::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
            Self::ExternalProvider => "EXTERNAL_PROVIDER",
            Self::Archived => "ARCHIVED",
            Self::Compromised => "COMPROMISED",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// The second factor a user signs in with, when known: it cannot also be the recovery channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MfaChannel {
    #[serde(alias = "SMS_MFA")]
    Sms,
    #[serde(alias = "EMAIL_OTP")]
    Email,
    #[serde(alias = "SOFTWARE_TOKEN_MFA")]
    SoftwareToken,
}

/// Attribute values are strings in Cognito; some samples and imports carry booleans or numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Attributes(#[serde(deserialize_with = "lenient_strings")] pub BTreeMap<String, String>);

fn lenient_strings<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let raw = BTreeMap::<String, serde_json::Value>::deserialize(d)?;
    Ok(raw
        .into_iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            serde_json::Value::Bool(b) => Some((k, b.to_string())),
            serde_json::Value::Number(n) => Some((k, n.to_string())),
            _ => None,
        })
        .collect())
}

impl Attributes {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// `email_verified` and friends: the string "true" (any case) means verified.
    pub fn is_true(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.insert(name.to_string(), value.into());
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

fn enabled_default() -> bool {
    true
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    pub username: String,
    pub sub: String,
    pub status: UserStatus,
    #[serde(default = "enabled_default")]
    pub enabled: bool,
    #[serde(default)]
    pub attributes: Attributes,
    /// argon2id PHC string; absent for users that never set a password here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<MfaChannel>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("username", &self.username)
            .field("status", &self.status)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

impl User {
    pub fn email(&self) -> Option<&str> {
        self.attributes.get("email")
    }

    pub fn phone_number(&self) -> Option<&str> {
        self.attributes.get("phone_number")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verified_flags_accept_strings_and_booleans() {
        let u: User = serde_json::from_value(serde_json::json!({
            "Username": "jane", "Sub": "s", "Status": "CONFIRMED",
            "Attributes": {"email": "j@e.com", "email_verified": true,
                           "phone_number": "+1", "phone_number_verified": "false", "custom:n": 3}
        }))
        .unwrap();
        assert!(u.enabled);
        assert!(u.attributes.is_true("email_verified"));
        assert!(!u.attributes.is_true("phone_number_verified"));
        assert_eq!(u.attributes.get("custom:n"), Some("3"));
    }
}
