//! `LogLevel=TRACE` as deployed puts nothing secret in the log, the AWS SDK's own output included:
//! the real forgot-password binary, with the environment template.yaml gives it (the user pool as
//! the directory, codes in DynamoDB, the code keys from Secrets Manager, SES and SMS delivery, a
//! migration source table with a user and her bcrypt hash), at TRACE with RUST_LOG naming the SDK's
//! targets, serves a code by email (SecretHash), by SMS, to a source user it migrates into the
//! pool, and an unknown user. Its whole output is then searched for every secret and PII value
//! the scenario used: the codes, their stored digests, the passwords, the bcrypt hash, the
//! SecretHashes, the client secret, the code key, the full emails and phones.

use serde_json::json;
use test_support::deployed::{Deployed, code_mailed_to, run_function};
use test_support::logs::assert_no_secret;

#[tokio::test]
async fn nothing_secret_reaches_the_log_at_trace_as_deployed() {
    let d = Deployed::setup("trace-forgot");
    let (jane, jane_email) = d.email_user.clone();
    let (_, paul_phone) = d.phone_user.clone();
    let (_, olga_email) = d.source_user.clone();
    let request = |username: &str| {
        json!({
            "ClientId": d.client_id, "Username": username,
            "SecretHash": d.secret_hash(username),
        })
    };
    let events = [
        request(&jane),
        request(&paul_phone),
        request(&olga_email),
        request("nobody-here@example.org"),
    ];
    let run = run_function(env!("CARGO_BIN_EXE_forgot-password"), &d.env, &events).await;

    let mediums: Vec<_> = run
        .answers
        .iter()
        .map(|a| a["CodeDeliveryDetails"]["DeliveryMedium"].clone())
        .collect();
    assert_eq!(
        mediums,
        [json!("EMAIL"), json!("SMS"), json!("EMAIL"), json!("EMAIL")],
        "{:?}\n{}",
        run.answers,
        run.logs
    );
    let jane_code = code_mailed_to(&jane_email);
    let olga_code = code_mailed_to(&olga_email);
    let sent = d.sms.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let paul_code = test_support::delivery::code_in(&sent[0].body);

    assert!(
        run.logs.contains("\"level\":\"DEBUG\""),
        "the log is below INFO: {}",
        run.logs
    );
    assert!(run.logs.contains("code issued"), "{}", run.logs);
    let mut secrets = d.secrets.clone();
    secrets.extend([jane_code, olga_code, paul_code]);
    secrets.extend(
        events
            .iter()
            .map(|e| e["SecretHash"].as_str().unwrap().to_string()),
    );
    let digests = d.stored_digests();
    assert!(
        digests.len() >= 9,
        "the codes table holds the digests: {digests:?}"
    );
    secrets.extend(digests);
    assert_no_secret(&run.logs, &secrets);
}
