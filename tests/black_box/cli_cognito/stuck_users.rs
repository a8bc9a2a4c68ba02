//! The users Cognito leaves stuck, let through by their options (`StuckUsers`), reset end to end
//! through the `aws` CLI against the runner on moto's pool: an admin-created user still in
//! FORCE_CHANGE_PASSWORD, and a user whose only email is unverified. With the options off (the
//! default) both get the decoy sequence: `one_answer` holds them to it.

use aws_sdk_cognitoidentityprovider::types::UserStatusType;
use serde_json::json;
use test_support::cli::*;
use test_support::runner_sdk::block_on;

use super::{OLD_PASSWORD, create, pool, runner_with, sign_in_to};

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
        block_on(
            pool.admin
                .admin_get_user()
                .user_pool_id(&pool.id)
                .username(username)
                .send(),
        )
        .unwrap()
    };
    assert_eq!(
        status("fcp-fred").user_status(),
        Some(&UserStatusType::ForceChangePassword)
    );
    let options = json!({"StuckUsers": {"ForceChangePassword": true, "UnverifiedEmail": true}});
    let runner = runner_with(&pool, Some(&options));

    let out = runner
        .cli_forgot_as(&pool.client, "fcp-fred", None)
        .ok_json();
    assert_eq!(out["CodeDeliveryDetails"]["Destination"], "f***@e***.com");
    let code = runner.last_code("fred@example.com");
    let done = runner.cli_confirm_as(&pool.client, "fcp-fred", &code, NEW_PASSWORD, None);
    assert!(done.ok, "{}", done.stderr);
    // A permanent password: CONFIRMED, signing in without a challenge.
    assert_eq!(
        status("fcp-fred").user_status(),
        Some(&UserStatusType::Confirmed)
    );
    assert!(sign_in_to(&pool, "fcp-fred", NEW_PASSWORD).is_ok());

    let out = runner
        .cli_forgot_as(&pool.client, "unverified-una", None)
        .ok_json();
    assert_eq!(out["CodeDeliveryDetails"]["Destination"], "u***@e***.com");
    let code = runner.last_code("una@example.com");
    let done = runner.cli_confirm_as(&pool.client, "unverified-una", &code, NEW_PASSWORD, None);
    assert!(done.ok, "{}", done.stderr);
    assert!(sign_in_to(&pool, "unverified-una", NEW_PASSWORD).is_ok());
    assert_eq!(
        sign_in_to(&pool, "unverified-una", OLD_PASSWORD).unwrap_err(),
        "NotAuthorizedException"
    );
    // The code proved control of the email: it is verified now.
    let user = status("unverified-una");
    let verified = user
        .user_attributes()
        .iter()
        .find(|a| a.name() == "email_verified")
        .and_then(|a| a.value());
    assert_eq!(verified, Some("true"), "{:?}", user.user_attributes());
}
