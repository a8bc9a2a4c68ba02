//! The user pool's trigger functions (`TriggerInvoker`): the Lambda Invoke API, for the pool's
//! triggers the deployment lets this stack invoke (`POOL_TRIGGER_FUNCTIONS`). This stack's own
//! functions (`STACK_TRIGGER_FUNCTIONS`) run in-process; a pool with none to invoke builds nothing:
//! no client, no call. A trigger that is neither fails the start, so no user meets it.

#[cfg(feature = "lambda-invoke")]
pub mod lambda;

use crate::aws_sdk::Aws;
use crate::config::{ConfigError, Wiring, env};
use crate::domain::operation::Operation;
use crate::domain::pool::{Disposition, TriggerFunctions, function_name};
use crate::usecases::pool_triggers::PoolTriggers;

/// The invoker of the pool's `triggers` that `wiring` lists, for a process that serves
/// ForgotPassword (Cognito calls no trigger of these on ConfirmForgotPassword); `None` when there
/// is none to invoke. Each trigger is named in the log once, at start, with what becomes of it.
#[cfg_attr(not(feature = "lambda-invoke"), allow(unused_variables))]
pub fn build(
    triggers: &TriggerFunctions,
    wiring: &Wiring,
    serves: &[Operation],
    aws: &Aws,
) -> Result<Option<PoolTriggers>, ConfigError> {
    if !serves.contains(&Operation::ForgotPassword) {
        return Ok(None);
    }
    refuse_unknown(triggers, wiring)?;
    let invoked = triggers.among(&wiring.pool_trigger_functions);
    if invoked.is_empty() {
        return Ok(None);
    }
    #[cfg(feature = "lambda-invoke")]
    {
        let client = aws_sdk_lambda::Client::new(aws.config(env::POOL_TRIGGER_FUNCTIONS)?);
        let senders = pool_senders(&invoked, wiring.pool_sender_key_arn.as_deref(), aws)?;
        Ok(Some(PoolTriggers {
            custom_message: invoked.custom_message,
            user_migration: invoked.user_migration,
            senders,
            invoker: std::sync::Arc::new(lambda::LambdaInvoker::new(client)),
            limits: crate::usecases::pool_triggers::TriggerLimits::default(),
        }))
    }
    #[cfg(not(feature = "lambda-invoke"))]
    Err(ConfigError::new(
        env::POOL_TRIGGER_FUNCTIONS,
        "this build cannot invoke the pool's trigger functions (cargo feature lambda-invoke)",
    ))
}

