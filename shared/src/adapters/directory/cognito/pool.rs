//! DescribeUserPool, read once per container: the settings that decide how a login is looked up
//! and which defaults the composition root takes from the pool.

use aws_sdk_cognitoidentityprovider::types::{
    AccountRecoverySettingType, PasswordPolicyType, RecoveryOptionNameType, UserPoolType,
};

use crate::domain::password::PasswordPolicy;
use crate::domain::pool::TriggerFunctions;
use crate::domain::recovery::{AccountRecovery, MechanismName, RecoveryMechanism};

use crate::adapters::aws_errors::COGNITO;

/// What the pool says about itself. Names are Cognito's (`email`, `phone_number`,
/// `preferred_username`; `OFF` / `ON` / `OPTIONAL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolDescription {
    pub user_pool_id: String,
    /// `UsernameConfiguration.CaseSensitive`; a pool without the setting is case sensitive (the
    /// API's behaviour before the setting existed).
    pub case_sensitive: bool,
    /// `UsernameAttributes`: what users sign up with instead of a username.
    pub username_attributes: Vec<String>,
    /// `AliasAttributes`: what users may sign in with besides their username.
    pub alias_attributes: Vec<String>,
    pub password_policy: Option<PasswordPolicy>,
    /// `AccountRecoverySetting`; `None` when the pool has none (Cognito's legacy order applies).
    pub recovery: Option<AccountRecovery>,
    pub mfa_configuration: Option<String>,
    /// `LambdaConfig`: the functions of the triggers Cognito calls on ForgotPassword.
    pub triggers: TriggerFunctions,
}

impl PoolDescription {
    pub(super) fn from_pool(
        user_pool_id: &str,
        pool: &UserPoolType,
    ) -> Result<Self, crate::ports::StoreError> {
        let recovery = match &pool.account_recovery_setting {
            Some(setting) => account_recovery(setting).map_err(|problem| {
                tracing::error!(%problem, "the pool's AccountRecoverySetting");
                COGNITO.malformed(user_pool_id, "DescribeUserPool", "AccountRecoverySetting")
            })?,
            None => None,
        };
        Ok(Self {
            user_pool_id: user_pool_id.to_string(),
            case_sensitive: pool
                .username_configuration
                .as_ref()
                .is_none_or(|c| c.case_sensitive),
            username_attributes: pool
                .username_attributes()
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
            alias_attributes: pool
                .alias_attributes()
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
            password_policy: pool
                .policies
                .as_ref()
                .and_then(|p| p.password_policy.as_ref())
                .map(password_policy),
            recovery,
            mfa_configuration: pool
                .mfa_configuration
                .as_ref()
                .map(|m| m.as_str().to_string()),
            triggers: pool
                .lambda_config
                .as_ref()
                .map(|l| TriggerFunctions {
                    custom_message: l.custom_message.clone(),
                    user_migration: l.user_migration.clone(),
                    custom_email_sender: l
                        .custom_email_sender
                        .as_ref()
                        .map(|s| s.lambda_arn.clone()),
                    custom_sms_sender: l.custom_sms_sender.as_ref().map(|s| s.lambda_arn.clone()),
                    kms_key_id: l.kms_key_id.clone(),
                })
                .unwrap_or_default(),
        })
    }

    /// The login as the pool compares it (`domain::login::normalize`), for callers that pass a
    /// login as typed: the migration's read-back by the source's username, the trigger, tests.
    pub(super) fn normalize(&self, login: &str) -> String {
        crate::domain::login::normalize(login, self.case_sensitive)
    }

    pub(super) fn is_alias(&self, attribute: &str) -> bool {
        self.alias_attributes.iter().any(|a| a == attribute)
    }

    pub(super) fn is_username_attribute(&self, attribute: &str) -> bool {
        self.username_attributes.iter().any(|a| a == attribute)
    }
}

/// Cognito's PasswordPolicyType as the domain's policy (MinimumLength 6-99, default 8).
pub fn password_policy(p: &PasswordPolicyType) -> PasswordPolicy {
    let minimum_length = p
        .minimum_length
        .and_then(|n| u8::try_from(n.clamp(6, 99)).ok())
        .unwrap_or(8);
    PasswordPolicy {
        minimum_length,
        require_uppercase: p.require_uppercase,
        require_lowercase: p.require_lowercase,
        require_numbers: p.require_numbers,
        require_symbols: p.require_symbols,
    }
}

/// Cognito's AccountRecoverySetting as the domain's, with the domain's validation; `None` for an
/// empty list (no setting).
pub fn account_recovery(
    setting: &AccountRecoverySettingType,
) -> Result<Option<AccountRecovery>, String> {
    let mut list = Vec::new();
    for option in setting.recovery_mechanisms() {
        let name = match option.name() {
            RecoveryOptionNameType::VerifiedEmail => MechanismName::VerifiedEmail,
            RecoveryOptionNameType::VerifiedPhoneNumber => MechanismName::VerifiedPhoneNumber,
            RecoveryOptionNameType::AdminOnly => MechanismName::AdminOnly,
            other => return Err(format!("unknown recovery mechanism {}", other.as_str())),
        };
        let priority = u8::try_from(option.priority())
            .map_err(|_| format!("recovery priority {} out of range", option.priority()))?;
        list.push(RecoveryMechanism { name, priority });
    }
    if list.is_empty() {
        return Ok(None);
    }
    AccountRecovery::from_mechanisms(&list).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::delivery::DeliveryMedium;
    use aws_sdk_cognitoidentityprovider::types::RecoveryOptionType;

    fn option(name: RecoveryOptionNameType, priority: i32) -> RecoveryOptionType {
        RecoveryOptionType::builder()
            .name(name)
            .priority(priority)
            .build()
            .unwrap()
    }

    #[test]
    fn recovery_setting_in_priority_order() {
        let setting = AccountRecoverySettingType::builder()
            .recovery_mechanisms(option(RecoveryOptionNameType::VerifiedPhoneNumber, 2))
            .recovery_mechanisms(option(RecoveryOptionNameType::VerifiedEmail, 1))
            .build();
        assert_eq!(
            account_recovery(&setting).unwrap(),
            Some(AccountRecovery::Ordered(vec![
                DeliveryMedium::Email,
                DeliveryMedium::Sms
            ]))
        );
        let admin = AccountRecoverySettingType::builder()
            .recovery_mechanisms(option(RecoveryOptionNameType::AdminOnly, 1))
            .build();
        assert_eq!(
            account_recovery(&admin).unwrap(),
            Some(AccountRecovery::AdminOnly)
        );
        let empty = AccountRecoverySettingType::builder().build();
        assert_eq!(account_recovery(&empty).unwrap(), None);
        let bad = AccountRecoverySettingType::builder()
            .recovery_mechanisms(option(RecoveryOptionNameType::from("verified_pigeon"), 1))
            .build();
        assert!(account_recovery(&bad).is_err());
    }

    #[test]
    fn password_policy_defaults_and_clamps() {
        let p = PasswordPolicyType::builder()
            .require_uppercase(true)
            .require_numbers(true)
            .build();
        let got = password_policy(&p);
        assert_eq!(got.minimum_length, 8);
        assert!(got.require_uppercase && got.require_numbers);
        assert!(!got.require_lowercase && !got.require_symbols);
        let long = PasswordPolicyType::builder().minimum_length(300).build();
        assert_eq!(password_policy(&long).minimum_length, 99);
    }
}
