//! `LogLevel=TRACE` (AWS_LAMBDA_LOG_LEVEL / RUST_LOG) must not put a raw event in the log:
//! lambda_runtime logs each event body at TRACE, and a ConfirmForgotPassword event carries the
//! code, the new password and the SecretHash. The function binary runs against a fake Lambda
//! Runtime API and is fed one such event.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use tokio::sync::{Mutex, mpsc};

const API: &str = "/2018-06-01/runtime";
const CODE: &str = "482913";
const PASSWORD: &str = "Tr4ce-Passw0rd!";
const SECRET_HASH: &str = "c2VjcmV0LWhhc2gtbmV2ZXItbG9nZ2Vk";

struct Api {
    events: Mutex<mpsc::UnboundedReceiver<String>>,
    answers: mpsc::UnboundedSender<String>,
}

async fn next(State(api): State<Arc<Api>>) -> Result<(HeaderMap, String), StatusCode> {
    let body = api
        .events
        .lock()
        .await
        .recv()
        .await
        .ok_or(StatusCode::GONE)?;
    let mut headers = HeaderMap::new();
    headers.insert(
        "lambda-runtime-aws-request-id",
        HeaderValue::from_static("req-1"),
    );
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 60_000;
    headers.insert(
        "lambda-runtime-deadline-ms",
        HeaderValue::from_str(&deadline.to_string()).unwrap(),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        HeaderValue::from_static("arn:aws:lambda:us-east-1:123456789012:function:confirm"),
    );
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    Ok((headers, body))
}

async fn answer(State(api): State<Arc<Api>>, body: String) -> StatusCode {
    let _ = api.answers.send(body);
    StatusCode::ACCEPTED
}

#[tokio::test]
async fn a_raw_event_never_reaches_the_log_even_at_trace() {
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let (answer_tx, mut answers) = mpsc::unbounded_channel();
    let api = Arc::new(Api {
        events: Mutex::new(event_rx),
        answers: answer_tx,
    });
    let app = Router::new()
        .route(&format!("{API}/invocation/next"), get(next))
        .route(&format!("{API}/invocation/{{id}}/response"), post(answer))
        .route(&format!("{API}/invocation/{{id}}/error"), post(answer))
        .route(&format!("{API}/init/error"), post(answer))
        .with_state(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let log_path = std::env::temp_dir().join(format!("trace-logs-{}.log", std::process::id()));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_confirm-forgot-password"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "confirm")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/confirm")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_REGION", "us-east-1")
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
    event_tx.send(event.to_string()).unwrap();
    let answered = tokio::time::timeout(Duration::from_secs(60), answers.recv())
        .await
        .expect("the function answers")
        .unwrap();
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
