//! A sign-out still owed after a password change, as its retry record carries it (an SQS
//! message's body): who, and nothing else (no password, no code, no session).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OwedSignOut {
    /// The user whose sessions from before the change must end (the directory's username).
    pub username: String,
}

impl OwedSignOut {
    pub fn new(username: &str) -> Self {
        Self {
            username: username.to_string(),
        }
    }

    /// The record's body: `{"Username":"..."}`.
    pub fn to_body(&self) -> String {
        serde_json::json!({ "Username": self.username }).to_string()
    }

    /// A record's body, or why it is not one (never retried: it would never become one).
    pub fn from_body(body: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_names_the_user_and_nothing_else() {
        let body = OwedSignOut::new("jane").to_body();
        assert_eq!(body, r#"{"Username":"jane"}"#);
        assert_eq!(
            OwedSignOut::from_body(&body).unwrap(),
            OwedSignOut::new("jane")
        );
        assert!(OwedSignOut::from_body(r#"{"Username":"jane","Password":"x"}"#).is_err());
    }
}
