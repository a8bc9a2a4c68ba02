//! The most each dependency may log, whatever `LogLevel`, `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`
//! ask for: every subscriber of the workspace (the functions' `lambda_log`, the local runner)
//! applies these as a filter of its own, after the level settings, so no setting can lift them.
//!
//! - lambda_runtime logs every raw event at TRACE (target `lambda_runtime::layers::api_response`,
//!   "raw JSON event received from Lambda"): the code, the new password and the SecretHash.
//! - The AWS SDK (aws-smithy-runtime's orchestrator, aws-config, aws-sigv4) logs each request
//!   and response, their bodies and each decoded output at DEBUG and TRACE: DynamoDB items (the
//!   codes' digests, the migration source's password hashes), SES and Cognito answers (full email
//!   addresses, phone numbers), the canonical request it signs. hyper, h2, rustls and tower log
//!   the bytes they move at TRACE. They keep INFO and above (retries given up, credential
//!   failures), which name no value.

use tracing::Level;

/// (target prefix, the most it may log). A prefix covers every target that starts with it:
/// `aws_` is every aws-sdk-*, aws-smithy-*, aws-config, aws-runtime, aws-sigv4 and
/// aws-credential-types crate; `lambda_runtime` includes `lambda_runtime_api_client`.
pub const CAPS: &[(&str, Level)] = &[
    ("lambda_runtime", Level::DEBUG),
    ("aws_", Level::INFO),
    ("hyper", Level::INFO),
    ("h2", Level::INFO),
    ("rustls", Level::INFO),
    ("tower", Level::INFO),
    ("http", Level::INFO),
];
