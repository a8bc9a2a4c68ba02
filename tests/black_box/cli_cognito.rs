//! Black box: the local runner with the user pool as its directory (`--directory cognito`, moto's
//! cognito-idp at MOTO_ENDPOINT), driven by the real `aws` CLI. A reset through our API changes the
//! password people sign in with: `initiate-auth` against the pool proves it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use test_support::cli::*;
use test_support::moto::endpoint as moto;

mod one_answer;

const OLD_PASSWORD: &str = "0ld-Passw0rd!";

/// `aws cognito-idp <args>` against the pool itself (moto), as an administrator types it.
fn pool_cli(args: &[&str]) -> CliResult {
    aws(&[&["cognito-idp"], args].concat(), &moto())
}

fn ok(result: CliResult) -> Value {
    assert!(result.ok, "{}", result.stderr);
    if result.stdout.trim().is_empty() {
        Value::Null
    } else {
        result.json()
    }
}

struct Pool {
    id: String,
    client: String,
}

fn pool() -> Pool {
    pool_with(&[
        "--alias-attributes",
        "email",
        "phone_number",
        "--account-recovery-setting",
        r#"RecoveryMechanisms=[{Priority=1,Name=verified_email},{Priority=2,Name=verified_phone_number}]"#,
    ])
}

/// A fresh pool created with `settings` (create-user-pool's arguments), and an app client.
fn pool_with(settings: &[&str]) -> Pool {
    let name = format!("cli-{}", test_support::unique("pool"));
    let created = ok(pool_cli(
        &[
            &["create-user-pool", "--pool-name", name.as_str()],
            settings,
        ]
        .concat(),
    ));
    let id = created["UserPool"]["Id"].as_str().unwrap().to_string();
    let client = ok(pool_cli(&[
        "create-user-pool-client",
        "--user-pool-id",
        &id,
        "--client-name",
        "app",
        "--explicit-auth-flows",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    ]));
    let client = client["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_string();
    Pool { id, client }
}

fn user(pool: &Pool, username: &str, attributes: &[(&str, &str)]) {
    create(pool, username, attributes, true);
}

/// A user of `pool` made as a deployer would, with `OLD_PASSWORD` set permanent when `password`
/// (else left FORCE_CHANGE_PASSWORD).
fn create(pool: &Pool, username: &str, attributes: &[(&str, &str)], password: bool) {
    let attributes: Vec<String> = attributes
        .iter()
        .map(|(k, v)| format!("Name={k},Value={v}"))
        .collect();
    let mut args = vec![
        "admin-create-user",
        "--user-pool-id",
        &pool.id,
        "--username",
        username,
        "--message-action",
        "SUPPRESS",
        "--user-attributes",
    ];
    args.extend(attributes.iter().map(String::as_str));
    ok(pool_cli(&args));
    if password {
        ok(pool_cli(&[
            "admin-set-user-password",
            "--user-pool-id",
            &pool.id,
            "--username",
            username,
            "--password",
            OLD_PASSWORD,
            "--permanent",
        ]));
    }
}

fn sign_in(pool: &Pool, username: &str, password: &str) -> CliResult {
    let parameters = format!("USERNAME={username},PASSWORD={password}");
    pool_cli(&[
        "initiate-auth",
        "--client-id",
        &pool.client,
        "--auth-flow",
        "USER_PASSWORD_AUTH",
        "--auth-parameters",
        &parameters,
    ])
}

fn refresh(pool: &Pool, token: &str) -> CliResult {
    let parameters = format!("REFRESH_TOKEN={token}");
    pool_cli(&[
        "initiate-auth",
        "--client-id",
        &pool.client,
        "--auth-flow",
        "REFRESH_TOKEN_AUTH",
        "--auth-parameters",
        &parameters,
    ])
}

fn runner_on(pool: &Pool) -> Runner {
    let endpoint = moto();
    Runner::start(
        "cognito",
        None,
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
    let session = ok(sign_in(&pool, "jane", OLD_PASSWORD));
    let old_refresh = session["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .unwrap()
        .to_string();

    let runner = runner_on(&pool);
    assert!(
        runner.stdout.lock().unwrap().contains(&pool.id),
        "the runner names the pool it serves"
    );

    // By username, and by the email alias: the same user, the same masked destination.
    for login in ["jane", "jane@example.com"] {
        let out = runner.forgot_as(&pool.client, login, None);
        assert_eq!(
            ok(out),
            json!({"CodeDeliveryDetails": {"Destination": "j***@e***.com", "DeliveryMedium": "EMAIL", "AttributeName": "email"}}),
            "{login}"
        );
    }
    let code = runner.last_code("jane@example.com");
    let done = runner.confirm_as(&pool.client, "jane", &code, NEW_PASSWORD, None);
    assert!(done.ok, "{}", done.stderr);

    // The pool now signs jane in with the new password only, and her old session is over.
    assert!(sign_in(&pool, "jane", NEW_PASSWORD).ok);
    assert_eq!(
        sign_in(&pool, "jane", OLD_PASSWORD).error(),
        "NotAuthorizedException"
    );
    assert_eq!(
        refresh(&pool, &old_refresh).error(),
        "NotAuthorizedException"
    );
    // Used once: the spent code is told to request a new one.
    assert_eq!(
        runner
            .confirm_as(&pool.client, "jane", &code, NEW_PASSWORD, None)
            .error(),
        "ExpiredCodeException"
    );

    // By phone, to the verified phone.
    let out = ok(runner.forgot_as(&pool.client, "+12065550142", None));
    assert_eq!(out["CodeDeliveryDetails"]["DeliveryMedium"], "SMS");
    assert_eq!(out["CodeDeliveryDetails"]["Destination"], "+*******0142");
    let code = runner.last_code("+12065550142");
    assert!(
        runner
            .confirm_as(&pool.client, "paul", &code, NEW_PASSWORD, None)
            .ok
    );
    assert!(sign_in(&pool, "paul", NEW_PASSWORD).ok);

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
    let lambda_config = format!("CustomMessage={TEAM_MESSAGE}");
    let pool = pool_with(&[
        "--account-recovery-setting",
        r#"RecoveryMechanisms=[{Priority=1,Name=verified_email}]"#,
        "--lambda-config",
        &lambda_config,
    ]);
    user(
        &pool,
        "jane",
        &[("email", "jane@example.com"), ("email_verified", "true")],
    );
    let endpoint = moto();
    let runner = Runner::start(
        "cognito-team-trigger",
        None,
        &[
            ("RESET_DIRECTORY", "cognito"),
            ("USER_POOL_ID", &pool.id),
            ("AWS_ENDPOINT_URL", &endpoint),
            ("AWS_ENDPOINT_URL_LAMBDA", &lambda.endpoint),
            ("POOL_TRIGGER_FUNCTIONS", TEAM_MESSAGE),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ],
    );
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
        ok(out)["CodeDeliveryDetails"]["Destination"],
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
    assert!(sign_in(&pool, "jane", NEW_PASSWORD).ok);
    // The start named the trigger it invokes.
    assert!(
        runner.logs().contains("team-custom-message"),
        "{}",
        runner.logs()
    );
}
