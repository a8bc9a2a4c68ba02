//! The library's suites: use cases on the embedded adapters, each AWS adapter on moto (and the fake
//! SMS v2 server), the Lambda entry point, the decoders under fuzzing. One test binary (each suite a
//! module), so the AWS SDKs are linked once; `code_keys_secret` stays apart because it sets the
//! process environment.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cognito_directory;
mod delivered_codes;
mod dynamodb_faults;
mod esdk;
mod fuzz;
mod lambda_events;
mod migration;
mod migration_source_dynamodb;
mod nist_rules;
#[cfg(all(feature = "lambda-invoke", feature = "kms"))]
mod pool_senders;
#[cfg(feature = "lambda-invoke")]
mod pool_triggers;
#[cfg(feature = "lambda-invoke")]
mod pool_user_migration;
mod pwned_passwords;
mod ses_delivery;
mod sms_delivery;
mod stuck_users;
mod tells;
mod usecases;
