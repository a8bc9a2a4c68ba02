//! `TriggerInvoker` on the Lambda Invoke API (`RequestResponse`): the event as the payload, the
//! function's JSON back; a function error (`X-Amz-Function-Error`) is the function's own failure
//! with its `errorMessage`. The SDK's own retries are off: Cognito's attempts are the use case's.

use async_trait::async_trait;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::Value;

use crate::domain::pool::function_name;
use crate::ports::{InvokeError, TriggerInvoker};

pub struct LambdaInvoker {
    client: aws_sdk_lambda::Client,
}

impl LambdaInvoker {
    pub fn new(client: aws_sdk_lambda::Client) -> Self {
        let config = client
            .config()
            .to_builder()
            .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
            .build();
        Self {
            client: aws_sdk_lambda::Client::from_conf(config),
        }
    }
}

#[async_trait]
impl TriggerInvoker for LambdaInvoker {
    async fn invoke(&self, function: &str, event: &Value) -> Result<Value, InvokeError> {
        let payload = serde_json::to_vec(event).map_err(|_| InvokeError::Unreadable)?;
        let answer = self
            .client
            .invoke()
            .function_name(function)
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(payload))
            .send()
            .await;
        let output = match answer {
            Ok(output) => output,
            Err(e) => {
                let code = e.code().unwrap_or("ServiceException").to_string();
                tracing::warn!(function = function_name(function), error = %code,
                    "Lambda Invoke failed");
                return Err(InvokeError::NotRun(code));
            }
        };
        let body = output.payload.map(Blob::into_inner).unwrap_or_default();
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        if output.function_error.is_some() {
            let message = json
                .as_ref()
                .and_then(|j| j.get("errorMessage"))
                .and_then(Value::as_str)
                .unwrap_or("Unhandled")
                .to_string();
            return Err(InvokeError::Function(message));
        }
        json.ok_or(InvokeError::Unreadable)
    }
}
