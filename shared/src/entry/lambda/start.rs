//! A function's start that failed (a bad setting, an unreadable secret) is posted to the Runtime
//! API's `/runtime/init/error` before the process exits, as Lambda's own runtimes do: Lambda then
//! logs it as the init error and answers the invocation with it, and so does the emulator behind
//! `sam local invoke`, which otherwise prints nothing and exits 0 (the reason only in the
//! container's log).

use std::fmt::Display;

use lambda_runtime::Diagnostic;
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{Client, build_request};

/// Where the Runtime API listens (`host:port`), set by Lambda and by the emulators.
const RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";
const INIT_ERROR_PATH: &str = "/2018-06-01/runtime/init/error";
/// The header naming the kind of failure, as Lambda's runtimes send it for a failed start.
const ERROR_TYPE_HEADER: &str = "Lambda-Runtime-Function-Error-Type";
const INIT_ERROR: &str = "Runtime.InitError";

/// `setup`'s value, or its error reported as the init error (`error_type` names what failed, the
/// error's text is the message) and returned for `main` to end with.
pub async fn started<T, E>(
    setup: Result<T, E>,
    error_type: &str,
) -> Result<T, lambda_runtime::Error>
where
    E: Display + Into<lambda_runtime::Error>,
{
    match setup {
        Ok(value) => Ok(value),
        Err(error) => {
            tracing::error!(error = %error, "the function could not start");
            let diagnostic = Diagnostic {
                error_type: error_type.to_string(),
                error_message: error.to_string(),
            };
            if let Err(unsent) = report(&diagnostic).await {
                tracing::warn!(problem = %unsent, "the start failure was not reported to the Runtime API");
            }
            Err(error.into())
        }
    }
}

/// Posts `diagnostic` to the Runtime API named by `AWS_LAMBDA_RUNTIME_API`; outside Lambda (no
/// such variable) there is nothing to report to.
async fn report(diagnostic: &Diagnostic) -> Result<(), String> {
    let Some(address) = std::env::var(RUNTIME_API).ok().filter(|a| !a.is_empty()) else {
        return Ok(());
    };
    let base = format!("http://{address}")
        .parse()
        .map_err(|e| format!("{RUNTIME_API}={address:?}: {e}"))?;
    let client = Client::builder()
        .with_endpoint(base)
        .build()
        .map_err(|e| e.to_string())?;
    let body = serde_json::to_vec(diagnostic).map_err(|e| e.to_string())?;
    let request = build_request()
        .method(http::Method::POST)
        .uri(INIT_ERROR_PATH)
        .header(ERROR_TYPE_HEADER, INIT_ERROR)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .map_err(|e| e.to_string())?;
    let answer = client.call(request).await.map_err(|e| e.to_string())?;
    if !answer.status().is_success() {
        return Err(format!("the Runtime API answered {}", answer.status()));
    }
    Ok(())
}
