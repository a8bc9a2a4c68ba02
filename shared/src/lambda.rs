//! The Lambda entry point shared by forgot-password and confirm-forgot-password: a direct-invoke
//! event (Cognito's request JSON) answers with the response JSON or a Lambda error named after the
//! Cognito error; an API Gateway HTTP API (payload 2.0) or Function URL request answers in kind.
//! `run` is each function's whole `main`.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::HeaderValue;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;

use crate::domain::caller::Caller;
use crate::domain::error::CognitoError;
use crate::domain::time::UnixTime;
use crate::protocol::{self, CONTENT_TYPE, HttpReply, Operation};
use crate::usecases::ResetService;

/// An API function's `main`: the log subscriber, then the service built once from the environment
/// (a bad setting stops the function here, named), then a thin handler borrowing it for every
/// invocation of `operation`.
pub async fn run(operation: Operation) -> Result<(), lambda_runtime::Error> {
    crate::lambda_log::init();
    crate::lambda_metrics::init(operation.function());
    let service = crate::assembly::service_from_env().await?;
    let service = &service;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<Value>| async move {
            crate::lambda_metrics::flushed(handle(service, operation, event)).await
        },
    ))
    .await
}

fn is_http(event: &Value) -> bool {
    event.get("requestContext").is_some_and(Value::is_object)
}

/// One invocation of `operation`, whatever form the event takes.
pub async fn handle(
    service: &ResetService,
    operation: Operation,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic> {
    let now = UnixTime::now();
    let mut rng = crate::request_rng();
    if is_http(&event.payload) {
        let reply = match serde_json::from_value::<ApiGatewayV2httpRequest>(event.payload) {
            Ok(request) => http(service, operation, request, now, &mut rng).await,
            Err(e) => HttpReply::from(Err(CognitoError::Serialization(format!(
                "Malformed HTTP event: {e}"
            )))),
        };
        return http_response(reply);
    }
    let body = serde_json::to_vec(&event.payload)
        .map_err(|e| diagnostic(&CognitoError::Serialization(e.to_string())))?;
    // No source address of its own: UserContextData.IpAddress, when given, names the caller.
    protocol::execute(
        service,
        operation,
        &body,
        &Caller::direct_invoke(),
        now,
        &mut rng,
    )
    .await
    .map_err(|e| diagnostic(&e))
}

async fn http(
    service: &ResetService,
    operation: Operation,
    request: ApiGatewayV2httpRequest,
    now: UnixTime,
    rng: &mut rand::rngs::StdRng,
) -> HttpReply {
    // A target header, when sent, must name this function's operation.
    let target = request
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    if target.is_some() {
        match Operation::from_target(target) {
            Ok(named) if named == operation => {}
            Ok(named) => {
                return HttpReply::from(Err(CognitoError::UnknownOperation(format!(
                    "This endpoint serves {}, not {}.",
                    operation.name(),
                    named.name()
                ))));
            }
            Err(e) => return HttpReply::from(Err(e)),
        }
    }
    let caller = http_caller(&request);
    let raw = request.body.unwrap_or_default();
    let body = if request.is_base64_encoded {
        match STANDARD.decode(raw.as_bytes()) {
            Ok(bytes) => bytes,
            Err(_) => {
                return HttpReply::from(Err(CognitoError::Serialization(
                    "Body is not valid base64.".into(),
                )));
            }
        }
    } else {
        raw.into_bytes()
    };
    HttpReply::from(protocol::execute(service, operation, &body, &caller, now, rng).await)
}

/// The caller API Gateway saw: `requestContext.http.sourceIp` (the TCP peer, or the address a
/// trusted proxy in front of the API reported). Whatever the body's `UserContextData.IpAddress`
/// says is not believed over HTTP.
fn http_caller(request: &ApiGatewayV2httpRequest) -> Caller {
    let source = request.request_context.http.source_ip.as_deref();
    match source.and_then(|ip| ip.trim().parse().ok()) {
        Some(ip) => Caller::peer(ip),
        None => {
            tracing::warn!("HTTP event without a usable sourceIp: no per-network limit");
            Caller::unknown()
        }
    }
}

fn http_response(reply: HttpReply) -> Result<Value, Diagnostic> {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(reply.status);
    response
        .headers
        .insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
    if let Some(kind) = reply.error_type {
        response
            .headers
            .insert("x-amzn-errortype", HeaderValue::from_static(kind));
    }
    response.body = Some(Body::Text(reply.body));
    serde_json::to_value(response)
        .map_err(|e| diagnostic(&CognitoError::Serialization(e.to_string())))
}

fn diagnostic(error: &CognitoError) -> Diagnostic {
    Diagnostic {
        error_type: error.kind().to_string(),
        error_message: error.to_string(),
    }
}
