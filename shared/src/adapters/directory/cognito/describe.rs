//! The pool's description at a container's start, spending the account's UserPoolRead quota (15
//! requests a second for every pool of the account, not raisable) as little as possible: the
//! description another container shared (`SharedTable`) when it is younger than `FRESH`; else one
//! DescribeUserPool, shared for the others once answered. A throttled or failed describe is
//! retried with full jitter within `INIT_BUDGET` (Lambda gives an init 10 s), the shared item read
//! again before each retry, since another container may have answered meanwhile; a stale shared
//! item is the answer at hand as soon as Cognito throttles. Only with no answer at all, when the
//! budget is spent, does the start fail.

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::SdkError;
use aws_sdk_cognitoidentityprovider::types::{
    AccountRecoverySettingType, AliasAttributeType, LambdaConfigType, PasswordPolicyType,
    RecoveryOptionNameType, RecoveryOptionType, UserPoolMfaType, UserPoolPolicyType, UserPoolType,
    UsernameAttributeType, UsernameConfigurationType,
};
use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::pool::PoolDescription;
use super::shared_table::{SharedFact, SharedTable};
use crate::adapters::aws_errors::COGNITO;
use crate::ports::StoreError;

/// A shared description younger than this is taken without asking Cognito: a pool's settings
/// (aliases, policy, recovery) changed in the console reach new containers within it.
pub const FRESH: Duration = Duration::from_secs(300);
/// The whole start's share of Lambda's 10 s init for describing the pool, retries included.
const INIT_BUDGET: Duration = Duration::from_secs(6);
/// No attempt is started with less than this left of the budget.
const MIN_ATTEMPT: Duration = Duration::from_millis(250);
/// One DescribeUserPool attempt at most (never retried by the SDK: the loop below is the retry).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// Full jitter: each pause is uniform in [0, min(CAP, BASE * 2^n)].
const BASE: Duration = Duration::from_millis(100);
const CAP: Duration = Duration::from_millis(1600);

/// The shared item's name for the pool.
fn fact_name(pool_id: &str) -> String {
    format!("{pool_id}#description")
}

