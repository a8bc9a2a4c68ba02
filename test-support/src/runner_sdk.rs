//! The local runner driven in-process by the AWS SDK's Cognito client: the calls of the black-box
//! suites whose point is the runner's answer, not the `aws` CLI (which costs a Python start a
//! call). The same requests the CLI sends (unsigned, one attempt), the same answers read back.

use std::sync::OnceLock;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::forgot_password::ForgotPasswordOutput;
use serde_json::{Map, Value, json};
use tokio::runtime::Runtime;

use crate::cli::{CLIENT, Runner};

/// One call's outcome, read as the CLI's is: the answer's JSON, or the error's name and message.
#[derive(Debug)]
pub struct Answer {
    pub ok: bool,
    body: Value,
    error: Option<(String, String)>,
    /// What an assertion prints: the error in full, or the answer.
    pub detail: String,
}

impl Answer {
    /// The JSON answer, with Cognito's (the CLI's) field names.
    pub fn json(&self) -> Value {
        assert!(self.ok, "expected an answer, got an error: {}", self.detail);
        self.body.clone()
    }

    /// The JSON answer of a call that must succeed.
    #[track_caller]
    pub fn ok_json(&self) -> Value {
        assert!(self.ok, "{}", self.detail);
        self.json()
    }

    /// The error name (`__type`): "NameException".
    #[track_caller]
    pub fn error(&self) -> String {
        let (name, _) = self
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("expected an error, got success: {}", self.detail));
        name.clone()
    }

    /// The error message.
    pub fn message(&self) -> String {
        self.error
            .as_ref()
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }

    fn from<T, E: ProvideErrorMetadata + std::error::Error + 'static>(
        result: Result<T, SdkError<E>>,
        body: impl FnOnce(&T) -> Value,
    ) -> Answer {
        match result {
            Ok(output) => {
                let body = body(&output);
                Answer {
                    ok: true,
                    detail: body.to_string(),
                    body,
                    error: None,
                }
            }
            Err(error) => {
                let detail = format!(
                    "{}",
                    aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(&error)
                );
                let code = error
                    .code()
                    .unwrap_or_else(|| panic!("no answer from the runner: {detail}"));
                Answer {
                    ok: false,
                    body: Value::Null,
                    error: Some((code.to_string(), error.message().unwrap_or("").to_string())),
                    detail,
                }
            }
        }
    }
}

/// ForgotPassword's answer as the service sends it (and the CLI prints it): absent fields left out.
fn delivery_json(output: &ForgotPasswordOutput) -> Value {
    let mut details = Map::new();
    if let Some(d) = output.code_delivery_details() {
        if let Some(v) = d.destination() {
            details.insert("Destination".into(), json!(v));
        }
        if let Some(v) = d.delivery_medium() {
            details.insert("DeliveryMedium".into(), json!(v.as_str()));
        }
        if let Some(v) = d.attribute_name() {
            details.insert("AttributeName".into(), json!(v));
        }
    }
    json!({ "CodeDeliveryDetails": details })
}

/// The runtime every suite's SDK calls run on: its thread outlives the tests' own.
fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    })
}

impl Runner {
    /// The SDK's Cognito client at this runner. No retry: one call is one request, as each
    /// counts against the runner's limits (the SDK would retry a LimitExceededException).
    fn sdk(&self) -> &Client {
        self.sdk_client.get_or_init(|| {
            Client::from_conf(
                sdk_config!(aws_sdk_cognitoidentityprovider, &self.endpoint)
                    .retry_config(RetryConfig::disabled())
                    .build(),
            )
        })
    }

    pub fn forgot(&self, username: &str) -> Answer {
        self.forgot_as(CLIENT, username, None)
    }

    /// ForgotPassword, unsigned (the operation needs no credentials).
    pub fn forgot_as(&self, client: &str, username: &str, secret_hash: Option<&str>) -> Answer {
        let call = self
            .sdk()
            .forgot_password()
            .client_id(client)
            .username(username)
            .set_secret_hash(secret_hash.map(str::to_string))
            .send();
        Answer::from(block_on(call), delivery_json)
    }

    pub fn confirm(&self, username: &str, code: &str, password: &str) -> Answer {
        self.confirm_as(CLIENT, username, code, password, None)
    }

    /// ConfirmForgotPassword, unsigned; its answer is empty.
    pub fn confirm_as(
        &self,
        client: &str,
        username: &str,
        code: &str,
        password: &str,
        secret_hash: Option<&str>,
    ) -> Answer {
        let call = self
            .sdk()
            .confirm_forgot_password()
            .client_id(client)
            .username(username)
            .confirmation_code(code)
            .password(password)
            .set_secret_hash(secret_hash.map(str::to_string))
            .send();
        Answer::from(block_on(call), |_| json!({}))
    }
}

/// `future` run to its end on the suites' runtime, from a test's own thread.
pub fn block_on<F: Future>(future: F) -> F::Output {
    runtime().block_on(future)
}
