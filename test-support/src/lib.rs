//! What the test suites of the workspace share, compiled once: the requests and recording senders
//! of the use-case suites, the fake SMS v2 server, moto's clients and the DynamoDB fixture, the SES
//! mailbox moto keeps, the arbitrary JSON of the fuzz suites and the black-box runner harness.
//!
//! Every helper fails the test that calls it (unwrap, panic) rather than returning an error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// A client config builder of the SDK `$sdk` at `$endpoint`: us-east-1, dummy credentials.
// Unused when no SDK feature is on.
#[allow(unused_macros)]
macro_rules! sdk_config {
    ($sdk:ident, $endpoint:expr) => {
        $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .region($sdk::config::Region::new("us-east-1"))
            .credentials_provider($sdk::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .endpoint_url($endpoint)
    };
}

pub mod arb_json;
pub mod cli;
#[cfg(feature = "cognito")]
pub mod cognito_pool;
pub mod delivery;
pub mod deployed;
#[cfg(feature = "dynamodb")]
pub mod dynamo;
pub mod fake_lambda;
pub mod fake_sms;
pub mod fault_proxy;
pub mod inbox;
pub mod logs;
mod loopback;
pub mod moto;
#[cfg(feature = "pwned-passwords")]
pub mod pwned;
pub mod requests;
#[cfg(feature = "cognito")]
pub mod runner_sdk;
pub mod service;
#[cfg(all(feature = "cognito", feature = "dynamodb", feature = "sqs"))]
pub mod storm;
mod unique;

pub use inbox::Inbox;
pub use requests::{CLIENT, Operations, PASSWORD, as_an_sdk_retries, confirm, forgot};
pub use unique::unique;
