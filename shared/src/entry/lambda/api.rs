//! The Lambda entry point shared by forgot-password and confirm-forgot-password: a direct-invoke
//! event (Cognito's request JSON) answers with the response JSON or a Lambda error named after the
//! Cognito error; an API Gateway HTTP API (payload 2.0) or Function URL request answers in kind,
//! with `x-amzn-RequestId` (API Gateway's request id, the one its access log holds) on every answer
//! and in the request's log lines; a `GET` there is the reset page; an SQS batch, to the confirm
//! function, is the sign-out retry queue's (`owed_sign_outs`). Behind CloudFront
//! (`ORIGIN_VERIFY_SECRET_ARN`) an HTTP request must carry the origin secret (`entry::edge`). `run`
//! is each function's whole `main`.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use std::sync::OnceLock;

use aws_lambda_events::http::{HeaderValue, Method};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;
use tracing::Instrument;

use crate::domain::caller::Caller;
use crate::domain::error::CognitoError;
use crate::domain::time::UnixTime;
use crate::entry::edge::OriginVerifier;
use crate::entry::protocol::{self, HttpReply, Operation, REQUEST_ID};
use crate::entry::reset_page::{self, Page};
use crate::usecases::ResetService;

/// An API function's `main`: the log subscriber, then the service built once from the environment
/// (a bad setting stops the function here, named), then a thin handler borrowing it for every
/// invocation of `operation`.
pub async fn run(operation: Operation) -> Result<(), lambda_runtime::Error> {
    crate::entry::lambda::log::init();
    crate::entry::lambda::metrics::init(operation.function());
    let setup = crate::assembly::service_from_env(operation).await;
    let (service, wiring, origin) =
        crate::entry::lambda::start::started(setup, "ConfigError").await?;
    let service = &service;
    let front = &Front {
        page: wiring.reset_page,
        origin,
    };
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<Value>| async move {
            crate::entry::lambda::metrics::flushed(handle_with_front(
                service, operation, front, event,
            ))
            .await
        },
    ))
    .await
}

/// How the function meets HTTP requests beyond Cognito's protocol.
#[derive(Debug, Clone)]
pub struct Front {
    /// `RESET_PAGE`: a `GET` is the reset page, else 404 Not Found.
    pub page: bool,
    /// `ORIGIN_VERIFY_SECRET_ARN`'s secret: only requests CloudFront sent are served, and the
    /// viewer it names is the caller.
    pub origin: Option<OriginVerifier>,
}

impl Front {
    /// Who sent `request`: behind CloudFront the viewer it names, once the origin secret is found
    /// (else ForbiddenException, the page included); directly, API Gateway's `sourceIp`.
    fn caller(&self, request: &ApiGatewayV2httpRequest) -> Result<Caller, CognitoError> {
        match &self.origin {
            Some(origin) => origin.caller(&request.headers),
            None => Ok(http_caller(request)),
        }
    }
}

fn is_http(event: &Value) -> bool {
    event.get("requestContext").is_some_and(Value::is_object)
}

