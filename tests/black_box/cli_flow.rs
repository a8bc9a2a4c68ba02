//! The whole reset flow against the local runner: the seed's commands, the secret hash and a signed
//! request through the real `aws` CLI, the other flows through the SDK.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;
use test_support::cli::*;
use test_support::logs::assert_no_secret;

#[test]
fn the_seed_command_prints_the_seed_output_and_the_code_resets_the_password_once() {
    let runner = Runner::demo("seed");
    assert_eq!(
        runner.cli_forgot("jane@example.com").ok_json(),
        json!({"CodeDeliveryDetails": {"Destination": "j***@e***.com", "DeliveryMedium": "EMAIL", "AttributeName": "email"}})
    );
    // The runner prints the delivery (masked destination and code) and writes it to the outbox.
    let code = runner.last_code("jane@example.com");
    assert_eq!(code.len(), 6);
    assert!(
        runner
            .stdout
            .lock()
            .unwrap()
            .contains(&format!("EMAIL to j***@e***.com: code {code}"))
    );

    let confirmed = runner.cli_confirm("jane@example.com", &code, NEW_PASSWORD);
    assert!(confirmed.ok, "{}", confirmed.stderr);
    assert_eq!(
        confirmed.stdout.trim(),
        "",
        "an empty response prints nothing"
    );

    let again = runner.cli_confirm("jane@example.com", &code, NEW_PASSWORD);
    assert_eq!(again.error(), "ExpiredCodeException");
    assert_eq!(
        again.message(),
        "Invalid code provided, please request a code again."
    );
}

#[test]
fn sms_channel_by_username_and_by_phone_alias() {
    let runner = Runner::demo("sms");
    let out = runner.forgot("paul");
    assert_eq!(
        out.json(),
        json!({"CodeDeliveryDetails": {"Destination": "+*******0142", "DeliveryMedium": "SMS", "AttributeName": "phone_number"}})
    );
    let by_phone = runner.forgot("+12065550142");
    assert_eq!(
        by_phone.json()["CodeDeliveryDetails"]["DeliveryMedium"],
        "SMS"
    );
    let code = runner.last_code("+12065550142");
    assert!(runner.confirm("+12065550142", &code, NEW_PASSWORD).ok);
}

#[test]
fn priority_picks_email_for_a_user_with_both_channels() {
    let runner = Runner::demo("priority");
    let out = runner.forgot("maria");
    assert_eq!(
        out.json()["CodeDeliveryDetails"]["Destination"],
        "m***@e***.org"
    );
    assert_eq!(runner.outbox().len(), 1, "exactly one channel is used");
}

#[test]
fn a_new_code_supersedes_the_old_one() {
    let runner = Runner::demo("supersede");
    assert!(runner.forgot("jane").ok);
    let first = runner.last_code("jane@example.com");
    assert!(runner.forgot("jane").ok);
    let second = runner.last_code("jane@example.com");
    if first != second {
        assert_eq!(
            runner.confirm("jane", &first, NEW_PASSWORD).error(),
            "CodeMismatchException"
        );
    }
    assert!(runner.confirm("jane", &second, NEW_PASSWORD).ok);
}

#[test]
fn a_client_with_a_secret_needs_the_right_secret_hash() {
    let runner = Runner::demo("secret");
    let hash = password_reset::domain::secret_hash::compute(SECRET, "jane", SECRET_CLIENT).unwrap();
    let missing = runner.cli_forgot_as(SECRET_CLIENT, "jane", None);
    assert_eq!(missing.error(), "NotAuthorizedException");
    assert_eq!(
        missing.message(),
        format!("Unable to verify secret hash for client {SECRET_CLIENT}")
    );
    let wrong_hash =
        password_reset::domain::secret_hash::compute("other", "jane", SECRET_CLIENT).unwrap();
    let wrong = runner.cli_forgot_as(SECRET_CLIENT, "jane", Some(&wrong_hash));
    assert_eq!(wrong.error(), "NotAuthorizedException");
    let right = runner.cli_forgot_as(SECRET_CLIENT, "jane", Some(&hash));
    assert!(right.ok, "{}", right.stderr);
    let code = runner.last_code("jane@example.com");
    let confirm = runner.cli_confirm_as(SECRET_CLIENT, "jane", &code, NEW_PASSWORD, Some(&hash));
    assert!(confirm.ok, "{}", confirm.stderr);
}

#[test]
fn signed_requests_are_accepted_too() {
    let runner = Runner::demo("signed");
    let out = runner.aws(&[
        "forgot-password",
        "--client-id",
        CLIENT,
        "--username",
        "jane@example.com",
    ]);
    assert!(out.ok, "{}", out.stderr);
}

