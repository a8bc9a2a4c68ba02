//! `LogLevel=TRACE` as deployed: the real custom-sender binary, with the environment template.yaml
//! gives it (the KMS key, SES and SMS), at TRACE with RUST_LOG naming the SDK's targets, decrypts a
//! code Cognito's way (the Python Encryption SDK under a KMS key in moto: KMS Decrypt answers the
//! plaintext data key) and sends it by email and by SMS. The whole output is searched for the
//! codes, the data key's traces, the addresses and numbers. Needs `MOTO_ENDPOINT`, `aws` and a
//! `python3` with the pinned aws-encryption-sdk (scripts/test provides them).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use serde_json::{Value, json};
use test_support::cli::aws;
use test_support::deployed::{Deployed, run_function};
use test_support::logs::assert_no_secret;
use test_support::moto;

const EMAIL_CODE: &str = "583920";
const SMS_CODE: &str = "604173";

fn event(file: &str, code: &str, attributes: Value, pool_id: &str) -> Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../events")
            .join(file),
    )
    .unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    event["userPoolId"] = json!(pool_id);
    event["request"]["code"] = json!(code);
    event["request"]["userAttributes"] = attributes;
    event
}

#[tokio::test]
async fn nothing_secret_reaches_the_log_at_trace_as_deployed() {
    let d = Deployed::setup("trace-sender");
    let key = aws(&["kms", "create-key"], &moto::endpoint()).ok_json();
    let key_arn = key["KeyMetadata"]["Arn"].as_str().unwrap().to_string();
    let (_, email) = d.email_user.clone();
    let (_, phone) = d.phone_user.clone();
    let email_blob = super::encrypt_as_cognito(&key_arn, EMAIL_CODE, &d.pool_id);
    let sms_blob = super::encrypt_as_cognito(&key_arn, SMS_CODE, &d.pool_id);
    let mut env = d.env.clone();
    env.push(("KMS_KEY_ARN".into(), key_arn.clone()));
    let events = [
        event(
            "custom-sender-email-ForgotPassword.json",
            &email_blob,
            json!({"email": email, "email_verified": "true", "cognito:user_status": "CONFIRMED"}),
            &d.pool_id,
        ),
        event(
            "custom-sender-sms-ForgotPassword.json",
            &sms_blob,
            json!({"phone_number": phone, "phone_number_verified": "true",
                   "cognito:user_status": "CONFIRMED"}),
            &d.pool_id,
        ),
    ];
    let run = run_function(env!("CARGO_BIN_EXE_custom-sender"), &env, &events).await;
    assert!(
        test_support::deployed::code_mailed_to(&email) == EMAIL_CODE,
        "{:?}\n{}",
        run.answers,
        run.logs
    );
    let sent = d.sms.sent();
    assert!(sent.iter().any(|s| s.body.contains(SMS_CODE)), "{sent:?}");
    let mut secrets = d.secrets.clone();
    secrets.extend([EMAIL_CODE.to_string(), SMS_CODE.to_string()]);
    assert_no_secret(&run.logs, &secrets);
}
