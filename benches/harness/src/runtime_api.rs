//! A Lambda Runtime API of our own (the 2018-06-01 interface a bootstrap polls) on a loopback
//! port: each `next` hands over one event and is timed, each answer or error is heard back. The
//! cold-start bench and the functions' log tests run their bootstraps under it.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

const API: &str = "/2018-06-01/runtime";

/// One answer of the function: a response (`ok`) or an error (invocation or init).
pub struct Outcome {
    pub at: Instant,
    pub ok: bool,
    pub body: Bytes,
}

/// The API serving; the side that feeds events and hears the outcomes. Dropping it stops it.
pub struct RuntimeApi {
    pub port: u16,
    /// When the function asked for its next event.
    pub polls: mpsc::UnboundedReceiver<Instant>,
    /// (request id, event body), handed over one per poll.
    pub events: mpsc::UnboundedSender<(String, Bytes)>,
    pub outcomes: mpsc::UnboundedReceiver<Outcome>,
    server: JoinHandle<std::io::Result<()>>,
}

/// What the handlers share.
struct Api {
    polls: mpsc::UnboundedSender<Instant>,
    events: Mutex<mpsc::UnboundedReceiver<(String, Bytes)>>,
    outcomes: mpsc::UnboundedSender<Outcome>,
}

impl RuntimeApi {
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let (poll_tx, polls) = mpsc::unbounded_channel();
        let (events, event_rx) = mpsc::unbounded_channel();
        let (outcome_tx, outcomes) = mpsc::unbounded_channel();
        let api = Arc::new(Api {
            polls: poll_tx,
            events: Mutex::new(event_rx),
            outcomes: outcome_tx,
        });
        let response =
            |State(api): State<Arc<Api>>, body: Bytes| async move { outcome(&api, true, body) };
        let error =
            |State(api): State<Arc<Api>>, body: Bytes| async move { outcome(&api, false, body) };
        let app = Router::new()
            .route(&format!("{API}/invocation/next"), get(next))
            .route(&format!("{API}/invocation/{{id}}/response"), post(response))
            .route(&format!("{API}/invocation/{{id}}/error"), post(error))
            .route(&format!("{API}/init/error"), post(error))
            .with_state(api);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(RuntimeApi {
            port,
            polls,
            events,
            outcomes,
            server,
        })
    }

    /// The environment Lambda gives the process of `function` under this API (logs to `stream`).
    pub fn environment(&self, function: &str, stream: &str) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{}", self.port)),
            ("AWS_LAMBDA_FUNCTION_NAME", function.to_string()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_string()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function}"),
            ),
            ("AWS_LAMBDA_LOG_STREAM_NAME", stream.to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_DEFAULT_REGION", "us-east-1".to_string()),
        ]
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(api): State<Arc<Api>>) -> Result<(HeaderMap, Bytes), StatusCode> {
    let _ = api.polls.send(Instant::now());
    let (id, body) = api
        .events
        .lock()
        .await
        .recv()
        .await
        .ok_or(StatusCode::GONE)?;
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        + 900_000;
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    put("lambda-runtime-aws-request-id", id);
    put("lambda-runtime-deadline-ms", deadline.to_string());
    put(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:bench".into(),
    );
    put(
        "lambda-runtime-trace-id",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0".into(),
    );
    put("content-type", "application/json".into());
    Ok((headers, body))
}

fn outcome(api: &Api, ok: bool, body: Bytes) -> StatusCode {
    let _ = api.outcomes.send(Outcome {
        at: Instant::now(),
        ok,
        body,
    });
    StatusCode::ACCEPTED
}
