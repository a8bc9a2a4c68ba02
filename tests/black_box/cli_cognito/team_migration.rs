//! A team's own UserMigration function on its pool (`LambdaConfig.UserMigration`), behind the fake
//! Lambda Invoke API: a small script over the team's own legacy data. The runner on moto's pool
//! invokes it as Cognito would for a login the pool does not know; the user it brings resets with
//! the code sent and signs in to the pool. And a pool trigger the stack may not invoke stops the
//! start, named.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::types::LambdaConfigType;
use test_support::cli::*;
use test_support::fake_lambda::FakeLambda;
use test_support::moto::endpoint as moto;

use super::{sign_in_to, team_env, team_pool};

const TEAM_MIGRATION: &str = "arn:aws:lambda:us-east-1:123456789012:function:team-user-migration";

/// The team's function: its legacy users, and the tenant its app names in ClientMetadata.
const LEGACY_DIRECTORY: &str = r#"
import json, sys
legacy = {"acme": {"lena": "lena@legacy.example.com"}}
event = json.load(sys.stdin)
tenant = event["request"]["clientMetadata"].get("tenant", "")
email = legacy.get(tenant, {}).get(event["userName"])
if email is None:
    raise Exception("User not found")
event["response"]["userAttributes"] = {"email": email, "email_verified": "true"}
event["response"]["finalUserStatus"] = "RESET_REQUIRED"
event["response"]["messageAction"] = "SUPPRESS"
print(json.dumps(event))
"#;

#[test]
fn the_pools_own_migration_function_brings_its_user_who_resets_and_signs_in() {
    let lambda = FakeLambda::start();
    lambda.register_python(TEAM_MIGRATION, LEGACY_DIRECTORY);
    let pool = team_pool(
        LambdaConfigType::builder()
            .user_migration(TEAM_MIGRATION)
            .build(),
    );
    let endpoint = moto();
    let mut vars = team_env(&pool, &endpoint, &lambda.endpoint);
    vars.push(("POOL_TRIGGER_FUNCTIONS", TEAM_MIGRATION));
    let runner = Runner::start("cognito-team-migration", None, &vars);
    // The CLI is the point here: its --client-metadata reaches the team's function.
    let out = runner.aws(&[
        "forgot-password",
        "--client-id",
        &pool.client,
        "--username",
        "lena",
        "--client-metadata",
        "tenant=acme",
        "--no-sign-request",
    ]);
    assert_eq!(
        out.ok_json()["CodeDeliveryDetails"]["Destination"],
        "l***@l***.com"
    );
    let invoked = lambda.invocations();
    assert_eq!(invoked.len(), 1);
    let event = &invoked[0].event;
    assert_eq!(event["triggerSource"], "UserMigration_ForgotPassword");
    assert_eq!(event["userName"], "lena");
    assert_eq!(event["userPoolId"], pool.id.as_str());
    assert_eq!(event["request"]["clientMetadata"]["tenant"], "acme");
    // The code it was sent confirms, and the pool signs the migrated user in.
    let code = runner.last_code("lena@legacy.example.com");
    assert!(
        runner
            .confirm_as(&pool.client, "lena", &code, NEW_PASSWORD, None)
            .ok
    );
    assert!(sign_in_to(&pool, "lena", NEW_PASSWORD).is_ok());

    // A login the team's data does not know: the function throws, the answer is the simulated
    // one, after the same invocation a real user costs; nothing is sent.
    let sent = runner.outbox().len();
    let unknown = runner.forgot_as(&pool.client, "nobody", None);
    assert!(unknown.ok, "{}", unknown.message());
    assert_eq!(lambda.invocations().len(), 2);
    assert_eq!(runner.outbox().len(), sent);
    assert!(sign_in_to(&pool, "nobody", NEW_PASSWORD).is_err());
}

#[test]
fn a_pool_trigger_the_stack_may_not_invoke_stops_the_start_named() {
    let pool = team_pool(
        LambdaConfigType::builder()
            .user_migration(TEAM_MIGRATION)
            .build(),
    );
    let endpoint = moto();
    let mut child = Command::new(runner_binary())
        .args(["--port", "0"])
        .envs(team_env(&pool, &endpoint, "http://127.0.0.1:9"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the runner started on a pool whose UserMigration it may not invoke");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(stderr.contains("UserMigration trigger is"), "{stderr}");
    assert!(stderr.contains(TEAM_MIGRATION), "{stderr}");
    assert!(stderr.contains("PoolTriggerFunctionArns"), "{stderr}");
}

#[test]
fn doctor_names_each_pool_trigger_and_what_becomes_of_it() {
    const TEAM_MESSAGE: &str = "arn:aws:lambda:us-east-1:123456789012:function:team-custom-message";
    const OURS: &str =
        "arn:aws:lambda:us-east-1:123456789012:function:stack-UserMigrationFunction-1";
    let pool = team_pool(
        LambdaConfigType::builder()
            .custom_message(TEAM_MESSAGE)
            .user_migration(OURS)
            .pre_sign_up(TEAM_MIGRATION)
            .build(),
    );
    let endpoint = moto();
    let report = |listed: &str| {
        let out = Command::new(runner_binary())
            .arg("doctor")
            .envs(team_env(&pool, &endpoint, "http://127.0.0.1:9"))
            .envs([
                ("DIRECTORY", "cognito"),
                ("POOL_TRIGGER_FUNCTIONS", listed),
                ("STACK_TRIGGER_FUNCTIONS", "stack-UserMigrationFunction-1"),
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let line = |report: &str, check: &str| {
        report
            .lines()
            .find(|l| l.starts_with(check))
            .unwrap_or_else(|| panic!("no {check} row in\n{report}"))
            .to_string()
    };
    let listed = report(TEAM_MESSAGE);
    let message = line(&listed, "trigger CustomMessage");
    assert!(
        message.contains(" ok ") && message.contains("invoked as Cognito would"),
        "{message}"
    );
    let migration = line(&listed, "trigger UserMigration");
    assert!(
        migration.contains(" ok ") && migration.contains("runs in-process"),
        "{migration}"
    );
    // PreSignUp is not on the reset path: Cognito calls it on sign-up, not here.
    assert!(!listed.contains("PreSignUp"), "{listed}");
    let unlisted = report("");
    let refused = line(&unlisted, "trigger CustomMessage");
    assert!(
        refused.contains("BLOCK") && refused.contains(TEAM_MESSAGE),
        "{refused}"
    );
    assert!(unlisted.contains("PoolTriggerFunctionArns"), "{unlisted}");
}
