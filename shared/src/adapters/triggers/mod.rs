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
        Ok(Some(PoolTriggers {
            custom_message: invoked.custom_message,
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
