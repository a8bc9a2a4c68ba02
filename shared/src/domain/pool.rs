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
    /// The app client's name (`ClientName`): an expected word new passwords may not contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
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
    /// What new passwords are screened against beside the policy (`domain::password_blocklist`).
    pub blocklist: BlocklistSettings,
    /// Users Cognito leaves unable to reset, each let through only when its option is on.
    pub stuck_users: StuckUsers,
}

/// The blocklist beside the pool's policy (NIST SP 800-63B-4 §3.1.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct BlocklistSettings {
    /// The embedded common passwords and the expected words (on by default).
    pub enabled: bool,
    /// The app's name as its users know it: an expected word, beside the app client's name.
    pub app_name: Option<String>,
    /// What a new password gets when the breached-password service cannot answer
    /// (`PWNED_PASSWORDS_WHEN_UNREACHABLE`).
    pub when_breach_check_fails: WhenBreachCheckFails,
}

impl Default for BlocklistSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            app_name: None,
            when_breach_check_fails: WhenBreachCheckFails::Accept,
        }
    }
}

/// The answer to a new password the breached-password service could not judge (unreachable, too
/// slow, or a malformed answer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum WhenBreachCheckFails {
    /// Accepted, judged by the policy and the embedded blocklist alone: an outage blocks no reset.
    #[default]
    Accept,
    /// Refused with InternalErrorException (HTTP 500, which every AWS SDK retries), the code
    /// left unspent.
    Refuse,
}

/// Users Cognito answers as decoys though the reset could help them; each option is off by
/// default (the reasoning is in docs/security.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct StuckUsers {
    /// A FORCE_CHANGE_PASSWORD user (admin-created, temporary password) with a verified channel
    /// may reset; the reset sets a permanent password (status CONFIRMED).
    pub force_change_password: bool,
    /// A user whose email is their only address and is unverified may reset through it; the
    /// confirmed reset marks the email verified (the code proved control of it).
    pub unverified_email: bool,
}

/// The functions a user pool's `LambdaConfig` names for the triggers Cognito calls on
/// ForgotPassword (ARNs, as the pool holds them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerFunctions {
    pub custom_message: Option<String>,
    pub user_migration: Option<String>,
    /// `CustomEmailSender.LambdaArn` (`LambdaVersion` V1_0): the function that delivers the
    /// pool's email codes, handed them encrypted under `kms_key_id`.
    pub custom_email_sender: Option<String>,
    /// `CustomSMSSender.LambdaArn`: the same for SMS.
    pub custom_sms_sender: Option<String>,
    /// `KMSKeyID`: the key ARN the custom senders' codes are encrypted under.
    pub kms_key_id: Option<String>,
}

/// What this stack does with one of the pool's triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Invoked as Cognito would (`POOL_TRIGGER_FUNCTIONS`).
    Invoked,
    /// This stack's own function (`STACK_TRIGGER_FUNCTIONS`): the same code runs in-process.
    InProcess,
    /// Neither: the stack may not invoke it and does not run it, so it refuses to start.
    Refused,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invoked => "invoked as Cognito would",
            Self::InProcess => "this stack's own function: runs in-process",
            Self::Refused => "refused: neither listed to invoke nor this stack's own",
        }
    }
}

/// Whether `function` (an ARN, as the pool holds it) is among `list` (ARNs or function names).
fn listed_in(function: &str, list: &[String]) -> bool {
    list.iter()
        .any(|f| f == function || function_name(function) == f)
}

