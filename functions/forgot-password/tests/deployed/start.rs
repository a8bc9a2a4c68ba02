//! What a cold container does before its first request: the sending accounts the function will
//! need (the recovery here sends by email and by phone: SES's and SMS's) are read during init,
//! beside the code keys and the pool, so the first request does not wait on them.

use serde_json::json;
use test_support::deployed::{Deployed, run_function};

#[tokio::test]
async fn the_sending_accounts_are_read_at_init_not_on_the_first_request() {
    let d = Deployed::setup("start-forgot");
    let (jane, _) = d.email_user.clone();
    let event = json!({
        "ClientId": d.client_id, "Username": jane, "SecretHash": d.secret_hash(&jane),
    });
    let run = run_function(env!("CARGO_BIN_EXE_forgot-password"), &d.env, &[event]).await;
    assert_eq!(
        run.answers[0]["CodeDeliveryDetails"]["DeliveryMedium"], "EMAIL",
        "{}",
        run.logs
    );
    let (init, invocation) = run
        .logs
        .split_once(r#""requestId":"req-0""#)
        .unwrap_or_else(|| panic!("no line of the first invocation:\n{}", run.logs));
    // Read (or, with no permission or operation, given up on) once, at init: either way logged.
    for account in ["SES account", "SMS account"] {
        assert_eq!(
            init.matches(account).count(),
            1,
            "{account} read once during init:\n{}",
            run.logs
        );
        assert!(
            !invocation.contains(account),
            "{account} not read again by the first request:\n{}",
            run.logs
        );
    }
}

/// A start that fails says why to the Runtime API (`/runtime/init/error`), where Lambda and
/// `sam local invoke` show it, instead of a process that just exits.
#[tokio::test]
async fn a_failed_start_is_reported_as_the_init_error_naming_the_setting() {
    let env: Vec<(String, String)> = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("DIRECTORY", "memory"),
        ("STORE", "memory"),
        ("DELIVERY", "outbox"),
        ("CODE_HASH_KEY_SECRET_ARN", ""),
        ("USER_POOL_ID", "us-east-1_DemoPool1"),
        ("APP_CLIENTS", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let run = run_function(env!("CARGO_BIN_EXE_forgot-password"), &env, &[json!({})]).await;
    let init_error = &run.answers[0];
    assert_eq!(init_error["errorType"], "ConfigError", "{}", run.logs);
    assert!(
        init_error["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("APP_CLIENTS")),
        "{init_error}\n{}",
        run.logs
    );
}

/// A pool trigger on the reset path this stack may neither invoke nor run as its own stops the
/// start, named with the parameter to set, before any user meets it; the same pool starts once
/// the function is known as the stack's own (what the template tells it for its own functions).
#[tokio::test]
async fn a_pool_trigger_the_stack_may_not_invoke_is_the_init_error_naming_it() {
    const TEAM: &str = "arn:aws:lambda:us-east-1:123456789012:function:team-user-migration";
    let d = Deployed::setup("start-trigger");
    let out = test_support::cli::aws(
        &[
            "cognito-idp",
            "update-user-pool",
            "--user-pool-id",
            &d.pool_id,
            "--lambda-config",
            &format!("UserMigration={TEAM}"),
        ],
        &test_support::moto::endpoint(),
    );
    assert!(out.ok, "{}", out.stderr);
    let (jane, _) = d.email_user.clone();
    let event = json!({
        "ClientId": d.client_id, "Username": jane, "SecretHash": d.secret_hash(&jane),
    });
    let run = run_function(
        env!("CARGO_BIN_EXE_forgot-password"),
        &d.env,
        std::slice::from_ref(&event),
    )
    .await;
    let init_error = &run.answers[0];
    assert_eq!(init_error["errorType"], "ConfigError", "{}", run.logs);
    let message = init_error["errorMessage"].as_str().unwrap_or_default();
    for named in ["UserMigration", TEAM, "PoolTriggerFunctionArns"] {
        assert!(message.contains(named), "{named}: {message}");
    }
    let own = d.env_with(&[("STACK_TRIGGER_FUNCTIONS", "team-user-migration")]);
    let run = run_function(env!("CARGO_BIN_EXE_forgot-password"), &own, &[event]).await;
    assert_eq!(
        run.answers[0]["CodeDeliveryDetails"]["DeliveryMedium"], "EMAIL",
        "{}",
        run.logs
    );
}
