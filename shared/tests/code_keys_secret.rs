//! The code keys from Secrets Manager (moto at `MOTO_ENDPOINT`, real SDK), as the deployed
//! functions get them: `CODE_HASH_KEY_SECRET_ARN` read once at assembly, a rotation with
//! `PutSecretValue` that keeps live codes, a retired key's code refused as expired, a bad secret
//! refused at start naming the setting, and no key in any log line even at TRACE.

#![cfg(all(feature = "secrets", feature = "dynamodb"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Once};

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use password_reset::adapters::dynamodb_tables::Tables;
use password_reset::adapters::dynamodb_tables::schema::*;
use password_reset::assembly::{Wiring, assemble};
use password_reset::config::{ConfigError, Settings};
use password_reset::domain::time::UnixTime;
use password_reset::{CognitoError, ResetService};
use test_support::dynamo::{store_with, unique_tables};
use test_support::logs::{Logs, assert_no_secret};
use test_support::{Inbox, Operations, confirm, forgot, unique};

static SDK_ENV: Once = Once::new();

/// Points every SDK client the assembly builds at moto. The only process-wide setting these tests
/// make, once, before any of them reads the environment; everything else goes through closures.
async fn sdk_at_moto() -> password_reset::aws_sdk::SdkConfig {
    let endpoint = std::env::var("MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "MOTO_ENDPOINT is not set: these tests need moto_server (scripts/test starts it, or \
             start `moto_server -H 127.0.0.1 -p PORT` and export MOTO_ENDPOINT)"
        )
    });
    SDK_ENV.call_once(|| {
        // SAFETY: called before any test of this binary reads the environment (each calls this
        // first, and `Once` makes the others wait); nothing else in the process writes it.
        unsafe {
            std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
            for (name, value) in [
                ("AWS_REGION", "us-east-1"),
                ("AWS_ACCESS_KEY_ID", "testing"),
                ("AWS_SECRET_ACCESS_KEY", "testing"),
            ] {
                if std::env::var_os(name).is_none() {
                    std::env::set_var(name, value);
                }
            }
        }
    });
    password_reset::aws_sdk::load_sdk_config()
        .await
        .expect("the environment set above is a configuration")
}

fn key(byte: u8) -> String {
    STANDARD.encode([byte; 32])
}

async fn create_secret(sdk: &password_reset::aws_sdk::SdkConfig, value: &str) -> String {
    aws_sdk_secretsmanager::Client::new(sdk)
        .create_secret()
        .name(unique("code-keys"))
        .secret_string(value)
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_string()
}

async fn put_secret(sdk: &password_reset::aws_sdk::SdkConfig, arn: &str, value: &str) {
    aws_sdk_secretsmanager::Client::new(sdk)
        .put_secret_value()
        .secret_id(arn)
        .secret_string(value)
        .send()
        .await
        .unwrap();
}

