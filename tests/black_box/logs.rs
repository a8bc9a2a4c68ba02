//! No code, password, secret or full destination in any log line, even at TRACE (RUST_LOG naming
//! the dependencies' targets too: `log_caps` holds them back). The requests through the SDK.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use test_support::cli::*;
use test_support::logs::assert_no_secret;

#[test]
fn logs_carry_no_secrets() {
    let runner = Runner::start(
        "logs",
        None,
        &[("RUST_LOG", "trace,hyper=trace,tower=trace,axum=trace")],
    );
    let hash = password_reset::domain::secret_hash::compute(SECRET, "jane", SECRET_CLIENT).unwrap();
    assert!(runner.forgot_as(SECRET_CLIENT, "jane", Some(&hash)).ok);
    let code = runner.last_code("jane@example.com");
    assert!(runner.forgot("+12065550142").ok);
    let sms_code = runner.last_code("+12065550142");
    assert_eq!(
        runner.confirm("jane", "000001", "Wr0ng-but-valid!").error(),
        "CodeMismatchException"
    );
    assert!(
        runner
            .confirm_as(SECRET_CLIENT, "jane", &code, NEW_PASSWORD, Some(&hash))
            .ok
    );
    assert!(runner.forgot("dora").ok);

    let logs = runner.logs();
    assert!(logs.contains("code issued"), "the log is captured: {logs}");
    assert_no_secret(
        &logs,
        [
            code.as_str(),
            sms_code.as_str(),
            NEW_PASSWORD,
            "Wr0ng-but-valid!",
            SECRET,
            hash.as_str(),
            "jane@example.com",
            "+12065550142",
            "2065550142",
            "dora@example.com",
        ],
    );
}
