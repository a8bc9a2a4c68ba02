//! `LogLevel=TRACE` as deployed puts nothing secret in the log, the AWS SDK's own output included.
//! lambda_runtime logs each raw event at TRACE (a ConfirmForgotPassword event carries the code,
//! the new password and the SecretHash) and the SDK every request, response and decoded output
//! (the code items' digests, AdminGetUser's attributes). The real confirm-forgot-password binary
//! runs with the environment template.yaml gives it (the user pool, DynamoDB codes, the code keys
//! from Secrets Manager, SES and SMS for the PasswordChanged notice) at TRACE, with RUST_LOG naming
//! the SDK's targets: a wrong code, the right one by email and by SMS, an unknown user. Its whole
//! output is then searched for every secret and PII value the scenario used.
//!
//! The codes are issued by the real forgot-password binary, with the same environment.

use serde_json::{Value, json};
use test_support::deployed::{Deployed, NEW_PASSWORD, code_mailed_to, run_function};
use test_support::logs::assert_no_secret;

use super::forgot_password_binary;

const WRONG_CODE: &str = "731902";

#[tokio::test]
async fn nothing_secret_reaches_the_log_at_trace_as_deployed() {
    let d = Deployed::setup("trace-confirm");
    let (jane, jane_email) = d.email_user.clone();
    let (paul, _) = d.phone_user.clone();
    let requests: Vec<Value> = [&jane, &paul]
        .iter()
        .map(|user| {
            json!({
                "ClientId": d.client_id, "Username": user, "SecretHash": d.secret_hash(user),
            })
        })
        .collect();
    let issued = run_function(&forgot_password_binary(), &d.env, &requests).await;
    for answer in &issued.answers {
        assert!(
            answer["CodeDeliveryDetails"].is_object(),
            "{answer}\n{}",
            issued.logs
        );
    }
    let jane_code = code_mailed_to(&jane_email);
    let paul_code = test_support::delivery::code_in(&d.sms.sent()[0].body);
    // Before the reset consumes them.
    let digests = d.stored_digests();
    assert!(digests.len() >= 6, "{digests:?}");

    let confirm = |user: &str, code: &str| -> Value {
        json!({
            "ClientId": d.client_id, "Username": user, "ConfirmationCode": code,
            "Password": NEW_PASSWORD, "SecretHash": d.secret_hash(user),
        })
    };
    let events = [
        confirm(&jane, WRONG_CODE),
        confirm(&jane, &jane_code),
        confirm(&paul, &paul_code),
        confirm("nobody-here", "123456"),
    ];
    let run = run_function(
        env!("CARGO_BIN_EXE_confirm-forgot-password"),
        &d.env,
        &events,
    )
    .await;
    let outcomes: Vec<String> = run
        .answers
        .iter()
        .map(|a| {
            a["errorType"]
                .as_str()
                .or(a["__type"].as_str())
                .unwrap_or("ok")
                .to_string()
        })
        .collect();
    assert_eq!(outcomes[1], "ok", "{:?}\n{}", run.answers, run.logs);
    assert_eq!(outcomes[2], "ok", "{:?}\n{}", run.answers, run.logs);
    assert_ne!(outcomes[0], "ok", "{:?}", run.answers);
    assert_ne!(outcomes[3], "ok", "{:?}", run.answers);
    // The PasswordChanged notices went out by SES and SMS too.
    assert_eq!(d.sms.sent().len(), 2, "{:?}", d.sms.sent());

    assert!(
        run.logs.contains("\"level\":\"DEBUG\""),
        "the log is below INFO: {}",
        run.logs
    );
    assert!(
        run.logs.contains("password reset confirmed"),
        "{}",
        run.logs
    );
    let mut secrets = d.secrets.clone();
    secrets.extend([jane_code, paul_code, WRONG_CODE.to_string()]);
    secrets.extend(
        events
            .iter()
            .map(|e| e["SecretHash"].as_str().unwrap().to_string()),
    );
    secrets.extend(digests);
    assert_no_secret(&run.logs, &secrets);
}