impl TriggerFunctions {
    /// Those of `invocable` (ARNs or function names): the functions to invoke. A trigger not in
    /// it (this stack's own function, or one the deployment did not let it invoke) runs in-process.
    pub fn among(&self, invocable: &[String]) -> Self {
        let listed = |arn: &Option<String>| arn.clone().filter(|arn| listed_in(arn, invocable));
        Self {
            custom_message: listed(&self.custom_message),
            user_migration: listed(&self.user_migration),
            custom_email_sender: listed(&self.custom_email_sender),
            custom_sms_sender: listed(&self.custom_sms_sender),
            kms_key_id: self.kms_key_id.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.each().next().is_none()
    }

    /// Each trigger with its function and what becomes of it: invoked when `invocable` lists it,
    /// in-process when it is one of `own` (this stack's functions), else refused.
    pub fn dispositions<'a>(
        &'a self,
        invocable: &'a [String],
        own: &'a [String],
    ) -> impl Iterator<Item = (&'static str, &'a str, Disposition)> + 'a {
        self.each().map(|(trigger, function)| {
            let disposition = if listed_in(function, invocable) {
                Disposition::Invoked
            } else if listed_in(function, own) {
                Disposition::InProcess
            } else {
                Disposition::Refused
            };
            (trigger, function, disposition)
        })
    }

    /// The pool's custom sender function for `medium`.
    pub fn custom_sender(&self, medium: super::delivery::DeliveryMedium) -> Option<&str> {
        match medium {
            super::delivery::DeliveryMedium::Email => self.custom_email_sender.as_deref(),
            super::delivery::DeliveryMedium::Sms => self.custom_sms_sender.as_deref(),
        }
    }

    /// Each trigger with its function: `("CustomMessage", arn)`.
    pub fn each(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("CustomMessage", self.custom_message.as_deref()),
            ("UserMigration", self.user_migration.as_deref()),
            ("CustomEmailSender", self.custom_email_sender.as_deref()),
            ("CustomSMSSender", self.custom_sms_sender.as_deref()),
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
            ..TriggerFunctions::default()
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

    #[test]
    fn a_trigger_neither_listed_nor_ours_is_refused() {
        let pool = TriggerFunctions {
            custom_message: Some("arn:aws:lambda:us-east-1:1:function:team-message".into()),
            user_migration: Some("arn:aws:lambda:us-east-1:1:function:stack-UserMigration".into()),
            custom_email_sender: Some("arn:aws:lambda:us-east-1:1:function:team-sender".into()),
            custom_sms_sender: None,
            kms_key_id: None,
        };
        let invocable = ["team-message".to_string()];
        let own = ["stack-UserMigration".to_string()];
        let got: Vec<_> = pool.dispositions(&invocable, &own).collect();
        assert_eq!(
            got,
            [
                (
                    "CustomMessage",
                    "arn:aws:lambda:us-east-1:1:function:team-message",
                    Disposition::Invoked
                ),
                (
                    "UserMigration",
                    "arn:aws:lambda:us-east-1:1:function:stack-UserMigration",
                    Disposition::InProcess
                ),
                (
                    "CustomEmailSender",
                    "arn:aws:lambda:us-east-1:1:function:team-sender",
                    Disposition::Refused
                ),
            ]
        );
    }

    #[test]
    fn a_pools_custom_senders_are_invoked_only_when_listed_with_their_key_kept() {
        use crate::domain::delivery::DeliveryMedium;
        let pool = TriggerFunctions {
            custom_email_sender: Some("arn:aws:lambda:us-east-1:1:function:team-mail".into()),
            custom_sms_sender: Some("arn:aws:lambda:us-east-1:1:function:team-sms".into()),
            kms_key_id: Some("arn:aws:kms:us-east-1:1:key/k".into()),
            ..TriggerFunctions::default()
        };
        let chosen = pool.among(&["team-mail".into()]);
        assert_eq!(
            chosen.custom_sender(DeliveryMedium::Email),
            Some("arn:aws:lambda:us-east-1:1:function:team-mail")
        );
        assert_eq!(chosen.custom_sender(DeliveryMedium::Sms), None);
        assert_eq!(chosen.kms_key_id, pool.kms_key_id);
        assert_eq!(
            pool.each().map(|(t, _)| t).collect::<Vec<_>>(),
            ["CustomEmailSender", "CustomSMSSender"]
        );
        assert!(pool.among(&[]).is_empty());
    }
}
