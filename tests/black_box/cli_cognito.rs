//! Black box: the local runner with the user pool as its directory (`--directory cognito`, moto's
//! cognito-idp at MOTO_ENDPOINT), the reset driven by the real `aws` CLI, the pool made by the SDK
//! as an administrator would. A reset through our API changes the password people sign in with:
//! signing in to the pool proves it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::create_user_pool::builders::CreateUserPoolFluentBuilder;
use aws_sdk_cognitoidentityprovider::types::{LambdaConfigType, RecoveryOptionNameType};
use serde_json::{Value, json};
use test_support::cli::*;
use test_support::cognito_pool::{
    add_user, aliases_email_and_phone, app_client, new_pool, recovery, refresh, sign_in,
};
use test_support::moto::{Calls, cognito, endpoint as moto};
use test_support::runner_sdk::block_on;

mod one_answer;
mod pool_senders;
mod stuck_users;
mod team_migration;

const OLD_PASSWORD: &str = "0ld-Passw0rd!";

struct Pool {
    id: String,
    client: String,
    /// The SDK's client at moto, with an administrator's rights.
    admin: Client,
}

/// A fresh pool with email and phone aliases, recovery by email then phone, and an app client.
fn pool() -> Pool {
    pool_with(aliases_email_and_phone)
}

/// A fresh pool (recovery by email then phone unless `shape` says otherwise), and an app client.
fn pool_with(
    shape: impl FnOnce(CreateUserPoolFluentBuilder) -> CreateUserPoolFluentBuilder,
) -> Pool {
    let admin = cognito(&Calls::default());
    let id = block_on(new_pool(&admin, shape));
    let (client, _) = block_on(app_client(&admin, &id, false));
    Pool { id, client, admin }
}

/// A pool recovering by verified email whose `LambdaConfig` names a team's own functions.
fn team_pool(config: LambdaConfigType) -> Pool {
    pool_with(|b| {
        b.account_recovery_setting(recovery(&[RecoveryOptionNameType::VerifiedEmail]))
            .lambda_config(config)
    })
}

/// The runner's environment on `pool` at moto, the Lambda Invoke API at `lambda`.
fn team_env<'a>(pool: &'a Pool, moto: &'a str, lambda: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("RESET_DIRECTORY", "cognito"),
        ("USER_POOL_ID", &pool.id),
        ("AWS_ENDPOINT_URL", moto),
        ("AWS_ENDPOINT_URL_LAMBDA", lambda),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ]
}

fn user(pool: &Pool, username: &str, attributes: &[(&str, &str)]) {
    create(pool, username, attributes, true);
}

/// A user of `pool` made as a deployer would, with `OLD_PASSWORD` set permanent when `password`
/// (else left FORCE_CHANGE_PASSWORD).
fn create(pool: &Pool, username: &str, attributes: &[(&str, &str)], password: bool) {
    block_on(add_user(
        &pool.admin,
        &pool.id,
        username,
        attributes,
        password.then_some(OLD_PASSWORD),
    ));
}

/// USER_PASSWORD_AUTH against the pool: the refresh token, or the error code.
fn sign_in_to(pool: &Pool, username: &str, password: &str) -> Result<String, String> {
    block_on(sign_in(&pool.admin, &pool.client, username, password))
}

fn runner_on(pool: &Pool) -> Runner {
    runner_with(pool, None)
}

/// The runner on `pool`, with the pool file `settings` when given (its options; the pool's own
/// policies, recovery and clients still apply).
fn runner_with(pool: &Pool, settings: Option<&Value>) -> Runner {
    let endpoint = moto();
    Runner::start(
        "cognito",
        settings,
        &[
            ("RESET_DIRECTORY", "cognito"),
            ("USER_POOL_ID", &pool.id),
            ("AWS_ENDPOINT_URL", &endpoint),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ],
    )
}