/// The functions' environment on `tables`, with the code keys in the secret `arn`.
fn function_env(tables: &Tables, arn: &str) -> HashMap<String, String> {
    [
        ("STORE", "dynamodb"),
        ("DIRECTORY", "dynamodb"),
        ("USERS_TABLE", tables.users.as_str()),
        ("CODES_TABLE", tables.codes.as_str()),
        ("DELIVERY", "outbox"),
        (
            "APP_CLIENTS",
            r#"[{"ClientId":"38fjsnc484p94kpqsnet7mpld0"}]"#,
        ),
        (
            "RECOVERY_MECHANISMS",
            "verified_email,verified_phone_number",
        ),
        ("CODE_HASH_KEY_SECRET_ARN", arn),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// A container starting: settings and wiring from `env`, the service assembled (the secret read
/// here), its deliveries caught by `inbox`.
async fn start(
    env: &HashMap<String, String>,
    inbox: &Arc<Inbox>,
) -> Result<ResetService, ConfigError> {
    let env = |name: &str| env.get(name).cloned();
    let settings = Settings::from_env(env)?;
    let wiring = Wiring::from_env(&env)?;
    let mut service = assemble(&settings, &wiring, &[], &mut password_reset::request_rng())
        .await?
        .service;
    service.ports.email = inbox.clone();
    service.ports.sms = inbox.clone();
    Ok(service)
}

async fn tables_with_demo_users(
    sdk: &password_reset::aws_sdk::SdkConfig,
) -> (Tables, aws_sdk_dynamodb::Client) {
    let client = aws_sdk_dynamodb::Client::new(sdk);
    let tables = unique_tables("keys");
    let demo = Settings::from_json(include_str!("../../config/demo-pool.json")).unwrap();
    store_with(&client, &tables, &demo).await;
    (tables, client)
}

/// The codes item's key id and judged attempts.
async fn code_item(
    client: &aws_sdk_dynamodb::Client,
    tables: &Tables,
    user: &str,
) -> (String, String) {
    let item = client
        .get_item()
        .table_name(&tables.codes)
        .key(CODES_KEY, AttributeValue::S(user.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(s)) => s.clone(),
        Some(AttributeValue::N(n)) => n.clone(),
        other => panic!("{name}: {other:?}"),
    };
    (text(CODES_KEY_ID), text(CODES_ATTEMPTS))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_come_from_the_secret_and_a_rotation_keeps_live_codes() {
    let sdk = sdk_at_moto().await;
    let (tables, client) = tables_with_demo_users(&sdk).await;
    let (k1, k2) = (key(0x11), key(0x22));
    let arn = create_secret(
        &sdk,
        &format!(r#"{{"current":"k1","decoy":"k1","k1":"{k1}"}}"#),
    )
    .await;
    let env = function_env(&tables, &arn);
    let inbox = Arc::new(Inbox::default());
    let now = UnixTime::now();
    let mut rng = password_reset::request_rng();

    // Every log line of the container's start and of its requests, at TRACE (the SDK's too).
    let (logs, guard) = Logs::start();

    let before = start(&env, &inbox).await.unwrap();
    assert_eq!(
        format!("{:?}", before.code_keys),
        r#"CodeKeys { current: "k1", decoy: "k1", ids: ["k1"] }"#
    );
    before
        .forgot_direct(&forgot("jane"), now, &mut rng)
        .await
        .unwrap();
    let under_k1 = inbox.last_code("jane@example.com");
    assert_eq!(code_item(&client, &tables, "jane").await.0, "k1");
    let decoy_before = before
        .forgot_direct(&forgot("nobody"), now, &mut rng)
        .await
        .unwrap();
    drop(guard);

    // The rotation: k2 issues from now on, k1 stays to verify what it issued (and for decoys).
    put_secret(
        &sdk,
        &arn,
        &format!(r#"{{"current":"k2","decoy":"k1","k1":"{k1}","k2":"{k2}"}}"#),
    )
    .await;
    // Read once: a running container keeps the keys it started with.
    assert_eq!(
        format!("{:?}", before.code_keys),
        r#"CodeKeys { current: "k1", decoy: "k1", ids: ["k1"] }"#
    );
    let after = start(&env, &inbox).await.unwrap();
    assert_eq!(after.code_keys.current().as_str(), "k2");
    after
        .confirm_direct(&confirm("jane", &under_k1), now.plus(1))
        .await
        .unwrap();
    after
        .forgot_direct(&forgot("jane"), now.plus(2), &mut rng)
        .await
        .unwrap();
    assert_eq!(code_item(&client, &tables, "jane").await.0, "k2");
    let decoy_after = after
        .forgot_direct(&forgot("nobody"), now.plus(2), &mut rng)
        .await
        .unwrap();
    assert_eq!(
        decoy_after, decoy_before,
        "decoys do not change at a rotation"
    );

    // k1 retired (decoys moved to k2 with it): a code still live under k1 is expired, uncounted.
    before
        .forgot_direct(&forgot("jane"), now.plus(3), &mut rng)
        .await
        .unwrap();
    let still_under_k1 = inbox.last_code("jane@example.com");
    put_secret(
        &sdk,
        &arn,
        &format!(r#"{{"current":"k2","decoy":"k2","k2":"{k2}"}}"#),
    )
    .await;
    let retired = start(&env, &inbox).await.unwrap();
    assert_eq!(
        retired
            .confirm_direct(&confirm("jane", &still_under_k1), now.plus(4))
            .await,
        Err(CognitoError::ExpiredCode)
    );
    assert_eq!(
        code_item(&client, &tables, "jane").await,
        ("k1".to_string(), "0".to_string())
    );

    let logs = logs.text();
    assert!(
        // Our start line and the SDK's own logging (which operations' spans reach a capture
        // depends on tracing's global callsite cache, shared with the other test of this binary).
        logs.contains("code keys read from Secrets Manager") && logs.contains("aws_"),
        "the start and the SDK's calls are in the capture: {logs}"
    );
    assert_no_secret(&logs, [k1.as_str(), &k1[..24], under_k1.as_str()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_secret_or_key_setting_fails_at_start_naming_it() {
    let sdk = sdk_at_moto().await;
    let tables = Tables {
        users: "unused-users".into(),
        codes: "unused-codes".into(),
    };
    let inbox = Arc::new(Inbox::default());
    let k = key(0x33);
    let short = STANDARD.encode([0x44u8; 16]);
    for (secret, expected) in [
        (
            format!(r#"{{"current":"k1","k1":"{k}"}}"#),
            r#""decoy" is missing"#,
        ),
        (
            format!(r#"{{"current":"k1","decoy":"k1","k1":"{short}"}}"#),
            "at least 32 bytes",
        ),
        (format!("k1={k}"), "not a JSON object"),
    ] {
        let arn = create_secret(&sdk, &secret).await;
        let err = start(&function_env(&tables, &arn), &inbox)
            .await
            .err()
            .expect("refused at start");
        assert_eq!(err.setting, "CODE_HASH_KEY_SECRET_ARN", "{err}");
        assert!(err.problem.contains(expected), "{err}");
        assert!(
            !err.to_string().contains(&k[..16]) && !err.to_string().contains(&short[..16]),
            "{err}"
        );
    }

    // No such secret: named, with the ARN.
    let missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:no-such-keys-AbCdEf";
    let err = start(&function_env(&tables, missing), &inbox)
        .await
        .err()
        .expect("refused at start");
    assert_eq!(err.setting, "CODE_HASH_KEY_SECRET_ARN");
    assert!(err.problem.contains("could not read the secret"), "{err}");

    // A literal key and a secret at once: refused, not silently ranked.
    let arn = create_secret(
        &sdk,
        &format!(r#"{{"current":"k1","decoy":"k1","k1":"{k}"}}"#),
    )
    .await;
    let mut both = function_env(&tables, &arn);
    both.insert("CODE_HASH_KEY".into(), k.clone());
    let err = start(&both, &inbox).await.err().expect("refused at start");
    assert_eq!(err.setting, "CODE_HASH_KEY_SECRET_ARN");
    assert!(err.problem.contains("not both"), "{err}");

    // A shared store with no key at all: refused, naming the setting to give.
    let mut none = function_env(&tables, &arn);
    none.remove("CODE_HASH_KEY_SECRET_ARN");
    let err = start(&none, &inbox).await.err().expect("refused at start");
    assert_eq!(err.setting, "CODE_HASH_KEY_SECRET_ARN");
    assert!(err.problem.contains("CODE_HASH_KEY"), "{err}");
}
