//! The Lambda entry point shared by forgot-password and confirm-forgot-password: a direct-invoke
//! event (Cognito's request JSON) answers with the response JSON or a Lambda error named after the
//! Cognito error; an API Gateway HTTP API (payload 2.0) or Function URL request answers in kind.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::HeaderValue;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;

use crate::domain::error::CognitoError;
use crate::domain::time::UnixTime;
use crate::protocol::{self, CONTENT_TYPE, HttpReply, Operation};
use crate::usecases::ResetService;

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
    protocol::execute(service, operation, &body, now, &mut rng)
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
    HttpReply::from(protocol::execute(service, operation, &body, now, rng).await)
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

/// Builds the service from the environment, once per container. `STORE` and `DELIVERY` choose the
/// adapters; until the AWS adapters are configured, the embedded ones serve (`memory`, `outbox`).
pub async fn service_from_env() -> Result<ResetService, crate::config::ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    let settings = crate::config::Settings::from_env(env)?;
    let store = env("STORE").unwrap_or_else(|| "memory".into());
    match store.as_str() {
        "memory" => {}
        #[cfg(feature = "dynamodb")]
        "dynamodb" => {}
        other => {
            return Err(crate::config::ConfigError {
                setting: "STORE".into(),
                problem: format!("{other:?} is not a known store (memory, dynamodb)"),
            });
        }
    }
    let delivery = env("DELIVERY").unwrap_or_else(|| "outbox".into());
    match delivery.as_str() {
        "outbox" => {}
        #[cfg(all(feature = "ses", feature = "sms"))]
        "aws" => {}
        other => {
            return Err(crate::config::ConfigError {
                setting: "DELIVERY".into(),
                problem: format!("{other:?} is not a known delivery (outbox, aws)"),
            });
        }
    }
    let mut rng = crate::request_rng();
    if settings.key.is_none() {
        tracing::warn!(
            "CODE_HASH_KEY is not set: a random key is used, so codes do not survive a cold start"
        );
    }
    let embedded = crate::embedded::assemble(&settings, &mut rng, false);
    #[allow(unused_mut)]
    let mut service = embedded.service;
    #[cfg(feature = "dynamodb")]
    if store == "dynamodb" {
        let dynamo = std::sync::Arc::new(
            crate::adapters::dynamodb::store_from_env(env, &settings.pool.codes).await?,
        );
        service.users = dynamo.clone();
        service.codes = dynamo;
    }
    #[cfg(all(feature = "ses", feature = "sms"))]
    if delivery == "aws" {
        let aws = crate::adapters::aws_delivery::AwsDelivery::from_env(env).await?;
        service.email = aws.email;
        service.sms = aws.sms;
    }
    // In-process UserMigration_ForgotPassword: a legacy table (LEGACY_TABLE) when one is configured.
    #[cfg(feature = "dynamodb")]
    if let Some(legacy) =
        crate::adapters::legacy_dynamodb::DynamoDbLegacyUsers::from_env(&env).await?
    {
        service.legacy = Some(std::sync::Arc::new(legacy));
    }
    tracing::info!(store = %store, delivery = %delivery, "service configured");
    Ok(service)
}