#[test]
fn a_reset_through_the_api_changes_the_pools_password_and_ends_sessions() {
    let pool = pool();
    user(
        &pool,
        "jane",
        &[("email", "jane@example.com"), ("email_verified", "true")],
    );
    user(
        &pool,
        "paul",
        &[
            ("phone_number", "+12065550142"),
            ("phone_number_verified", "true"),
        ],
    );
    let old_refresh = sign_in_to(&pool, "jane", OLD_PASSWORD).unwrap();

    let runner = runner_on(&pool);
    assert!(
        runner.stdout.lock().unwrap().contains(&pool.id),
        "the runner names the pool it serves"
    );

    // By username, and by the email alias: the same user, the same masked destination.
    for login in ["jane", "jane@example.com"] {
        let out = runner.cli_forgot_as(&pool.client, login, None);
        assert_eq!(
            out.ok_json(),
            json!({"CodeDeliveryDetails": {"Destination": "j***@e***.com", "DeliveryMedium": "EMAIL", "AttributeName": "email"}}),
            "{login}"
        );
    }
    let code = runner.last_code("jane@example.com");
    let done = runner.cli_confirm_as(&pool.client, "jane", &code, NEW_PASSWORD, None);
    assert!(done.ok, "{}", done.stderr);

    // The pool now signs jane in with the new password only, and her old session is over.
    assert!(sign_in_to(&pool, "jane", NEW_PASSWORD).is_ok());
    assert_eq!(
        sign_in_to(&pool, "jane", OLD_PASSWORD).unwrap_err(),
        "NotAuthorizedException"
    );
    assert_eq!(
        block_on(refresh(&pool.admin, &pool.client, &old_refresh)).unwrap_err(),
        "NotAuthorizedException"
    );
    // Used once: the spent code is told to request a new one.
    assert_eq!(
        runner
            .cli_confirm_as(&pool.client, "jane", &code, NEW_PASSWORD, None)
            .error(),
        "ExpiredCodeException"
    );

    // By phone, to the verified phone (through the SDK from here on).
    let out = runner
        .forgot_as(&pool.client, "+12065550142", None)
        .ok_json();
    assert_eq!(out["CodeDeliveryDetails"]["DeliveryMedium"], "SMS");
    assert_eq!(out["CodeDeliveryDetails"]["Destination"], "+*******0142");
    let code = runner.last_code("+12065550142");
    assert!(
        runner
            .confirm_as(&pool.client, "paul", &code, NEW_PASSWORD, None)
            .ok
    );
    assert!(sign_in_to(&pool, "paul", NEW_PASSWORD).is_ok());

    // A client the pool does not know, and an unknown user (simulated, nothing sent).
    assert_eq!(
        runner
            .forgot_as("nosuchclient0000000000000", "jane", None)
            .error(),
        "ResourceNotFoundException"
    );
    let sent = runner.outbox().len();
    assert!(runner.forgot_as(&pool.client, "nobody", None).ok);
    assert_eq!(runner.outbox().len(), sent);
}

/// A team's own CustomMessage function on its pool: branded HTML in the language ClientMetadata
/// asks for, behind the fake Lambda Invoke API.
const TEAM_MESSAGE: &str = "arn:aws:lambda:us-east-1:123456789012:function:team-custom-message";

#[test]
fn the_pools_own_custom_message_function_writes_the_email_with_the_clis_client_metadata() {
    let lambda = test_support::fake_lambda::FakeLambda::start();
    lambda.register_python(
        TEAM_MESSAGE,
        r#"
import json, sys
event = json.load(sys.stdin)
lang = event["request"]["clientMetadata"].get("locale", "en")
event["response"]["emailSubject"] = {"fr": "Acme : votre code"}.get(lang, "Acme: your code")
event["response"]["emailMessage"] = "<p>" + event["userName"] + ": <b>" + \
    event["request"]["codeParameter"] + "</b></p>"
print(json.dumps(event))
"#,
    );
    let pool = team_pool(
        LambdaConfigType::builder()
            .custom_message(TEAM_MESSAGE)
            .build(),
    );
    user(
        &pool,
        "jane",
        &[("email", "jane@example.com"), ("email_verified", "true")],
    );
    let endpoint = moto();
    let mut vars = team_env(&pool, &endpoint, &lambda.endpoint);
    vars.push(("POOL_TRIGGER_FUNCTIONS", TEAM_MESSAGE));
    let runner = Runner::start("cognito-team-trigger", None, &vars);
    // The CLI is the point here: its --client-metadata, as a team's app sends it.
    let out = runner.aws(&[
        "forgot-password",
        "--client-id",
        &pool.client,
        "--username",
        "jane",
        "--client-metadata",
        "locale=fr",
        "--no-sign-request",
    ]);
    assert_eq!(
        out.ok_json()["CodeDeliveryDetails"]["Destination"],
        "j***@e***.com"
    );
    let code = runner.last_code("jane@example.com");
    let message = runner.outbox().last().unwrap().clone();
    assert_eq!(message["subject"], "Acme : votre code");
    assert_eq!(message["body"], format!("<p>jane: <b>{code}</b></p>"));
    let invoked = lambda.invocations();
    assert_eq!(invoked.len(), 1);
    assert_eq!(invoked[0].event["userPoolId"], pool.id.as_str());
    assert_eq!(
        invoked[0].event["callerContext"]["clientId"],
        pool.client.as_str()
    );
    // The code the team's message carried resets the password in the pool.
    assert!(
        runner
            .confirm_as(&pool.client, "jane", &code, NEW_PASSWORD, None)
            .ok
    );
    assert!(sign_in_to(&pool, "jane", NEW_PASSWORD).is_ok());
    // The start named the trigger it invokes.
    assert!(
        runner.logs().contains("team-custom-message"),
        "{}",
        runner.logs()
    );
}