/// `GET /metrics` on the runner, the Prometheus text of what the functions publish to CloudWatch.
fn metrics_text(runner: &Runner) -> String {
    use std::io::{Read, Write};
    let address = runner.endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer
}

/// The value of the sample named `metric` with exactly these labels, 0 when absent.
fn sample(text: &str, metric: &str, labels: &[(&str, &str)]) -> u64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")))
        .find(|l| {
            let inner = &l[l.find('{').unwrap() + 1..l.find('}').unwrap()];
            let mut have: Vec<String> = inner.split(',').map(str::to_string).collect();
            let mut want: Vec<String> =
                labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
            have.sort();
            want.sort();
            have == want
        })
        .and_then(|l| l.rsplit(' ').next())
        .map(|v| v.parse().unwrap())
        .unwrap_or(0)
}

#[test]
fn the_runner_counts_each_request_once_by_outcome_at_get_metrics() {
    let runner = Runner::demo("metrics");
    assert!(runner.forgot("jane").ok);
    assert!(runner.forgot("sam").ok, "no verified channel: simulated");
    assert!(runner.forgot("nobody-here").ok, "unknown: simulated");
    assert_eq!(
        runner.forgot_as("unknownclient", "jane", None).error(),
        "ResourceNotFoundException"
    );
    let code = runner.last_code("jane@example.com");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        runner.confirm("jane", wrong, NEW_PASSWORD).error(),
        "CodeMismatchException"
    );
    assert_eq!(
        runner.confirm("jane", &code, "weak").error(),
        "InvalidPasswordException"
    );
    assert!(runner.confirm("jane", &code, NEW_PASSWORD).ok);

    let text = metrics_text(&runner);
    let requests = |operation: &str, outcome: &str| {
        sample(
            &text,
            "Requests",
            &[("Operation", operation), ("Outcome", outcome)],
        )
    };
    assert_eq!(requests("ForgotPassword", "issued"), 1, "{text}");
    assert_eq!(requests("ForgotPassword", "simulated"), 2, "{text}");
    assert_eq!(requests("ForgotPassword", "rejected"), 1, "{text}");
    assert_eq!(requests("ConfirmForgotPassword", "mismatch"), 1, "{text}");
    assert_eq!(
        requests("ConfirmForgotPassword", "password_refused"),
        1,
        "{text}"
    );
    assert_eq!(requests("ConfirmForgotPassword", "confirmed"), 1, "{text}");
    assert_eq!(
        sample(&text, "CodesSent", &[("Medium", "EMAIL")]),
        1,
        "{text}"
    );
    assert_eq!(
        sample(&text, "PasswordChangedNotices", &[("Outcome", "sent")]),
        1,
        "{text}"
    );
    assert_no_secret(
        &text,
        [
            "jane",
            "example.com",
            code.as_str(),
            NEW_PASSWORD,
            "unknownclient",
        ],
    );
}

#[test]
fn client_metadata_locale_picks_the_language_of_the_code_and_the_notice() {
    let runner = Runner::demo("client-metadata-locale");
    let forgot = |metadata: &[&str]| {
        let args = [
            &[
                "forgot-password",
                "--client-id",
                CLIENT,
                "--username",
                "jane",
            ][..],
            metadata,
            &["--no-sign-request"],
        ]
        .concat();
        assert!(runner.aws(&args).ok);
        runner.outbox().last().unwrap().clone()
    };
    let english = forgot(&[]);
    assert_eq!(english["subject"], "Your password reset code");
    let french = forgot(&["--client-metadata", "locale=fr"]);
    assert_eq!(
        french["subject"],
        "Votre code de réinitialisation du mot de passe"
    );
    let code = runner.last_code("jane@example.com");
    assert!(french["body"].as_str().unwrap().contains(&format!(
        "Votre code de réinitialisation du mot de passe est {code}."
    )));
    // ConfirmForgotPassword's ClientMetadata picks the notice's language the same way.
    let confirmed = runner.aws(&[
        "confirm-forgot-password",
        "--client-id",
        CLIENT,
        "--username",
        "jane",
        "--confirmation-code",
        &code,
        "--password",
        NEW_PASSWORD,
        "--client-metadata",
        "locale=fr-CA",
        "--no-sign-request",
    ]);
    assert!(confirmed.ok, "{}", confirmed.stderr);
    let notice = runner.outbox().last().unwrap().clone();
    assert_eq!(notice["code"], "");
    assert_eq!(notice["subject"], "Votre mot de passe a été modifié");
    // The metadata is never logged.
    assert!(!runner.logs().contains("fr-CA"));
}