/// The description of `pool_id`, from what the containers share or from Cognito.
pub(super) async fn describe(
    client: &Client,
    pool_id: &str,
    shared: Option<&SharedTable>,
) -> Result<PoolDescription, StoreError> {
    let start = tokio::time::Instant::now();
    let deadline = start + INIT_BUDGET;
    let name = fact_name(pool_id);
    let mut rng = crate::request_rng();
    let mut stale: Option<PoolDescription> = None;
    for attempt in 0u32.. {
        if let Some(table) = shared
            && let Some(fact) = table.read(&name).await
        {
            match from_shared(pool_id, &fact) {
                Some(description) if fact.age < FRESH => {
                    tracing::info!(pool = %pool_id, age_s = fact.age.as_secs(),
                        "user pool description shared by another container");
                    return Ok(description);
                }
                Some(description) => stale = Some(description),
                None => tracing::warn!("the shared pool description is unreadable; ignored"),
            }
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left < MIN_ATTEMPT {
            break;
        }
        let sent = client
            .describe_user_pool()
            .user_pool_id(pool_id)
            .customize()
            .config_override(super::directory::one_attempt(ATTEMPT_TIMEOUT.min(left)))
            .send()
            .await;
        let failure = match sent {
            Ok(out) => {
                let Some(pool) = out.user_pool() else {
                    return Err(COGNITO.malformed(pool_id, "DescribeUserPool", "UserPool"));
                };
                let description = PoolDescription::from_pool(pool_id, pool)?;
                if let Some(table) = shared
                    && let Ok(json) = serde_json::to_string(&SharedPool::from(pool))
                {
                    table.write(&name, json).await;
                }
                return Ok(description);
            }
            Err(e) if !retryable(&e) => {
                return Err(COGNITO.store_error("DescribeUserPool", pool_id, e));
            }
            Err(e) => COGNITO.store_error("DescribeUserPool", pool_id, e),
        };
        if let Some(description) = stale.take() {
            tracing::warn!(pool = %pool_id, error = %failure,
                "DescribeUserPool failed; the stale shared description serves");
            return Ok(description);
        }
        let pause = BASE
            .saturating_mul(1 << attempt.min(10))
            .min(CAP)
            .mul_f64(rng.random_range(0.0..1.0));
        if tokio::time::Instant::now() + pause + MIN_ATTEMPT >= deadline {
            tracing::error!(pool = %pool_id, error = %failure, attempts = attempt + 1,
                "DescribeUserPool gave no answer within the start's budget");
            return Err(failure);
        }
        tracing::warn!(pool = %pool_id, error = %failure, "DescribeUserPool failed; retrying");
        tokio::time::sleep(pause).await;
    }
    tracing::error!(pool = %pool_id, "DescribeUserPool gave no answer within the start's budget");
    Err(StoreError::Unavailable(format!(
        "DescribeUserPool on {pool_id}: no answer within {} s",
        INIT_BUDGET.as_secs()
    )))
}

/// Worth another try: a throttle, a 5xx, a timeout or a lost connection; not a refusal (no such
/// pool, no permission), which another try would only repeat.
pub(super) fn retryable<E, R>(e: &SdkError<E, R>) -> bool
where
    SdkError<E, R>: aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata,
{
    use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
    match e {
        SdkError::ServiceError(_) => {
            COGNITO.is_throttling(e.code())
                || matches!(e.code(), Some("InternalErrorException" | "InternalError"))
        }
        SdkError::ConstructionFailure(_) => false,
        _ => true,
    }
}

fn from_shared(pool_id: &str, fact: &SharedFact) -> Option<PoolDescription> {
    let shared: SharedPool = serde_json::from_str(&fact.json).ok()?;
    let pool = shared.into_pool()?;
    PoolDescription::from_pool(pool_id, &pool).ok()
}

/// The part of DescribeUserPool's `UserPool` that `PoolDescription::from_pool` reads, in
/// Cognito's own names: the shared item is parsed by the same code as Cognito's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SharedPool {
    case_sensitive: Option<bool>,
    username_attributes: Vec<String>,
    alias_attributes: Vec<String>,
    password_policy: Option<SharedPolicy>,
    /// `None`: the pool has no AccountRecoverySetting.
    recovery_mechanisms: Option<Vec<(String, i32)>>,
    mfa_configuration: Option<String>,
    custom_message: Option<String>,
    user_migration: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SharedPolicy {
    minimum_length: Option<i32>,
    require_uppercase: bool,
    require_lowercase: bool,
    require_numbers: bool,
    require_symbols: bool,
}

impl From<&UserPoolType> for SharedPool {
    fn from(pool: &UserPoolType) -> Self {
        Self {
            case_sensitive: pool
                .username_configuration
                .as_ref()
                .map(|c| c.case_sensitive),
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
                .map(|p| SharedPolicy {
                    minimum_length: p.minimum_length,
                    require_uppercase: p.require_uppercase,
                    require_lowercase: p.require_lowercase,
                    require_numbers: p.require_numbers,
                    require_symbols: p.require_symbols,
                }),
            recovery_mechanisms: pool.account_recovery_setting.as_ref().map(|s| {
                s.recovery_mechanisms()
                    .iter()
                    .map(|m| (m.name().as_str().to_string(), m.priority()))
                    .collect()
            }),
            mfa_configuration: pool
                .mfa_configuration
                .as_ref()
                .map(|m| m.as_str().to_string()),
            custom_message: pool
                .lambda_config
                .as_ref()
                .and_then(|l| l.custom_message.clone()),
            user_migration: pool
                .lambda_config
                .as_ref()
                .and_then(|l| l.user_migration.clone()),
        }
    }
}

impl SharedPool {
    fn into_pool(self) -> Option<UserPoolType> {
        let mut pool = UserPoolType::builder()
            .set_username_attributes(Some(
                self.username_attributes
                    .iter()
                    .map(|a| UsernameAttributeType::from(a.as_str()))
                    .collect(),
            ))
            .set_alias_attributes(Some(
                self.alias_attributes
                    .iter()
                    .map(|a| AliasAttributeType::from(a.as_str()))
                    .collect(),
            ))
            .set_mfa_configuration(self.mfa_configuration.as_deref().map(UserPoolMfaType::from));
        if let Some(sensitive) = self.case_sensitive {
            pool = pool.username_configuration(
                UsernameConfigurationType::builder()
                    .case_sensitive(sensitive)
                    .build()
                    .ok()?,
            );
        }
        if let Some(p) = self.password_policy {
            pool = pool.policies(
                UserPoolPolicyType::builder()
                    .password_policy(
                        PasswordPolicyType::builder()
                            .set_minimum_length(p.minimum_length)
                            .require_uppercase(p.require_uppercase)
                            .require_lowercase(p.require_lowercase)
                            .require_numbers(p.require_numbers)
                            .require_symbols(p.require_symbols)
                            .build(),
                    )
                    .build(),
            );
        }
        if let Some(mechanisms) = self.recovery_mechanisms {
            let mut setting = AccountRecoverySettingType::builder();
            for (name, priority) in mechanisms {
                setting = setting.recovery_mechanisms(
                    RecoveryOptionType::builder()
                        .name(RecoveryOptionNameType::from(name.as_str()))
                        .priority(priority)
                        .build()
                        .ok()?,
                );
            }
            pool = pool.account_recovery_setting(setting.build());
        }
        if self.custom_message.is_some() || self.user_migration.is_some() {
            pool = pool.lambda_config(
                LambdaConfigType::builder()
                    .set_custom_message(self.custom_message)
                    .set_user_migration(self.user_migration)
                    .build(),
            );
        }
        Some(pool.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_survives_the_shared_item() {
        let pool = UserPoolType::builder()
            .username_configuration(
                UsernameConfigurationType::builder()
                    .case_sensitive(false)
                    .build()
                    .unwrap(),
            )
            .alias_attributes(AliasAttributeType::Email)
            .alias_attributes(AliasAttributeType::PhoneNumber)
            .policies(
                UserPoolPolicyType::builder()
                    .password_policy(
                        PasswordPolicyType::builder()
                            .minimum_length(12)
                            .require_symbols(true)
                            .build(),
                    )
                    .build(),
            )
            .account_recovery_setting(
                AccountRecoverySettingType::builder()
                    .recovery_mechanisms(
                        RecoveryOptionType::builder()
                            .name(RecoveryOptionNameType::VerifiedPhoneNumber)
                            .priority(1)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .mfa_configuration(UserPoolMfaType::Optional)
            .lambda_config(
                LambdaConfigType::builder()
                    .custom_message("arn:aws:lambda:us-east-1:1:function:m")
                    .build(),
            )
            .build();
        let direct = PoolDescription::from_pool("us-east-1_x", &pool).unwrap();
        let json = serde_json::to_string(&SharedPool::from(&pool)).unwrap();
        let fact = SharedFact {
            json,
            age: Duration::ZERO,
        };
        assert_eq!(from_shared("us-east-1_x", &fact), Some(direct));
        let bare = UserPoolType::builder().build();
        let json = serde_json::to_string(&SharedPool::from(&bare)).unwrap();
        let fact = SharedFact {
            json,
            age: Duration::ZERO,
        };
        assert_eq!(
            from_shared("p", &fact),
            Some(PoolDescription::from_pool("p", &bare).unwrap())
        );
        let garbage = SharedFact {
            json: "{".into(),
            age: Duration::ZERO,
        };
        assert_eq!(from_shared("p", &garbage), None);
    }
}
