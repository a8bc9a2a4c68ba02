//! A user only the migration source knows resets their password through the local runner, driven by
//! the `aws` CLI (the SDK after the first reset): ForgotPassword migrates them (as
//! UserMigration_ForgotPassword would), the code arrives on the source contact,
//! ConfirmForgotPassword sets the password.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;
use test_support::cli::*;

#[test]
fn a_source_only_user_gets_a_code_and_resets() {
    let runner = Runner::demo("migration");
    assert_eq!(
        runner.cli_forgot("lena@legacy.example.com").ok_json(),
        json!({"CodeDeliveryDetails": {"Destination": "l***@l***.com", "DeliveryMedium": "EMAIL", "AttributeName": "email"}})
    );
    let code = runner.last_code("lena@legacy.example.com");
    let confirmed = runner.cli_confirm("lena@legacy.example.com", &code, NEW_PASSWORD);
    assert!(confirmed.ok, "{}", confirmed.stderr);
    // The code was single use, on the now-migrated user.
    let again = runner.confirm("lena@legacy.example.com", &code, NEW_PASSWORD);
    assert_eq!(again.error(), "ExpiredCodeException");

    // omar's source contact is a verified phone: the code goes by SMS.
    let sms = runner.forgot("omar");
    assert_eq!(
        sms.json()["CodeDeliveryDetails"],
        json!({"Destination": "+*******0123", "DeliveryMedium": "SMS", "AttributeName": "phone_number"})
    );
    let code = runner.last_code("+14255550123");
    assert!(runner.confirm("omar", &code, NEW_PASSWORD).ok);
}
