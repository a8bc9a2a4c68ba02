//! Every ForgotPassword / ConfirmForgotPassword error a caller can meet: each error once through the
//! real `aws` CLI (its name and message as a user reads them), the calls around it through the SDK.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use test_support::cli::*;

fn legacy_pool() -> Value {
    let mut pool = demo_pool();
    pool["PreventUserExistenceErrors"] = json!("LEGACY");
    pool["Users"].as_array_mut().unwrap().push(json!({
        "Username": "uma", "Sub": "55555555-6666-4777-8888-999999999999", "Status": "UNCONFIRMED",
        "Attributes": {"email": "uma@example.com", "email_verified": "false"}
    }));
    pool
}

#[test]
fn request_validation_and_unknown_client() {
    let runner = Runner::demo("validation");
    let bad = runner.cli_forgot("has space");
    assert_eq!(bad.error(), "InvalidParameterException");
    assert!(bad.message().contains("username"), "{}", bad.stderr);
    let unknown = runner.aws(&[
        "forgot-password",
        "--client-id",
        "nosuchclient",
        "--username",
        "jane",
        "--no-sign-request",
    ]);
    assert_eq!(unknown.error(), "ResourceNotFoundException");
    let other = runner.aws(&["list-user-pools", "--max-results", "1", "--no-sign-request"]);
    assert_eq!(other.error(), "UnknownOperationException");
}

#[test]
fn user_states_under_legacy_existence_errors() {
    let runner = Runner::with_pool("legacy", &legacy_pool());
    let cases = [
        (
            "nobody",
            "UserNotFoundException",
            "Username/client id combination not found.",
        ),
        (
            "sam",
            "InvalidParameterException",
            "Cannot reset password for the user as there is no registered/verified email or phone_number",
        ),
        ("dora", "NotAuthorizedException", "User is disabled."),
        (
            "fran",
            "NotAuthorizedException",
            "User password cannot be reset in the current state.",
        ),
    ];
    for (user, error, message) in cases {
        let out = runner.cli_forgot(user);
        assert_eq!(out.error(), error, "{user}");
        assert_eq!(out.message(), message, "{user}");
    }
    let unconfirmed = runner.cli_confirm("uma", "123456", NEW_PASSWORD);
    assert_eq!(unconfirmed.error(), "UserNotConfirmedException");
    assert_eq!(
        runner.cli_confirm("nobody", "123456", NEW_PASSWORD).error(),
        "UserNotFoundException"
    );
    assert!(
        runner.outbox().is_empty(),
        "nothing is sent for refused requests"
    );
}

#[test]
fn prevent_user_existence_errors_simulates_and_sends_nothing() {
    let runner = Runner::demo("enabled");
    // fran (FORCE_CHANGE_PASSWORD) answers as an unknown user does (LEGACY: NotAuthorized).
    for user in ["nobody", "sam", "dora", "fran"] {
        let first = runner.forgot(user);
        assert!(first.ok, "{user}: {}", first.detail);
        let second = runner.forgot(user);
        assert_eq!(
            first.json(),
            second.json(),
            "stable simulated answer for {user}"
        );
        assert_eq!(
            first.json()["CodeDeliveryDetails"]["DeliveryMedium"],
            "EMAIL"
        );
    }
    let phone = runner.forgot("+15555550100");
    assert_eq!(
        phone.json()["CodeDeliveryDetails"]["Destination"],
        "+*******0100"
    );
    let email = runner.forgot("ghost@example.com");
    assert_eq!(
        email.json()["CodeDeliveryDetails"]["Destination"],
        "g***@e***.com"
    );
    assert!(
        runner.outbox().is_empty(),
        "nothing is sent for simulated deliveries"
    );
    // Confirm for an unknown or FORCE_CHANGE_PASSWORD user looks like a wrong code.
    for user in ["nobody", "fran"] {
        assert_eq!(
            runner.confirm(user, "123456", NEW_PASSWORD).error(),
            "CodeMismatchException"
        );
    }
}

#[test]
fn admin_only_recovery_refuses_self_service() {
    let mut pool = demo_pool();
    pool["AccountRecoverySetting"] =
        json!({"RecoveryMechanisms": [{"Name": "admin_only", "Priority": 1}]});
    let runner = Runner::with_pool("admin-only", &pool);
    let out = runner.cli_forgot("jane");
    assert_eq!(out.error(), "NotAuthorizedException");
    assert_eq!(out.message(), "Contact administrator to reset password.");
}

#[test]
fn request_limit_per_user() {
    let runner = Runner::demo("limit");
    for _ in 0..5 {
        assert!(runner.forgot("jane").ok);
    }
    let sixth = runner.cli_forgot("jane");
    assert_eq!(sixth.error(), "LimitExceededException");
    assert_eq!(
        sixth.message(),
        "Attempt limit exceeded, please try after some time."
    );
    assert_eq!(runner.outbox().len(), 5);
    // Another user is not affected.
    assert!(runner.forgot("paul").ok);
}

