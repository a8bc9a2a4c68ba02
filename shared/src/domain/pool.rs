//! The user pool's settings the reset workflow needs.

use serde::{Deserialize, Serialize};

use super::code::CodePolicy;
use super::message_catalog::MessageCatalog;
use super::password::PasswordPolicy;
use super::recovery::AccountRecovery;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AppClient {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for AppClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppClient")
            .field("client_id", &self.client_id)
            .field("has_secret", &self.client_secret.is_some())
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PreventUserExistenceErrors {
    /// Unknown, disabled and unverified users get a simulated answer (ours: the default).
    #[default]
    Enabled,
    /// Unknown users get UserNotFoundException.
    Legacy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    pub user_pool_id: String,
    pub clients: Vec<AppClient>,
    pub recovery: AccountRecovery,
    pub prevent_user_existence_errors: PreventUserExistenceErrors,
    pub password_policy: PasswordPolicy,
    pub codes: CodePolicy,
    /// The CustomMessage templates; forgot-password renders CustomMessage_ForgotPassword.
    pub messages: MessageCatalog,
    /// Send the PasswordChanged notice after a successful reset.
    pub notify_password_changed: bool,
    /// `UsernameConfiguration.CaseSensitive`: false (Cognito's default) folds logins to lower case.
    pub case_sensitive: bool,
}

/// The functions a user pool's `LambdaConfig` names for the triggers Cognito calls on
/// ForgotPassword (ARNs, as the pool holds them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerFunctions {
    pub custom_message: Option<String>,
    pub user_migration: Option<String>,
}

impl TriggerFunctions {
    /// Those of `invocable` (ARNs or function names): the functions to invoke. A trigger not in
    /// it (this stack's own function, or one the deployment did not let it invoke) runs in-process.
    pub fn among(&self, invocable: &[String]) -> Self {
        let listed = |arn: &Option<String>| {
            arn.clone().filter(|arn| {
                invocable
                    .iter()
                    .any(|f| f == arn || function_name(arn) == f)
            })
        };
        Self {
            custom_message: listed(&self.custom_message),
            user_migration: listed(&self.user_migration),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.custom_message.is_none() && self.user_migration.is_none()
    }

    /// Each trigger with its function: `("CustomMessage", arn)`.
    pub fn each(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("CustomMessage", self.custom_message.as_deref()),
            ("UserMigration", self.user_migration.as_deref()),
        ]
        .into_iter()
        .filter_map(|(trigger, arn)| Some((trigger, arn?)))
    }
}

/// `arn:aws:lambda:region:account:function:NAME[:qualifier]` -> `NAME`; anything else as it is.
pub fn function_name(arn: &str) -> &str {
    arn.split(':').nth(6).unwrap_or(arn)
}

impl PoolSettings {
    /// The one form of `login` used for lookup, decoy record, limits and masks.
    pub fn normalize_login(&self, login: &str) -> String {
        super::login::normalize(login, self.case_sensitive)
    }

    pub fn client(&self, client_id: &str) -> Option<&AppClient> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_functions_are_invoked() {
        let pool = TriggerFunctions {
            custom_message: Some("arn:aws:lambda:us-east-1:1:function:team-message".into()),
            user_migration: Some(
                "arn:aws:lambda:us-east-1:1:function:stack-UserMigration:live".into(),
            ),
        };
        let chosen = pool.among(&["team-message".into()]);
        assert_eq!(chosen.custom_message, pool.custom_message);
        assert_eq!(chosen.user_migration, None);
        assert!(pool.among(&[]).is_empty());
        let by_arn =
            pool.among(&["arn:aws:lambda:us-east-1:1:function:stack-UserMigration:live".into()]);
        assert_eq!(by_arn.user_migration, pool.user_migration);
        assert_eq!(function_name("stack-fn"), "stack-fn");
        assert_eq!(
            pool.each().map(|(t, _)| t).collect::<Vec<_>>(),
            ["CustomMessage", "UserMigration"]
        );
    }
}
