//! Black box on real delivery: the local runner with `--delivery aws` sends through SES v2 (moto at
//! `MOTO_ENDPOINT`) and SMS v2 (the tests' fake SMS server), the `aws` CLI completes the email flow
//! with the delivered code, the SDK the others; `doctor` reports what would block delivery.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use serde_json::json;
use test_support::cli::{NEW_PASSWORD, Runner, demo_pool};
use test_support::delivery::code_in;
use test_support::fake_sms::{Account, FakeSms};
use test_support::moto::{endpoint as moto, mail_to, verified_sender};
use test_support::runner_sdk::block_on;
use test_support::unique;

const PAUL: &str = "+12065550142";
const NORA: &str = "+14155550199";
const ORIGINATION: &str = "+18005550100";

fn aws_env<'a>(from: &'a str, sms: &'a FakeSms, moto: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("AWS_ENDPOINT_URL", moto),
        (
            "AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2",
            sms.endpoint.as_str(),
        ),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("SES_FROM_ADDRESS", from),
        ("SMS_ORIGINATION_IDENTITY", ORIGINATION),
    ]
}

#[test]
fn runner_on_aws_delivers_by_email_and_sms_and_refuses_an_unverified_number_in_the_sandbox() {
    let moto = moto();
    let from = block_on(verified_sender("no-reply"));
    let jane = format!("{}@example.org", unique("jane"));
    let mut account = Account::sandbox();
    account.verified.insert(PAUL.into(), "VERIFIED".into());
    let sms = FakeSms::start(account);

    let mut pool = demo_pool();
    // LEGACY: the caller is told why a delivery was refused (ENABLED: generically).
    pool["PreventUserExistenceErrors"] = json!("LEGACY");
    pool["Users"] = json!([
        { "Username": "jane", "Sub": "s-jane", "Status": "CONFIRMED",
          "Attributes": { "email": jane, "email_verified": "true" } },
        { "Username": "paul", "Sub": "s-paul", "Status": "CONFIRMED",
          "Attributes": { "phone_number": PAUL, "phone_number_verified": "true" } },
        { "Username": "nora", "Sub": "s-nora", "Status": "CONFIRMED",
          "Attributes": { "phone_number": NORA, "phone_number_verified": "true" } }
    ]);
    let mut env = aws_env(&from, &sms, &moto);
    env.push(("RESET_DELIVERY", "aws"));
    let runner = Runner::start("aws-delivery", Some(&pool), &env);

    // Email through SES (moto): the mail carries the code, the CLI completes the reset with it.
    assert_eq!(
        runner.cli_forgot("jane").ok_json()["CodeDeliveryDetails"]["DeliveryMedium"],
        "EMAIL"
    );
    let mail = mail_to(&jane);
    assert_eq!(mail.len(), 1, "{mail:?}");
    let code = code_in(mail[0]["body"].as_str().unwrap());
    let done = runner.cli_confirm("jane", &code, NEW_PASSWORD);
    assert!(done.ok, "{}", done.stderr);
    assert!(runner.outbox().is_empty(), "nothing went to the outbox");

    // SMS through SMS v2 (the fake, sandbox, number verified).
    assert_eq!(
        runner.forgot("paul").ok_json()["CodeDeliveryDetails"]["Destination"],
        "+*******0142"
    );
    let sent = sms.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].destination, PAUL);
    assert_eq!(sent[0].origination_identity.as_deref(), Some(ORIGINATION));
    let done = runner.confirm("paul", &code_in(&sent[0].body), NEW_PASSWORD);
    assert!(done.ok, "{}", done.detail);
    // The reset is followed by the PasswordChanged notice, on the same verified channel.
    let sent = sms.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].destination, PAUL);
    assert!(
        sent[1].body.contains("password was just changed"),
        "{}",
        sent[1].body
    );

    // An unverified number in the SMS sandbox: refused before any send, every time, never limited.
    for _ in 0..7 {
        let refused = runner.forgot("nora");
        assert_eq!(refused.error(), "CodeDeliveryFailureException");
        let message = refused.message();
        assert!(
            message.contains("sandbox") && message.contains("+*******0199"),
            "{message}"
        );
        assert!(!message.contains("4155550199"), "{message}");
    }
    assert_eq!(
        sms.calls("SendTextMessage"),
        2,
        "only paul's code and notice were sent"
    );
    let logs = runner.logs();
    assert!(logs.contains("remediation"), "the log says what to do");
    assert!(
        !logs.contains("4155550199") && !logs.contains(&jane),
        "{logs}"
    );
}

fn doctor(env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cognito-reset-local"))
        .arg("doctor")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn line<'a>(report: &'a str, check: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.starts_with(check))
        .unwrap_or_else(|| panic!("no {check} row in\n{report}"))
}

#[test]
fn doctor_reports_ready_delivery_and_exits_zero() {
    let moto = moto();
    let from = block_on(verified_sender("doctor-ok"));
    let sms = FakeSms::start(Account::production());
    let (ok, report) = doctor(&aws_env(&from, &sms, &moto));
    assert!(ok, "{report}");
    assert!(
        line(&report, "SES From identity").contains(" ok "),
        "{report}"
    );
    assert!(
        line(&report, "SMS account").contains("PRODUCTION"),
        "{report}"
    );
    assert!(
        line(&report, "SMS spend limit").contains("$100"),
        "{report}"
    );
    assert!(
        line(&report, "SMS origination identity").contains(ORIGINATION),
        "{report}"
    );
    // moto has no GetAccount: reported, not blocking.
    assert!(line(&report, "SES account").contains("warn"), "{report}");
    assert!(report.contains("Nothing blocks delivery."), "{report}");
}

#[test]
fn doctor_names_what_blocks_delivery_and_exits_non_zero() {
    let moto = moto();
    let from = format!("{}@example.net", unique("never-verified"));
    let sms = FakeSms::start(Account::sandbox());
    let (ok, report) = doctor(&aws_env(&from, &sms, &moto));
    assert!(!ok, "{report}");
    assert!(
        line(&report, "SES From identity").contains("BLOCK"),
        "{report}"
    );
    assert!(line(&report, "SMS account").contains("SANDBOX"), "{report}");
    assert!(
        line(&report, "SMS verified numbers").contains("BLOCK"),
        "{report}"
    );
    assert!(report.contains("2 problem(s) block delivery"), "{report}");
    assert!(report.contains("create-email-identity"), "{report}");
}