/// Each trigger logged with its disposition; the first one this stack may neither invoke nor run
/// as its own is the start's error, naming the trigger, the function and the setting to give.
fn refuse_unknown(triggers: &TriggerFunctions, wiring: &Wiring) -> Result<(), ConfigError> {
    let own = &wiring.stack_trigger_functions;
    for (trigger, function, disposition) in
        triggers.dispositions(&wiring.pool_trigger_functions, own)
    {
        let name = function_name(function);
        match disposition {
            Disposition::Invoked | Disposition::InProcess => {
                tracing::info!(
                    trigger,
                    function = name,
                    "the pool's trigger: {}",
                    disposition.as_str()
                );
            }
            Disposition::Refused => {
                return Err(ConfigError::new(
                    env::POOL_TRIGGER_FUNCTIONS,
                    format!(
                        "the user pool's {trigger} trigger is {function}, which this stack may not invoke and is not its own: add it to POOL_TRIGGER_FUNCTIONS (template parameter PoolTriggerFunctionArns) so it is invoked as Cognito would, or detach it from the pool"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The key the pool's invoked custom senders' codes are encrypted under: the pool's `KMSKeyID`,
/// which must be the one the deployment lets this stack use (`POOL_SENDER_KEY_ARN`); `None` when
/// no custom sender is invoked. A mismatch is refused at start, never found by a user.
pub fn sender_key<'a>(
    invoked: &'a TriggerFunctions,
    allowed: Option<&str>,
) -> Result<Option<&'a str>, ConfigError> {
    if invoked.custom_email_sender.is_none() && invoked.custom_sms_sender.is_none() {
        return Ok(None);
    }
    let Some(key) = invoked.kms_key_id.as_deref() else {
        return Err(ConfigError::new(
            env::POOL_TRIGGER_FUNCTIONS,
            "the pool has a custom sender but no KMSKeyID to encrypt its codes under",
        ));
    };
    match allowed {
        Some(allowed) if allowed == key => Ok(Some(key)),
        Some(other) => Err(ConfigError::new(
            env::POOL_SENDER_KEY_ARN,
            format!(
                "{other} is not the pool's KMSKeyID {key}, which its custom senders' codes are encrypted under"
            ),
        )),
        None => Err(ConfigError::new(
            env::POOL_SENDER_KEY_ARN,
            format!(
                "not set: the pool's custom senders' codes are encrypted under its KMSKeyID {key} (the template's PoolSenderKeyArn)"
            ),
        )),
    }
}

/// The pool's invoked custom senders, their codes encrypted under its key (KMS from `aws`).
#[cfg(feature = "lambda-invoke")]
#[cfg_attr(not(feature = "kms"), allow(unused_variables))]
fn pool_senders(
    invoked: &TriggerFunctions,
    allowed: Option<&str>,
    aws: &Aws,
) -> Result<Option<crate::usecases::pool_triggers::PoolSenders>, ConfigError> {
    let Some(key) = sender_key(invoked, allowed)? else {
        return Ok(None);
    };
    #[cfg(feature = "kms")]
    {
        let kms = aws_sdk_kms::Client::new(aws.config(env::POOL_SENDER_KEY_ARN)?);
        Ok(Some(pool_senders_on(invoked, key, kms)))
    }
    #[cfg(not(feature = "kms"))]
    Err(ConfigError::new(
        env::POOL_SENDER_KEY_ARN,
        format!(
            "this build cannot encrypt the pool's custom sender codes under {key} (cargo feature kms)"
        ),
    ))
}

/// The pool's invoked custom senders on `kms`, their codes encrypted under `key`.
#[cfg(feature = "kms")]
pub fn pool_senders_on(
    invoked: &TriggerFunctions,
    key: &str,
    kms: aws_sdk_kms::Client,
) -> crate::usecases::pool_triggers::PoolSenders {
    use crate::adapters::esdk::{CodeEncryptor, KmsKeyring};
    crate::usecases::pool_triggers::PoolSenders {
        email: invoked.custom_email_sender.clone(),
        sms: invoked.custom_sms_sender.clone(),
        encryption: std::sync::Arc::new(CodeEncryptor {
            keys: KmsKeyring::new(kms, key),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEAM: &str = "arn:aws:lambda:us-east-1:123456789012:function:team-message";
    const OURS: &str =
        "arn:aws:lambda:us-east-1:123456789012:function:stack-CustomMessageFunction-1";

    #[tokio::test]
    async fn a_trigger_neither_listed_nor_ours_stops_the_start_naming_it() {
        let aws = Aws::load(false).await;
        let triggers = TriggerFunctions {
            custom_message: Some(TEAM.into()),
            ..TriggerFunctions::default()
        };
        let refused = build(
            &triggers,
            &Wiring::default(),
            &[Operation::ForgotPassword],
            &aws,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(refused.contains("POOL_TRIGGER_FUNCTIONS"), "{refused}");
        assert!(refused.contains("CustomMessage trigger is"), "{refused}");
        assert!(refused.contains(TEAM), "{refused}");
        assert!(refused.contains("PoolTriggerFunctionArns"), "{refused}");
        // Confirm calls none of them: it starts.
        assert!(matches!(
            build(
                &triggers,
                &Wiring::default(),
                &[Operation::ConfirmForgotPassword],
                &aws
            ),
            Ok(None)
        ));
        // The stack's own function runs in-process: nothing to invoke, no client.
        let own = TriggerFunctions {
            custom_message: Some(OURS.into()),
            ..TriggerFunctions::default()
        };
        let wiring = Wiring {
            stack_trigger_functions: vec!["stack-CustomMessageFunction-1".into()],
            ..Wiring::default()
        };
        assert!(matches!(
            build(&own, &wiring, &[Operation::ForgotPassword], &aws),
            Ok(None)
        ));
        // A custom sender is on the path too.
        let sender = TriggerFunctions {
            custom_sms_sender: Some(TEAM.into()),
            ..TriggerFunctions::default()
        };
        let refused = build(&sender, &wiring, &[Operation::ForgotPassword], &aws)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(refused.contains("CustomSMSSender trigger is"), "{refused}");
    }

    #[test]
    fn a_custom_sender_needs_the_pools_own_key_allowed() {
        let key = "arn:aws:kms:us-east-1:123456789012:key/pool";
        let pool = TriggerFunctions {
            custom_sms_sender: Some("arn:aws:lambda:us-east-1:123456789012:function:sms".into()),
            kms_key_id: Some(key.into()),
            ..TriggerFunctions::default()
        };
        assert_eq!(sender_key(&pool, Some(key)).unwrap(), Some(key));
        let other = sender_key(&pool, Some("arn:aws:kms:us-east-1:123456789012:key/other"));
        assert_eq!(other.unwrap_err().setting, env::POOL_SENDER_KEY_ARN);
        assert_eq!(
            sender_key(&pool, None).unwrap_err().setting,
            env::POOL_SENDER_KEY_ARN
        );
        let keyless = TriggerFunctions {
            kms_key_id: None,
            ..pool.clone()
        };
        assert_eq!(
            sender_key(&keyless, Some(key)).unwrap_err().setting,
            env::POOL_TRIGGER_FUNCTIONS
        );
        assert_eq!(
            sender_key(&TriggerFunctions::default(), None).unwrap(),
            None
        );
    }
}
