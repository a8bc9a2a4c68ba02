//! One rule, one answer: every login ForgotPassword answers from a decoy (unknown, disabled,
//! unconfirmed, FORCE_CHANGE_PASSWORD, no verified channel, only the MFA channel, a medium the
//! recovery order leaves out) gets exactly an unknown login's whole sequence through the SDK:
//! ForgotPassword's answer shape, then MaxFailedAttempts wrong codes (CodeMismatch), then
//! TooManyFailedAttempts, and the same for a right-looking code after. On the memory directory
//! (the runner's embedded store) and on the Cognito directory (moto's pool).

use aws_sdk_cognitoidentityprovider::types::{
    RecoveryOptionNameType, SmsMfaSettingsType, UserStatusType,
};
use serde_json::{Value, json};
use test_support::cli::*;
use test_support::cognito_pool::{attr, recovery};
use test_support::runner_sdk::block_on;

use super::{OLD_PASSWORD, create, runner_on};

/// Wrong codes per issued code, in both pools (the demo pool's and the runner's default).
const MAX_FAILED_ATTEMPTS: usize = 5;

/// The answer with what differs by login taken out: letters and digits of the masked
/// destination (a decoy's is derived from the login) become `x`, runs of them one `x`.
fn shape(answer: &Value) -> Value {
    let details = &answer["CodeDeliveryDetails"];
    let mut masked = String::new();
    for c in details["Destination"].as_str().unwrap_or("?").chars() {
        if c.is_ascii_alphanumeric() {
            if !masked.ends_with('x') {
                masked.push('x');
            }
        } else {
            masked.push(c);
        }
    }
    json!({
        "Destination": masked,
        "DeliveryMedium": details["DeliveryMedium"],
        "AttributeName": details["AttributeName"],
    })
}

/// ForgotPassword's answer shape, then the error of each of MaxFailedAttempts + 1 wrong codes,
/// then of one right-looking code.
fn sequence(
    forgot: impl Fn(&str) -> Answer,
    confirm: impl Fn(&str, &str) -> Answer,
    login: &str,
) -> Vec<String> {
    let asked = forgot(login);
    assert!(asked.ok, "{login}: {}", asked.detail);
    let mut answers = vec![shape(&asked.json()).to_string()];
    for i in 0..=MAX_FAILED_ATTEMPTS {
        answers.push(confirm(login, &format!("00000{i}")).error());
    }
    answers.push(confirm(login, "482913").error());
    answers
}

fn expected_unknown() -> Vec<String> {
    let mut errors = vec!["CodeMismatchException".to_string(); MAX_FAILED_ATTEMPTS];
    errors.push("TooManyFailedAttemptsException".into());
    errors.push("TooManyFailedAttemptsException".into());
    errors
}

fn check(
    classes: &[(&str, &str)],
    forgot: impl Fn(&str) -> Answer + Copy,
    confirm: impl Fn(&str, &str) -> Answer + Copy,
) {
    let unknown = sequence(forgot, confirm, classes[0].1);
    assert_eq!(
        unknown[1..],
        expected_unknown()[..],
        "an unknown login's sequence"
    );
    for (class, login) in &classes[1..] {
        assert_eq!(
            sequence(forgot, confirm, login),
            unknown,
            "{class} ({login}) answers as an unknown login"
        );
    }
}

