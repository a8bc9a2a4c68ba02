//! `EdgeWaf=true` as deployed: the real forgot-password binary with the environment the template
//! gives it behind CloudFront (the origin secret's ARN beside the rest), the secret generated in
//! Secrets Manager as the stack generates it. A request that went around CloudFront (no
//! `x-origin-verify`, or a wrong one) is refused with ForbiddenException, the reset page too; one
//! CloudFront sent is answered, and the per-caller limit counts the viewer CloudFront names, not
//! CloudFront's own address (API Gateway's `sourceIp`).

use serde_json::{Value, json};
use test_support::cli::aws;
use test_support::deployed::{Deployed, run_function};
use test_support::moto;

/// CloudFront's address as API Gateway sees it: the same for every viewer below.
const CLOUDFRONT_EDGE: &str = "130.176.0.10";

/// An HTTP API (payload 2.0) event for `body`, with `headers`, from `source_ip`.
fn http_event(
    method: &str,
    body: Option<&Value>,
    source_ip: &str,
    headers: &[(&str, &str)],
) -> Value {
    let mut all = json!({
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AWSCognitoIdentityProviderService.ForgotPassword",
    });
    for (name, value) in headers {
        all[*name] = json!(value);
    }
    let path = if method == "GET" {
        "/"
    } else {
        "/forgot-password"
    };
    json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": all,
        "requestContext": {
            "accountId": "123456789012", "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": source_ip, "userAgent": "aws-cli/2"},
            "requestId": "edge-request", "routeKey": format!("{method} {path}"),
            "stage": "$default", "time": "07/Dec/2026:08:00:00 +0000", "timeEpoch": 1_796_630_400_000u64
        },
        "body": body.map(Value::to_string),
        "isBase64Encoded": false
    })
}

/// The Cognito error type of an HTTP answer, if it is one.
fn error_type(answer: &Value) -> Option<String> {
    let body: Value = serde_json::from_str(answer["body"].as_str()?).ok()?;
    body["__type"].as_str().map(str::to_string)
}

#[tokio::test]
async fn behind_cloudfront_a_bypass_is_refused_and_the_viewer_is_the_caller() {
    let d = Deployed::setup("edge-forgot");
    // As the template's GenerateSecretString: 64 characters, no punctuation.
    let generated = aws(
        &[
            "secretsmanager",
            "get-random-password",
            "--password-length",
            "64",
            "--exclude-punctuation",
            "--no-include-space",
        ],
        &moto::endpoint(),
    )
    .ok_json()["RandomPassword"]
        .as_str()
        .unwrap()
        .to_string();
    let created = aws(
        &[
            "secretsmanager",
            "create-secret",
            "--name",
            &test_support::unique("origin-verify"),
            "--secret-string",
            &generated,
        ],
        &moto::endpoint(),
    )
    .ok_json();
    let secret_arn = created["ARN"].as_str().unwrap();
    // One ForgotPassword per caller an hour, so the second from a viewer shows whom it counted.
    let env = d.env_with(&[
        ("ORIGIN_VERIFY_SECRET_ARN", secret_arn),
        ("MAX_REQUESTS_PER_CALLER_PER_HOUR", "1"),
        ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
        ("RUST_LOG", "info"),
    ]);

    let request = |username: &str| json!({"ClientId": d.client_id, "Username": username, "SecretHash": d.secret_hash(username)});
    let (jane, _) = d.email_user.clone();
    let (paul, _) = d.phone_user.clone();
    let through = |viewer: &str| {
        vec![
            ("x-origin-verify", generated.clone()),
            ("cloudfront-viewer-address", viewer.to_string()),
        ]
    };
    let viewer_a = through("198.51.100.10:46532");
    let viewer_b = through("203.0.113.20:51000");
    let wrong = vec![
        ("x-origin-verify", format!("{generated}x")),
        ("cloudfront-viewer-address", "198.51.100.99:1".to_string()),
    ];
    let event =
        |method: &str, body: Option<Value>, source: &str, h: Vec<(&'static str, String)>| {
            let pairs: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
            http_event(method, body.as_ref(), source, &pairs)
        };
    let events = [
        // Straight to the API's own endpoint: no header.
        event("POST", Some(request(&jane)), "192.0.2.66", vec![]),
        event("GET", None, "192.0.2.66", vec![]),
        // A guessed header.
        event("POST", Some(request(&jane)), CLOUDFRONT_EDGE, wrong),
        // Through CloudFront: the page, then viewer A, A again, then B from the same edge.
        event("GET", None, CLOUDFRONT_EDGE, viewer_a.clone()),
        event(
            "POST",
            Some(request(&jane)),
            CLOUDFRONT_EDGE,
            viewer_a.clone(),
        ),
        event(
            "POST",
            Some(request(&paul)),
            CLOUDFRONT_EDGE,
            viewer_a.clone(),
        ),
        event("POST", Some(request(&paul)), CLOUDFRONT_EDGE, viewer_b),
    ];
    let run = run_function(env!("CARGO_BIN_EXE_forgot-password"), &env, &events).await;
    let a = &run.answers;
    let status = |i: usize| a[i]["statusCode"].as_i64();

    for (i, what) in [
        (0, "a direct POST"),
        (1, "a direct GET"),
        (2, "a wrong header"),
    ] {
        assert_eq!(status(i), Some(403), "{what}: {}\n{}", a[i], run.logs);
        assert_eq!(
            error_type(&a[i]).as_deref(),
            Some("ForbiddenException"),
            "{what}: {}",
            a[i]
        );
        assert!(
            a[i]["body"].as_str().unwrap().contains("CloudFront"),
            "{what}: the message says why: {}",
            a[i]
        );
    }
    assert_eq!(
        status(3),
        Some(200),
        "the reset page through CloudFront: {}",
        a[3]
    );
    assert!(
        a[3]["headers"]["content-type"]
            .as_str()
            .is_some_and(|t| t.starts_with("text/html")),
        "{}",
        a[3]
    );
    assert_eq!(status(4), Some(200), "{}\n{}", a[4], run.logs);
    assert!(
        a[4]["body"]
            .as_str()
            .unwrap()
            .contains("CodeDeliveryDetails"),
        "{}",
        a[4]
    );
    // Viewer A's second request is over its limit of one...
    assert_eq!(status(5), Some(400), "{}", a[5]);
    assert_eq!(
        error_type(&a[5]).as_deref(),
        Some("LimitExceededException"),
        "{}",
        a[5]
    );
    // ...but viewer B, behind the same CloudFront address, has its own window.
    assert_eq!(status(6), Some(200), "{}\n{}", a[6], run.logs);
    assert!(
        a[6]["body"]
            .as_str()
            .unwrap()
            .contains("CodeDeliveryDetails"),
        "{}",
        a[6]
    );
    // The secret never reaches the log.
    let leaks: Vec<String> = run
        .logs
        .lines()
        .filter(|l| l.contains(&generated))
        .map(|l| l.replace(&generated, "<origin secret>"))
        .collect();
    assert!(
        leaks.is_empty(),
        "the origin secret is in the log: {leaks:#?}"
    );
}
