//! The aws CLI flow with the local runner on DynamoDB (moto at MOTO_ENDPOINT): tables created and
//! users imported by the runner's own subcommands, then the reset as a user drives it (the SDK for
//! the calls around it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use test_support::cli::*;
use test_support::moto::{Calls, dynamodb, endpoint as moto};
use test_support::runner_sdk::block_on;

fn runner_command(env: &[(&str, String)], args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cognito-reset-local"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_cli_flow_on_dynamodb() {
    let id = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let users = format!("cli-users-{id}");
    let codes = format!("cli-codes-{id}");
    let env = vec![
        ("AWS_ENDPOINT_URL", moto()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("USERS_TABLE", users.clone()),
        ("CODES_TABLE", codes.clone()),
    ];
    let created = runner_command(&env, &["create-tables"]);
    assert!(created.contains(&users), "{created}");
    let pool = concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo-pool.json");
    let imported = runner_command(&env, &["import-users", pool]);
    assert!(imported.contains("imported 6 users"), "{imported}");

    let mut runner_env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    runner_env.push(("RESET_STORE", "dynamodb"));
    // Codes outlive the process on a shared store: the key must be given.
    runner_env.push((
        "CODE_HASH_KEY",
        "Y2xpLWR5bmFtb2RiLXRlc3Qta2V5LTMyLWJ5dGVzLWxvbmc=",
    ));
    let runner = Runner::start("dynamodb", None, &runner_env);
    assert!(runner.stdout.lock().unwrap().contains(&users));

    assert_eq!(
        runner.cli_forgot("jane@example.com").ok_json(),
        json!({"CodeDeliveryDetails": {"Destination": "j***@e***.com", "DeliveryMedium": "EMAIL", "AttributeName": "email"}})
    );
    let code = runner.last_code("jane@example.com");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        runner.confirm("jane", wrong, NEW_PASSWORD).error(),
        "CodeMismatchException"
    );
    let done = runner.cli_confirm("jane", &code, NEW_PASSWORD);
    assert!(done.ok, "{}", done.stderr);
    assert_eq!(
        runner.confirm("jane", &code, NEW_PASSWORD).error(),
        "ExpiredCodeException"
    );

    // The new password hash and status are in the users table.
    let item = block_on(
        dynamodb(&Calls::default())
            .get_item()
            .table_name(&users)
            .key("username", AttributeValue::S("jane".into()))
            .send(),
    )
    .unwrap();
    let item = item.item().unwrap();
    assert!(
        item["password_hash"]
            .as_s()
            .unwrap()
            .starts_with("$argon2id$")
    );
    assert_eq!(item["status"].as_s().unwrap(), "CONFIRMED");

    // SMS by phone alias, and the per-user request limit.
    let paul = runner.forgot("+12065550142");
    assert_eq!(paul.json()["CodeDeliveryDetails"]["DeliveryMedium"], "SMS");
    for _ in 0..4 {
        assert!(runner.forgot("paul").ok);
    }
    assert_eq!(runner.forgot("paul").error(), "LimitExceededException");
}
