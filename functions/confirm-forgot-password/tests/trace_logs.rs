//! `LogLevel=TRACE` (AWS_LAMBDA_LOG_LEVEL / RUST_LOG) must not put a raw event in the log:
//! lambda_runtime logs each event body at TRACE, and a ConfirmForgotPassword event carries the
//! code, the new password and the SecretHash. The function binary runs against a fake Lambda
//! Runtime API and is fed one such event.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Stdio;
use std::time::Duration;

use bench_harness::runtime_api::RuntimeApi;

const CODE: &str = "482913";
const PASSWORD: &str = "Tr4ce-Passw0rd!";
const SECRET_HASH: &str = "c2VjcmV0LWhhc2gtbmV2ZXItbG9nZ2Vk";

#[tokio::test]
async fn a_raw_event_never_reaches_the_log_even_at_trace() {
    let mut api = RuntimeApi::start().await.unwrap();

    let log_path = std::env::temp_dir().join(format!("trace-logs-{}.log", std::process::id()));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_confirm-forgot-password"))
        .env_clear()
        .envs(api.environment("confirm", "test"))
        // What LogLevel=TRACE sets, and RUST_LOG asking for the runtime's target by name.
        .env("AWS_LAMBDA_LOG_LEVEL", "TRACE")
        .env("RUST_LOG", "trace,lambda_runtime=trace")
        .env("DIRECTORY", "memory")
        .env("STORE", "memory")
        .env("DELIVERY", "outbox")
        .env(
            "APP_CLIENTS",
            r#"[{"ClientId":"38fjsnc484p94kpqsnet7mpld0"}]"#,
        )
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let event = serde_json::json!({
        "ClientId": "38fjsnc484p94kpqsnet7mpld0", "Username": "jane",
        "ConfirmationCode": CODE, "Password": PASSWORD, "SecretHash": SECRET_HASH
    });
    api.events
        .send(("req-1".into(), event.to_string().into()))
        .unwrap();
    let answered = tokio::time::timeout(Duration::from_secs(60), api.outcomes.recv())
        .await
        .expect("the function answers")
        .unwrap();
    let answered = String::from_utf8_lossy(&answered.body);
    assert!(answered.contains("Exception"), "{answered}");
    child.kill().await.unwrap();

    let logs = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    assert!(logs.contains("TRACE"), "the log is at TRACE: {logs}");
    assert!(
        logs.contains("request refused"),
        "the request is logged: {logs}"
    );
    for secret in [CODE, PASSWORD, SECRET_HASH] {
        assert!(!logs.contains(secret), "the log leaks {secret}:\n{logs}");
    }
}