#[test]
fn every_simulated_login_answers_confirm_as_an_unknown_one_on_the_memory_directory() {
    let mut pool = demo_pool();
    // Email only: a verified phone is a medium the order leaves out.
    pool["AccountRecoverySetting"] =
        json!({"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]});
    pool["Codes"]["MaxConfirmsPerCaller"] = json!(100);
    let users = pool["Users"].as_array_mut().unwrap();
    users.push(json!({"Username": "ursula", "Sub": "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901",
        "Status": "UNCONFIRMED", "Attributes": {"email": "ursula@example.com", "email_verified": "true"}}));
    users.push(
        json!({"Username": "mia", "Sub": "4c5d6e7f-8091-4a2b-bc3d-4e5f60718293",
        "Status": "CONFIRMED", "Mfa": "EMAIL_OTP",
        "Attributes": {"email": "mia@example.com", "email_verified": "true"}}),
    );
    users.push(
        json!({"Username": "pia", "Sub": "5d6e7f80-91a2-4b3c-8d4e-5f6071829304",
        "Status": "CONFIRMED",
        "Attributes": {"phone_number": "+12065550177", "phone_number_verified": "true"}}),
    );
    let runner = Runner::with_pool("one-answer", &pool);
    let classes = [
        ("unknown", "nobody"),
        ("disabled", "dora"),
        ("unconfirmed", "ursula"),
        ("FORCE_CHANGE_PASSWORD", "fran"),
        ("no verified channel", "sam"),
        ("only the MFA channel", "mia"),
        ("a medium the order leaves out", "pia"),
    ];
    check(
        &classes,
        |login| runner.forgot(login),
        |login, code| runner.confirm(login, code, NEW_PASSWORD),
    );
    assert!(runner.outbox().is_empty(), "nothing was sent to anyone");
    // A deliverable user is not a decoy: a wrong code is a mismatch, the right one resets.
    assert!(runner.forgot("jane").ok);
    let code = runner.last_code("jane@example.com");
    assert!(runner.confirm("jane", &code, NEW_PASSWORD).ok);
}

#[test]
fn every_simulated_login_answers_confirm_as_an_unknown_one_on_the_cognito_directory() {
    // Phone only: a verified email is a medium the order leaves out.
    let pool = super::pool_with(|b| {
        b.account_recovery_setting(recovery(&[RecoveryOptionNameType::VerifiedPhoneNumber]))
    });
    let phone = |n: &str| {
        [
            ("phone_number", n.to_string()),
            ("phone_number_verified", "true".into()),
        ]
    };
    let attrs = |pairs: &[(&str, String)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    let add = |name: &str, pairs: Vec<(String, String)>, password: bool| {
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        create(&pool, name, &pairs, password);
    };
    add("dora", attrs(&phone("+12065550101")), true);
    block_on(
        pool.admin
            .admin_disable_user()
            .user_pool_id(&pool.id)
            .username("dora")
            .send(),
    )
    .unwrap();
    add("fran", attrs(&phone("+12065550102")), false);
    add(
        "sam",
        vec![
            ("phone_number".into(), "+12065550103".into()),
            ("phone_number_verified".into(), "false".into()),
        ],
        true,
    );
    add("mia", attrs(&phone("+12065550104")), true);
    block_on(
        pool.admin
            .admin_set_user_mfa_preference()
            .user_pool_id(&pool.id)
            .username("mia")
            .sms_mfa_settings(
                SmsMfaSettingsType::builder()
                    .enabled(true)
                    .preferred_mfa(true)
                    .build(),
            )
            .send(),
    )
    .unwrap();
    add(
        "pia",
        vec![
            ("email".into(), "pia@example.com".into()),
            ("email_verified".into(), "true".into()),
        ],
        true,
    );
    // A self-service sign-up, not confirmed.
    block_on(
        pool.admin
            .sign_up()
            .client_id(&pool.client)
            .username("ursula")
            .password(OLD_PASSWORD)
            .user_attributes(attr("phone_number", "+12065550105"))
            .send(),
    )
    .unwrap();
    let status = block_on(
        pool.admin
            .admin_get_user()
            .user_pool_id(&pool.id)
            .username("ursula")
            .send(),
    )
    .unwrap();
    assert_eq!(status.user_status(), Some(&UserStatusType::Unconfirmed));

    let runner = runner_on(&pool);
    let classes = [
        ("unknown", "nobody"),
        ("disabled", "dora"),
        ("unconfirmed", "ursula"),
        ("FORCE_CHANGE_PASSWORD", "fran"),
        ("no verified channel", "sam"),
        ("only the MFA channel", "mia"),
        ("a medium the order leaves out", "pia"),
    ];
    check(
        &classes,
        |login| runner.forgot_as(&pool.client, login, None),
        |login, code| runner.confirm_as(&pool.client, login, code, NEW_PASSWORD, None),
    );
    assert!(runner.outbox().is_empty(), "nothing was sent to anyone");
}
