//! `LogLevel=TRACE` as deployed: the real user-migration binary, with the environment template.yaml
//! gives it (the migration source table in DynamoDB) at TRACE with RUST_LOG naming the SDK's
//! targets, answers UserMigration_ForgotPassword for a source user found by email and
//! UserMigration_Authentication with a wrong password; the source table's Query and GetItem outputs
//! carry her bcrypt hash and email. The whole output is searched for them and the password.
//! Needs `MOTO_ENDPOINT` and `aws`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use test_support::deployed::{Deployed, run_function};
use test_support::logs::assert_no_secret;

fn event(source: &str, user: &str, password: Option<&str>) -> Value {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../events/user-migration-ForgotPassword.json"),
    )
    .unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    event["triggerSource"] = json!(source);
    event["userName"] = json!(user);
    if let Some(password) = password {
        event["request"]["password"] = json!(password);
    }
    event
}

#[tokio::test]
async fn nothing_secret_reaches_the_log_at_trace_as_deployed() {
    let d = Deployed::setup("trace-migration");
    let (olga, olga_email) = d.source_user.clone();
    let mut env = d.env.clone();
    env.push(("MIGRATION_SOURCE".into(), "dynamodb".into()));
    let typed = "Typed-Wr0ng-Passw0rd!";
    let events = [
        event("UserMigration_ForgotPassword", &olga_email, None),
        event("UserMigration_Authentication", &olga, Some(typed)),
    ];
    let run = run_function(env!("CARGO_BIN_EXE_user-migration"), &env, &events).await;
    assert_eq!(
        run.answers[0]["response"]["finalUserStatus"], "RESET_REQUIRED",
        "{:?}\n{}",
        run.answers, run.logs
    );
    assert!(run.answers[1]["errorType"].is_string(), "{:?}", run.answers);
    let mut secrets = d.secrets.clone();
    secrets.push(typed.to_string());
    assert_no_secret(&run.logs, &secrets);
}
