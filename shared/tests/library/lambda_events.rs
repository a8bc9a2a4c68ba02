//! The Lambda entry point: direct-invoke events and API Gateway HTTP API (payload 2.0) events.

#![cfg(feature = "lambda")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lambda_runtime::{Context, LambdaEvent};
use password_reset::config::Settings;
use password_reset::entry::protocol::Operation;
use serde_json::{Value, json};

fn service() -> password_reset::ResetService {
    let mut settings = Settings::from_json(include_str!("../../../config/demo-pool.json")).unwrap();
    settings.outbox.path = None;
    password_reset::embedded::assemble(&settings, &mut password_reset::request_rng(), false).service
}

fn http_event(body: &str, target: Option<&str>, base64: bool) -> Value {
    let mut headers = json!({"content-type": "application/x-amz-json-1.1"});
    if let Some(t) = target {
        headers["x-amz-target"] = json!(t);
    }
    json!({
        "version": "2.0", "routeKey": "POST /", "rawPath": "/", "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123", "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123", "http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.7", "userAgent": "aws-cli/2"}, "requestId": "r1", "routeKey": "POST /",
            "stage": "$default", "time": "27/Nov/2026:02:00:00 +0000", "timeEpoch": 1_795_000_000_000u64
        },
        "body": if base64 { base64_encode(body) } else { body.to_string() },
        "isBase64Encoded": base64
    })
}

