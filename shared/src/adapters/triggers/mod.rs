//! The user pool's trigger functions (`TriggerInvoker`): the Lambda Invoke API, for the pool's
//! triggers the deployment lets this stack invoke (`POOL_TRIGGER_FUNCTIONS`). Every other trigger
//! runs in-process, and a pool with none to invoke builds nothing: no client, no call.

#[cfg(feature = "lambda-invoke")]
pub mod lambda;

use crate::aws_sdk::Aws;
use crate::config::{ConfigError, Wiring, env};
use crate::domain::pool::{TriggerFunctions, function_name};
use crate::usecases::pool_triggers::PoolTriggers;

/// The invoker of the pool's `triggers` that `wiring` lists; `None` when there is none to invoke.
/// Each trigger not listed is named in the log once, at start, as running in-process.
#[cfg_attr(not(feature = "lambda-invoke"), allow(unused_variables))]
pub fn build(
    triggers: &TriggerFunctions,
    wiring: &Wiring,
    aws: &Aws,
) -> Result<Option<PoolTriggers>, ConfigError> {
    let invoked = triggers.among(&wiring.pool_trigger_functions);
    for (trigger, function) in triggers.each() {
        let name = function_name(function);
        if invoked.each().any(|(t, _)| t == trigger) {
            tracing::info!(
                trigger,
                function = name,
                "the pool's trigger is invoked as Cognito would"
            );
        } else {
            tracing::info!(
                trigger,
                function = name,
                "the pool's trigger runs in-process (not in POOL_TRIGGER_FUNCTIONS)"
            );
        }
    }
    if invoked.is_empty() {
        return Ok(None);
    }
    #[cfg(feature = "lambda-invoke")]
    {
        let client = aws_sdk_lambda::Client::new(aws.config(env::POOL_TRIGGER_FUNCTIONS)?);
        let senders = pool_senders(&invoked, wiring.pool_sender_key_arn.as_deref(), aws)?;
        Ok(Some(PoolTriggers {
            custom_message: invoked.custom_message,
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
