//! The real function binaries as template.yaml deploys them, on moto: confirm-forgot-password's own
//! and forgot-password's beside it in `target/<profile>/` (`cargo test --workspace` builds both),
//! each under a local Lambda Runtime API with the template's environment (the user pool as the
//! directory, DynamoDB codes, the code keys from Secrets Manager, SES, SMS on the fake SMS v2
//! server). What they print is what CloudWatch Logs would receive.
//!
//! Needs `MOTO_ENDPOINT` and the `aws` CLI (scripts/test provides both).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The EMF lines of a scripted scenario: exact counts, names the template watches, no PII.
mod metrics;
/// `PwnedPasswords=true`: a breached password refused, only a padded prefix leaving.
mod pwned_passwords;
/// At `LogLevel=TRACE` nothing secret reaches the log.
mod trace_logs;

/// The forgot-password binary of the same build.
fn forgot_password_binary() -> String {
    test_support::deployed::workspace_binary(
        env!("CARGO_BIN_EXE_confirm-forgot-password"),
        "forgot-password",
    )
}
