//! Fuzzing the decoders with proptest: Cognito's JSON protocol (arbitrary bytes and JSON), the
//! Lambda entry point (direct events and HTTP API 2.0 requests) and the pool file reader. No
//! input may panic; every bad request is a Cognito client error (HTTP 400), never a 500.

#![cfg(feature = "lambda")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use lambda_runtime::{Context, LambdaEvent};
use password_reset::config::Settings;
use password_reset::domain::time::UnixTime;
use password_reset::entry::protocol::{self, Operation};
use password_reset::{CognitoError, ResetService};
use proptest::prelude::*;
use serde_json::{Value, json as j};
use test_support::arb_json::{CASES, json, mutate};

const T0: UnixTime = UnixTime(1_800_000_000);

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

fn service() -> &'static ResetService {
    static SERVICE: OnceLock<ResetService> = OnceLock::new();
    SERVICE.get_or_init(|| {
        let mut settings =
            Settings::from_json(include_str!("../../../config/demo-pool.json")).unwrap();
        settings.outbox.path = None;
        // Enough requests that the limit never hides the decoders behind LimitExceeded.
        settings.pool.codes.max_requests = u32::MAX;
        password_reset::embedded::assemble(&settings, &mut password_reset::request_rng(), false)
            .service
    })
}

fn valid_forgot() -> Value {
    j!({"ClientId": "38fjsnc484p94kpqsnet7mpld0", "Username": "jane",
        "ClientMetadata": {"k": "v"}, "UserContextData": {"IpAddress": "192.0.2.1", "EncodedData": "x"},
        "AnalyticsMetadata": {"AnalyticsEndpointId": "e"}})
}

fn valid_confirm() -> Value {
    j!({"ClientId": "38fjsnc484p94kpqsnet7mpld0", "Username": "jane", "ConfirmationCode": "123456",
        "Password": "N3w-Passw0rd!", "ClientMetadata": {"k": "v"}})
}

fn operation(confirm: bool) -> Operation {
    if confirm {
        Operation::ConfirmForgotPassword
    } else {
        Operation::ForgotPassword
    }
}

fn execute(confirm: bool, body: &[u8]) -> Result<Value, CognitoError> {
    runtime().block_on(protocol::execute(
        service(),
        operation(confirm),
        body,
        &password_reset::domain::caller::Caller::unknown(),
        T0,
        &mut password_reset::request_rng(),
    ))
}

fn assert_client_error(result: &Result<Value, CognitoError>) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        prop_assert_eq!(e.http_status(), 400, "{:?}", e);
        prop_assert!(e.kind().ends_with("Exception"), "{:?}", e);
    }
    Ok(())
}

fn handle(payload: Value) -> Result<Value, lambda_runtime::Diagnostic> {
    let confirm = payload.to_string().len().is_multiple_of(2);
    runtime().block_on(password_reset::entry::lambda::api::handle(
        service(),
        operation(confirm),
        LambdaEvent::new(payload, Context::default()),
    ))
}

fn http_event(body: Value, base64: bool, target: Option<String>) -> Value {
    let raw = match &body {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let body = if base64 {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(raw)
    } else {
        raw
    };
    let mut headers = j!({"content-type": "application/x-amz-json-1.1"});
    if let Some(t) = target {
        headers["x-amz-target"] = Value::String(t);
    }
    j!({"version": "2.0", "routeKey": "POST /", "rawPath": "/", "rawQueryString": "",
        "headers": headers, "isBase64Encoded": base64, "body": body,
        "requestContext": {"accountId": "123456789012", "apiId": "api", "domainName": "d",
            "domainPrefix": "d", "requestId": "r", "routeKey": "POST /", "stage": "$default",
            "time": "t", "timeEpoch": 0,
            "http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "fuzz"}}})
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn protocol_arbitrary_bytes(confirm: bool, body in prop::collection::vec(any::<u8>(), 0..512)) {
        assert_client_error(&execute(confirm, &body))?;
    }

    #[test]
    fn protocol_arbitrary_json(confirm: bool, body in json()) {
        assert_client_error(&execute(confirm, body.to_string().as_bytes()))?;
    }

    #[test]
    fn protocol_requests_with_one_field_changed(
        confirm: bool, pick: usize, value in proptest::option::of(json())) {
        let base = if confirm { valid_confirm() } else { valid_forgot() };
        let body = mutate(&base, pick, value);
        assert_client_error(&execute(confirm, body.to_string().as_bytes()))?;
    }

    #[test]
    fn lambda_direct_events(payload in json()) {
        if let Err(d) = handle(payload) {
            prop_assert!(d.error_type.ends_with("Exception"), "{:?}", d);
            prop_assert_ne!(d.error_type.as_str(), "InternalErrorException");
        }
    }

    #[test]
    fn lambda_http_events(
        body in prop_oneof![json(), Just(valid_forgot()), Just(valid_confirm())],
        base64: bool,
        target in proptest::option::of(prop_oneof![
            Just("AWSCognitoIdentityProviderService.ForgotPassword".to_string()),
            Just("AWSCognitoIdentityProviderService.ConfirmForgotPassword".to_string()),
            "\\PC{0,30}",
        ]),
        pick: usize,
        value in proptest::option::of(json()),
    ) {
        // Whole events mutated too: a broken envelope is a 400 in Cognito's form, never a panic.
        let event = http_event(body, base64, target);
        let event = if pick.is_multiple_of(3) { mutate(&event, pick / 3, value) } else { event };
        let is_http = event.get("requestContext").is_some_and(Value::is_object);
        match handle(event) {
            Ok(reply) if is_http => {
                let status = reply["statusCode"].as_i64().unwrap_or_default();
                prop_assert!(status == 200 || status == 400, "{}", reply);
                if status == 400 {
                    let body: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
                    prop_assert!(body["__type"].as_str().unwrap().ends_with("Exception"));
                }
            }
            Ok(_) => {}
            Err(d) => {
                prop_assert!(!is_http, "an HTTP event answers in HTTP form: {:?}", d);
                prop_assert!(d.error_type.ends_with("Exception"), "{:?}", d);
                prop_assert_ne!(d.error_type.as_str(), "InternalErrorException");
            }
        }
    }

    #[test]
    fn pool_file_arbitrary_text(text in "\\PC{0,200}") {
        let _ = Settings::from_json(&text);
    }

    #[test]
    fn pool_file_arbitrary_json(file in json()) {
        let _ = Settings::from_json(&file.to_string());
    }

    #[test]
    fn pool_file_demo_with_one_field_changed(pick: usize, value in proptest::option::of(json())) {
        let demo: Value = serde_json::from_str(include_str!("../../../config/demo-pool.json")).unwrap();
        let file = mutate(&demo, pick, value);
        if let Err(e) = Settings::from_json(&file.to_string()) {
            prop_assert!(!e.setting.is_empty(), "the error names a setting: {}", e);
        }
    }
}
