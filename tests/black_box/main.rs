//! The runner, the Lambda entry point and the DynamoDB store from outside: the `aws` CLI against the
//! runner's binary, HTTP API events through the entry point, the library on moto. One test binary
//! (each suite a module), so the AWS SDKs are linked once for all of them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The runner's AWS modes need its `aws` feature (CI builds with --all-features).
#[cfg(feature = "aws")]
mod cli_cognito;
mod cli_cors;
#[cfg(feature = "aws")]
mod cli_delivery;
#[cfg(feature = "aws")]
mod cli_dynamodb;
mod cli_errors;
mod cli_flow;
mod cli_migration;
mod dynamodb_store;
mod events_contract;
mod lambda_http;
mod logs;