/// One invocation of `operation`, whatever form the event takes, the reset page served.
pub async fn handle(
    service: &ResetService,
    operation: Operation,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic> {
    handle_with_page(service, operation, true, event).await
}

/// As `handle`; with `page` false (`RESET_PAGE=false`) a `GET` is 404 Not Found.
pub async fn handle_with_page(
    service: &ResetService,
    operation: Operation,
    page: bool,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic> {
    let front = Front { page, origin: None };
    handle_with_front(service, operation, &front, event).await
}

/// As `handle`, HTTP requests met as `front` says.
pub async fn handle_with_front(
    service: &ResetService,
    operation: Operation,
    front: &Front,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic> {
    #[cfg(feature = "sqs")]
    if operation == Operation::ConfirmForgotPassword
        && super::owed_sign_outs::is_queue_event(&event.payload)
    {
        return super::owed_sign_outs::handle(service, event.payload).await;
    }
    let now = UnixTime::now();
    let mut rng = crate::request_rng();
    if is_http(&event.payload) {
        let request = serde_json::from_value::<ApiGatewayV2httpRequest>(event.payload);
        // API Gateway's id when it sent one (its access log holds it too), else Lambda's.
        let request_id = request
            .as_ref()
            .ok()
            .and_then(|r| r.request_context.request_id.clone())
            .unwrap_or(event.context.request_id);
        let span = tracing::info_span!("request", request_id = %request_id);
        return async {
            let answer = match request {
                Ok(request) => match front.caller(&request) {
                    Err(bypassed) => HttpReply::from(Err(operation.rejected(bypassed))).into(),
                    Ok(_) if request.request_context.http.method == Method::GET => {
                        if front.page {
                            page_response(rendered_page(service))
                        } else {
                            not_found()
                        }
                    }
                    Ok(caller) => http(service, operation, request, &caller, now, &mut rng)
                        .await
                        .into(),
                },
                Err(e) => HttpReply::from(Err(operation.rejected(CognitoError::Serialization(
                    format!("Malformed HTTP event: {e}"),
                ))))
                .into(),
            };
            answered(answer, operation, &request_id)
        }
        .instrument(span)
        .await;
    }
    let body = serde_json::to_vec(&event.payload).map_err(|e| {
        Diagnostic::from(operation.rejected(CognitoError::Serialization(e.to_string())))
    })?;
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
    .map_err(Diagnostic::from)
}

async fn http(
    service: &ResetService,
    operation: Operation,
    request: ApiGatewayV2httpRequest,
    caller: &Caller,
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
                return HttpReply::from(Err(operation.rejected(CognitoError::UnknownOperation(
                    format!(
                        "This endpoint serves {}, not {}.",
                        operation.name(),
                        named.name()
                    ),
                ))));
            }
            Err(e) => return HttpReply::from(Err(operation.rejected(e))),
        }
    }
    let raw = request.body.unwrap_or_default();
    let body = if request.is_base64_encoded {
        match STANDARD.decode(raw.as_bytes()) {
            Ok(bytes) => bytes,
            Err(_) => {
                return HttpReply::from(Err(operation.rejected(CognitoError::Serialization(
                    "Body is not valid base64.".into(),
                ))));
            }
        }
    } else {
        raw.into_bytes()
    };
    HttpReply::from(protocol::execute(service, operation, &body, caller, now, rng).await)
}

/// The caller API Gateway saw: `requestContext.http.sourceIp` (the TCP peer; behind CloudFront,
/// `Front::origin` names the viewer instead). Whatever the body's `UserContextData.IpAddress`
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

impl From<HttpReply> for ApiGatewayV2httpResponse {
    fn from(reply: HttpReply) -> Self {
        api_gateway(reply.into_response())
    }
}

/// An HTTP answer in API Gateway's payload 2.0 form.
fn api_gateway(answer: aws_lambda_events::http::Response<String>) -> ApiGatewayV2httpResponse {
    let (parts, body) = answer.into_parts();
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(parts.status.as_u16());
    response.headers = parts.headers;
    response.body = Some(Body::Text(body));
    response
}

/// The reset page for this function's pool, rendered once per container.
fn rendered_page(service: &ResetService) -> &'static Page {
    static PAGE: OnceLock<Page> = OnceLock::new();
    PAGE.get_or_init(|| reset_page::for_pool(&service.pool))
}

fn page_response(page: &Page) -> ApiGatewayV2httpResponse {
    api_gateway(page.response())
}

/// API Gateway's own answer for a route it does not have.
fn not_found() -> ApiGatewayV2httpResponse {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = 404;
    response
        .headers
        .insert("content-type", HeaderValue::from_static("application/json"));
    response.body = Some(Body::Text(r#"{"message":"Not Found"}"#.into()));
    response
}

/// The answer with its request id, logged once.
fn answered(
    mut response: ApiGatewayV2httpResponse,
    operation: Operation,
    request_id: &str,
) -> Result<Value, Diagnostic> {
    if let Ok(id) = HeaderValue::from_str(request_id) {
        response.headers.insert(REQUEST_ID, id);
    }
    tracing::info!(
        operation = operation.name(),
        status = response.status_code,
        "answered"
    );
    serde_json::to_value(response).map_err(|e| CognitoError::Serialization(e.to_string()).into())
}