fn base64_encode(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

async fn invoke(op: Operation, payload: Value) -> Result<Value, lambda_runtime::Diagnostic> {
    password_reset::entry::lambda::api::handle(
        &service(),
        op,
        LambdaEvent::new(payload, Context::default()),
    )
    .await
}

#[tokio::test]
async fn direct_invoke_answers_with_cognito_json() {
    let out = invoke(
        Operation::ForgotPassword,
        json!({"ClientId": "38fjsnc484p94kpqsnet7mpld0", "Username": "jane@example.com"}),
    )
    .await
    .unwrap();
    assert_eq!(out["CodeDeliveryDetails"]["Destination"], "j***@e***.com");
}

#[tokio::test]
async fn direct_invoke_errors_are_named_after_the_cognito_error() {
    let err = invoke(
        Operation::ForgotPassword,
        json!({"ClientId": "nope", "Username": "jane"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type, "ResourceNotFoundException");
    assert_eq!(err.error_message, "User pool client nope does not exist.");
    let err = invoke(Operation::ConfirmForgotPassword, json!({"ClientId": 7}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, "SerializationException");
}

#[tokio::test]
async fn http_api_events_answer_in_http_form() {
    let body = r#"{"ClientId":"38fjsnc484p94kpqsnet7mpld0","Username":"paul"}"#;
    for base64 in [false, true] {
        let out = invoke(
            Operation::ForgotPassword,
            http_event(
                body,
                Some("AWSCognitoIdentityProviderService.ForgotPassword"),
                base64,
            ),
        )
        .await
        .unwrap();
        assert_eq!(out["statusCode"], 200);
        assert_eq!(out["headers"]["content-type"], "application/x-amz-json-1.1");
        let inner: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
        assert_eq!(inner["CodeDeliveryDetails"]["DeliveryMedium"], "SMS");
    }
}

#[tokio::test]
async fn http_api_errors_carry_status_header_and_body() {
    let body = r#"{"ClientId":"38fjsnc484p94kpqsnet7mpld0","Username":"jane","ConfirmationCode":"1","Password":"N3w-Passw0rd!"}"#;
    let out = invoke(
        Operation::ConfirmForgotPassword,
        http_event(body, None, false),
    )
    .await
    .unwrap();
    assert_eq!(out["statusCode"], 400);
    assert_eq!(out["headers"]["x-amzn-errortype"], "CodeMismatchException");
    let inner: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        inner,
        json!({"__type": "CodeMismatchException", "message": "Invalid verification code provided, please try again."})
    );

    let wrong_target = invoke(
        Operation::ConfirmForgotPassword,
        http_event(
            body,
            Some("AWSCognitoIdentityProviderService.ForgotPassword"),
            false,
        ),
    )
    .await
    .unwrap();
    assert_eq!(wrong_target["statusCode"], 400);
    assert_eq!(
        wrong_target["headers"]["x-amzn-errortype"],
        "UnknownOperationException"
    );
}

/// A service whose callers may make two ForgotPasswords an hour.
fn service_with_two_requests_per_caller() -> password_reset::ResetService {
    let mut pool: Value =
        serde_json::from_str(include_str!("../../../config/demo-pool.json")).unwrap();
    pool["Codes"]["MaxRequestsPerCaller"] = json!(2);
    let mut settings = Settings::from_json(&pool.to_string()).unwrap();
    settings.outbox.path = None;
    password_reset::embedded::assemble(&settings, &mut password_reset::request_rng(), false).service
}

async fn forgot_over_http(
    service: &password_reset::ResetService,
    source_ip: &str,
    body: Value,
) -> (i64, String) {
    let mut event = http_event(
        &body.to_string(),
        Some("AWSCognitoIdentityProviderService.ForgotPassword"),
        false,
    );
    event["requestContext"]["http"]["sourceIp"] = json!(source_ip);
    let out = password_reset::entry::lambda::api::handle(
        service,
        Operation::ForgotPassword,
        LambdaEvent::new(event, Context::default()),
    )
    .await
    .unwrap();
    let kind = out["headers"]["x-amzn-errortype"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (out["statusCode"].as_i64().unwrap(), kind)
}

#[tokio::test]
async fn http_events_are_limited_by_their_source_ip() {
    let service = service_with_two_requests_per_caller();
    let request = |user: &str| json!({"ClientId": "38fjsnc484p94kpqsnet7mpld0", "Username": user});
    assert_eq!(
        forgot_over_http(&service, "203.0.113.7", request("u1"))
            .await
            .0,
        200
    );
    assert_eq!(
        forgot_over_http(&service, "203.0.113.7", request("u2"))
            .await
            .0,
        200
    );
    assert_eq!(
        forgot_over_http(&service, "203.0.113.7", request("u3")).await,
        (400, "LimitExceededException".to_string())
    );
    // Claiming another address in the body changes nothing over HTTP.
    let mut spoofed = request("u4");
    spoofed["UserContextData"] = json!({"IpAddress": "198.51.100.1"});
    assert_eq!(
        forgot_over_http(&service, "203.0.113.7", spoofed).await.1,
        "LimitExceededException"
    );
    // Another source address is another caller.
    assert_eq!(
        forgot_over_http(&service, "198.51.100.1", request("u5"))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn direct_invocations_are_limited_by_the_context_ip_when_given() {
    let service = service_with_two_requests_per_caller();
    let direct = |user: &str, ip: Option<&str>| {
        let mut body = json!({"ClientId": "38fjsnc484p94kpqsnet7mpld0", "Username": user});
        if let Some(ip) = ip {
            body["UserContextData"] = json!({"IpAddress": ip});
        }
        password_reset::entry::lambda::api::handle(
            &service,
            Operation::ForgotPassword,
            LambdaEvent::new(body, Context::default()),
        )
    };
    direct("u1", Some("192.0.2.5")).await.unwrap();
    direct("u2", Some("192.0.2.5")).await.unwrap();
    let err = direct("u3", Some("192.0.2.5")).await.unwrap_err();
    assert_eq!(err.error_type, "LimitExceededException");
    assert_eq!(
        err.error_message,
        "Attempt limit exceeded, please try after some time."
    );
    // Without an address there is no caller to limit (only the per-user limits apply).
    for user in ["u4", "u5", "u6"] {
        direct(user, None).await.unwrap();
    }
}