#[test]
fn wrong_codes_kill_the_code_after_the_attempt_limit() {
    let runner = Runner::demo("attempts");
    assert!(runner.forgot("jane").ok);
    let code = runner.last_code("jane@example.com");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(
            runner.confirm("jane", wrong, NEW_PASSWORD).error(),
            "CodeMismatchException"
        );
    }
    assert_eq!(
        runner.cli_confirm("jane", &code, NEW_PASSWORD).error(),
        "TooManyFailedAttemptsException"
    );
    // A new code brings the user back.
    assert!(runner.forgot("jane").ok);
    assert!(
        runner
            .confirm("jane", &runner.last_code("jane@example.com"), NEW_PASSWORD)
            .ok
    );
}

#[test]
fn password_policy_names_what_is_missing_and_keeps_the_code() {
    let runner = Runner::demo("policy");
    assert!(runner.forgot("jane").ok);
    let code = runner.last_code("jane@example.com");
    let weak = runner.cli_confirm("jane", &code, "password");
    assert_eq!(weak.error(), "InvalidPasswordException");
    assert_eq!(
        weak.message(),
        "Password does not conform to policy: Password must have uppercase characters; \
         Password must have numeric characters; Password must have symbol characters"
    );
    assert!(
        runner.confirm("jane", &code, NEW_PASSWORD).ok,
        "a refused password does not burn the code"
    );
}

#[test]
fn sandboxed_outbox_refuses_unverified_destinations_and_keeps_no_code() {
    // The explicit refusal is LEGACY's; ENABLED's generic one is below.
    let mut pool = demo_pool();
    pool["PreventUserExistenceErrors"] = json!("LEGACY");
    pool["Outbox"] = json!({"VerifiedDestinations": ["jane@example.com"]});
    let runner = Runner::with_pool("sandbox", &pool);
    let refused = runner.cli_forgot("maria");
    assert_eq!(refused.error(), "CodeDeliveryFailureException");
    assert!(
        refused.message().contains("m***@e***.org") && refused.message().contains("sandbox"),
        "{}",
        refused.message()
    );
    assert!(
        !refused.message().contains("maria@example.org"),
        "the destination is masked"
    );
    assert!(runner.outbox().is_empty());
    // The refused request did not count: five more still go through for the user (then the limit).
    assert!(runner.forgot("jane").ok);
    for _ in 0..5 {
        assert_eq!(
            runner.forgot("maria").error(),
            "CodeDeliveryFailureException"
        );
    }
    assert_eq!(
        runner.forgot("maria").error(),
        "CodeDeliveryFailureException",
        "refusals never turn into LimitExceeded"
    );
}

#[test]
fn one_caller_is_limited_across_users() {
    let mut pool = demo_pool();
    pool["Codes"]["MaxRequestsPerCaller"] = json!(3);
    pool["Codes"]["MaxConfirmsPerCaller"] = json!(2);
    let runner = Runner::with_pool("callers", &pool);
    // Three different users from 127.0.0.1, each well within its own limit.
    for user in ["jane", "paul", "nobody"] {
        assert!(runner.forgot(user).ok, "{user}");
    }
    let fourth = runner.forgot("maria");
    assert_eq!(
        fourth.error(),
        "LimitExceededException",
        "{}",
        fourth.detail
    );
    assert_eq!(
        fourth.message(),
        "Attempt limit exceeded, please try after some time."
    );
    // jane's email and paul's SMS; nothing for maria: refused before she was looked up.
    assert_eq!(runner.outbox().len(), 2);
    // Confirms have their own window.
    for _ in 0..2 {
        let wrong = runner.confirm("jane", "000000", "N3w-Passw0rd!");
        assert_eq!(wrong.error(), "CodeMismatchException");
    }
    let third = runner.confirm(
        "jane",
        &runner.last_code("jane@example.com"),
        "N3w-Passw0rd!",
    );
    assert_eq!(third.error(), "LimitExceededException");
    // The runner's log names the caller only masked.
    let logs = runner.logs();
    assert!(logs.contains("per-caller request limit reached"), "{logs}");
    assert!(!logs.contains("127.0.0.1"), "{logs}");
}

#[test]
fn under_enabled_a_refused_delivery_names_no_sandbox_and_no_destination() {
    let mut pool = demo_pool();
    pool["Outbox"] = json!({"VerifiedDestinations": ["jane@example.com"]});
    let runner = Runner::with_pool("sandbox-enabled", &pool);
    let refused = runner.cli_forgot("maria");
    assert_eq!(refused.error(), "CodeDeliveryFailureException");
    assert_eq!(
        refused.message(),
        "The confirmation code could not be delivered. Try again later."
    );
    // The reason is in the log, masked.
    let logs = runner.logs();
    assert!(
        logs.contains("sandbox") && logs.contains("m***@e***.org"),
        "{logs}"
    );
    assert!(!logs.contains("maria@example.org"), "{logs}");
}
