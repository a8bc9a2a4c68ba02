//! The user pool's own trigger functions, called as Cognito calls them: the same event, a 5-second
//! limit with up to three attempts, the same checks of the answer and Cognito's errors when a
//! function fails, times out or answers something unusable. Only the functions the deployment lets
//! this stack invoke (`POOL_TRIGGER_FUNCTIONS`) are called; this stack's own functions
//! (`STACK_TRIGGER_FUNCTIONS`) run in-process, with no call added.

mod custom_message;
mod custom_sender;
mod user_migration;

pub(super) use custom_message::CustomMessageCall;
pub use custom_sender::PoolSenders;
pub(super) use custom_sender::{CustomSenderCall, PoolSender};
pub(super) use user_migration::UserMigrationCall;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::domain::error::CognitoError;
use crate::ports::{InvokeError, TriggerInvoker};

/// Cognito's wait for a trigger and its attempts at a call that timed out or was not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TriggerLimits {
    pub timeout: Duration,
    pub attempts: u32,
}

impl Default for TriggerLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            attempts: 3,
        }
    }
}

/// The pool's triggers this service invokes, and how.
#[derive(Clone)]
pub struct PoolTriggers {
    /// The pool's CustomMessage function, when it is one to invoke (not this stack's own).
    pub custom_message: Option<String>,
    /// The pool's UserMigration function, when it is one to invoke.
    pub user_migration: Option<String>,
    /// The pool's CustomEmailSender / CustomSMSSender, when one is to invoke.
    pub senders: Option<PoolSenders>,
    pub invoker: Arc<dyn TriggerInvoker>,
    pub limits: TriggerLimits,
}

/// Cognito's word for an answer it cannot read.
pub(super) const UNRECOGNIZABLE: &str = "Unrecognizable lambda output";
/// What Cognito sends as `callerContext.awsSdkVersion` when the caller's SDK is not known.
pub(super) const SDK_VERSION: &str = "aws-sdk-unknown-unknown";

impl PoolTriggers {
    /// One call of `function`, with Cognito's limit and attempts; its failure as Cognito words it.
    pub(super) async fn invoke(
        &self,
        trigger: &str,
        function: &str,
        event: &Value,
    ) -> Result<Value, CognitoError> {
        let attempts = self.limits.attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            match tokio::time::timeout(self.limits.timeout, self.invoker.invoke(function, event))
                .await
            {
                Ok(Ok(answer)) => return Ok(answer),
                Ok(Err(InvokeError::Function(message))) => {
                    tracing::warn!(trigger, "the pool's trigger function failed");
                    return Err(CognitoError::UserLambdaValidation {
                        trigger: trigger.into(),
                        message: message.trim_end_matches('.').to_string(),
                    });
                }
                Ok(Err(InvokeError::Unreadable)) => {
                    tracing::error!(trigger, "the pool's trigger function answered no JSON");
                    return Err(CognitoError::InvalidLambdaResponse(UNRECOGNIZABLE.into()));
                }
                Ok(Err(InvokeError::NotRun(name))) => {
                    tracing::warn!(trigger, attempt, error = %name, "the pool's trigger function was not run");
                    last = name;
                }
                Err(_) => {
                    tracing::warn!(trigger, attempt, "the pool's trigger function timed out");
                    last = "Socket timeout while invoking Lambda function".into();
                }
            }
        }
        Err(CognitoError::UnexpectedLambda(format!(
            "{trigger} invocation failed due to error {last}."
        )))
    }
}
