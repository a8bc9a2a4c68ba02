//! A fake Lambda Invoke API (moto's own Lambda needs Docker images it cannot fetch here):
//! `POST /2015-03-31/functions/{FunctionName}/invocations` runs the command registered for that
//! function (a team's trigger stood in by a small script or a real function binary) with the event
//! on its stdin, and answers its stdout as the payload. A command that exits non-zero is a function
//! error, as Lambda reports one: status 200, `X-Amz-Function-Error: Unhandled`, and
//! `{"errorType", "errorMessage"}` with its last stderr line. An unknown function is Lambda's
//! `ResourceNotFoundException`. Every invocation is recorded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

/// One invocation as the fake received it.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The `FunctionName` of the path, decoded: an ARN or a name.
    pub function: String,
    pub event: Value,
}

#[derive(Default)]
struct Functions {
    /// Function name or ARN -> the command standing in for it (program, then arguments).
    commands: HashMap<String, Vec<String>>,
    invocations: Vec<Invocation>,
}

pub struct FakeLambda {
    pub endpoint: String,
    state: Arc<Mutex<Functions>>,
}

impl FakeLambda {
    /// Serves on a free loopback port from its own thread and runtime.
    pub fn start() -> FakeLambda {
        let state = Arc::new(Mutex::new(Functions::default()));
        let app = Router::new()
            .route("/2015-03-31/functions/{name}/invocations", post(invoke))
            .with_state(state.clone());
        let mut runtime = tokio::runtime::Builder::new_multi_thread();
        runtime.worker_threads(2);
        FakeLambda {
            endpoint: crate::loopback::serve(runtime, app),
            state,
        }
    }

    /// `function` (its ARN, as a pool's LambdaConfig names it) runs `command`.
    pub fn register(&self, function: &str, command: &[&str]) {
        self.state.lock().unwrap().commands.insert(
            function.into(),
            command.iter().map(|s| s.to_string()).collect(),
        );
    }

    /// `function` is a Python script (`python3 -c script`): it reads the event as JSON on stdin
    /// and prints its answer; raising is a function error.
    pub fn register_python(&self, function: &str, script: &str) {
        self.register(function, &["python3", "-c", script]);
    }

    pub fn invocations(&self) -> Vec<Invocation> {
        self.state.lock().unwrap().invocations.clone()
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn invoke(
    State(state): State<Arc<Mutex<Functions>>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let function = percent_decode(&name);
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let command = {
        let mut state = state.lock().unwrap();
        state.invocations.push(Invocation {
            function: function.clone(),
            event,
        });
        state.commands.get(&function).cloned()
    };
    let Some(command) = command else {
        let message = format!("Function not found: {function}");
        return (
            StatusCode::NOT_FOUND,
            [("x-amzn-ErrorType", "ResourceNotFoundException")],
            json!({"Type": "User", "Message": message}).to_string(),
        )
            .into_response();
    };
    let mut child = tokio::process::Command::new(&command[0])
        .args(&command[1..])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&body).await.unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    if output.status.success() {
        return (StatusCode::OK, output.stdout).into_response();
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let message = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("Unhandled");
    let (error_type, error_message) = match message.split_once(": ") {
        Some((kind, text)) if !kind.contains(' ') => (kind.to_string(), text.to_string()),
        _ => ("Error".to_string(), message.to_string()),
    };
    (
        StatusCode::OK,
        [("X-Amz-Function-Error", "Unhandled")],
        json!({"errorType": error_type, "errorMessage": error_message}).to_string(),
    )
        .into_response()
}
