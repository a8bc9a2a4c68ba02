//! The users Cognito leaves stuck, let through by their options (`StuckUsers`), reset end to end
//! through the `aws` CLI against the runner on moto's pool: an admin-created user still in
//! FORCE_CHANGE_PASSWORD, and a user whose only email is unverified. With the options off (the
//! default) both get the decoy sequence: `one_answer` holds them to it.

use serde_json::json;
use test_support::cli::*;

use super::{OLD_PASSWORD, create, ok, pool, pool_cli, runner_with, sign_in};

#[test]
fn stuck_users_reset_through_the_cli_when_the_pool_allows_them() {
    let pool = pool();
    // Created by an admin, never signed in: FORCE_CHANGE_PASSWORD, with a verified email.
    create(
        &pool,
        "fcp-fred",
        &[("email", "fred@example.com"), ("email_verified", "true")],
        false,
    );
    // Signed up with an email never verified, and nothing else to recover by.
    create(
        &pool,
        "unverified-una",
        &[("email", "una@example.com"), ("email_verified", "false")],
        true,
    );
    let status = |username: &str| {
        ok(pool_cli(&[
            "admin-get-user",
            "--user-pool-id",
            &pool.id,
            "--username",
            username,
        ]))
    };
    assert_eq!(status("fcp-fred")["UserStatus"], "FORCE_CHANGE_PASSWORD");
    let options = json!({"StuckUsers": {"ForceChangePassword": true, "UnverifiedEmail": true}});
    let runner = runner_with(&pool, Some(&options));

    let out = ok(runner.forgot_as(&pool.client, "fcp-fred", None));
    assert_eq!(out["CodeDeliveryDetails"]["Destination"], "f***@e***.com");
    let code = runner.last_code("fred@example.com");
    let done = runner.confirm_as(&pool.client, "fcp-fred", &code, NEW_PASSWORD, None);
    assert!(done.ok, "{}", done.stderr);
    // A permanent password: CONFIRMED, signing in without a challenge.
    assert_eq!(status("fcp-fred")["UserStatus"], "CONFIRMED");
    let session = ok(sign_in(&pool, "fcp-fred", NEW_PASSWORD));
    assert!(session["AuthenticationResult"]["AccessToken"].is_string());

    let out = ok(runner.forgot_as(&pool.client, "unverified-una", None));
    assert_eq!(out["CodeDeliveryDetails"]["Destination"], "u***@e***.com");
    let code = runner.last_code("una@example.com");
    let done = runner.confirm_as(&pool.client, "unverified-una", &code, NEW_PASSWORD, None);
    assert!(done.ok, "{}", done.stderr);
    assert!(sign_in(&pool, "unverified-una", NEW_PASSWORD).ok);
    assert!(!sign_in(&pool, "unverified-una", OLD_PASSWORD).ok);
    // The code proved control of the email: it is verified now.
    let attributes = status("unverified-una")["UserAttributes"].clone();
    assert!(
        attributes
            .as_array()
            .unwrap()
            .contains(&json!({"Name": "email_verified", "Value": "true"})),
        "{attributes}"
    );
}
