//! The API functions' HTTP answers as API Gateway hands them back to a browser: the request id
//! (API Gateway's `requestContext.requestId`, the one its access log holds) on every answer and on
//! the request's log lines, errors included; `GET` is the reset page, with the pool's policy and a
//! public app client in its configuration and a CSP that admits only its own script and style; with
//! `RESET_PAGE=false` a `GET` is 404.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lambda_runtime::{Context, LambdaEvent};
use password_reset::config::Settings;
use password_reset::entry::lambda::api::{handle, handle_with_page};
use password_reset::entry::protocol::Operation;
use serde_json::{Value, json};
use test_support::logs::Logs;

fn service() -> password_reset::ResetService {
    let mut settings = Settings::from_json(include_str!("../../config/demo-pool.json")).unwrap();
    settings.outbox.path = None;
    password_reset::embedded::assemble(&settings, &mut password_reset::request_rng(), false).service
}

fn http_event(method: &str, request_id: &str, body: Value) -> LambdaEvent<Value> {
    let mut event: Value =
        serde_json::from_str(include_str!("../../events/forgot-password-http.json")).unwrap();
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["requestId"] = json!(request_id);
    event["body"] = json!(body.to_string());
    let mut context = Context::default();
    context.request_id = "lambda-request-id".into();
    LambdaEvent::new(event, context)
}

#[tokio::test]
async fn every_answer_carries_api_gateways_request_id_and_so_does_its_log_line() {
    let service = service();
    let (logs, _guard) = Logs::start();
    let ok = handle(
        &service,
        Operation::ForgotPassword,
        http_event(
            "POST",
            "Yb3EnhT7IAMEbVw=",
            json!({"ClientId": "38fjsnc484p94kpqsnet7mpld0", "Username": "jane"}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(ok["statusCode"], 200);
    assert_eq!(ok["headers"]["x-amzn-requestid"], "Yb3EnhT7IAMEbVw=");

    let refused = handle(
        &service,
        Operation::ForgotPassword,
        http_event(
            "POST",
            "Zc4FoiU8JBNFcWx=",
            json!({"ClientId": "nosuchclient", "Username": "jane"}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(refused["statusCode"], 400);
    assert_eq!(
        refused["headers"]["x-amzn-errortype"],
        "ResourceNotFoundException"
    );
    assert_eq!(refused["headers"]["x-amzn-requestid"], "Zc4FoiU8JBNFcWx=");

    let text = logs.text();
    for id in ["Yb3EnhT7IAMEbVw=", "Zc4FoiU8JBNFcWx="] {
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(id)).collect();
        assert!(
            lines.iter().any(|l| l.contains("answered")),
            "{id} in the answer's log line:\n{text}"
        );
    }
    assert!(
        text.lines()
            .any(|l| l.contains("Zc4FoiU8JBNFcWx=") && l.contains("request refused")),
        "the refusal's own line carries the id:\n{text}"
    );

    // Without API Gateway's id (a Function URL, a test event), Lambda's.
    let mut event = http_event(
        "POST",
        "",
        json!({"ClientId": "38fjsnc484p94kpqsnet7mpld0", "Username": "paul"}),
    );
    event.payload["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("requestId");
    let answer = handle(&service, Operation::ForgotPassword, event)
        .await
        .unwrap();
    assert_eq!(answer["headers"]["x-amzn-requestid"], "lambda-request-id");
}

#[tokio::test]
async fn get_is_the_reset_page_of_this_pool_unless_switched_off() {
    // Its log lines kept on this thread: tracing caches a call site's interest process-wide, and a
    // thread without a subscriber would otherwise mute the other test's lines.
    let (_logs, _guard) = Logs::start();
    let service = service();
    let page = handle(
        &service,
        Operation::ForgotPassword,
        http_event("GET", "page-1", json!({})),
    )
    .await
    .unwrap();
    assert_eq!(page["statusCode"], 200);
    let headers = &page["headers"];
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["x-amzn-requestid"], "page-1");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let csp = headers["content-security-policy"].as_str().unwrap();
    assert!(
        csp.contains("script-src 'sha256-") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = page["body"].as_str().unwrap();
    let block = html
        .split(r#"<script type="application/json" id="reset-config">"#)
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .unwrap();
    let config: Value = serde_json::from_str(block).unwrap();
    assert_eq!(
        config,
        json!({
            "endpoint": "",
            // The demo pool's client without a secret: a browser cannot compute a SecretHash.
            "clientId": "38fjsnc484p94kpqsnet7mpld0",
            "passwordPolicy": {"MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true,
                               "RequireNumbers": true, "RequireSymbols": true}
        })
    );

    let off = handle_with_page(
        &service,
        Operation::ForgotPassword,
        false,
        http_event("GET", "page-2", json!({})),
    )
    .await
    .unwrap();
    assert_eq!(off["statusCode"], 404);
    assert_eq!(off["headers"]["x-amzn-requestid"], "page-2");
    assert_eq!(off["body"], r#"{"message":"Not Found"}"#);
}
