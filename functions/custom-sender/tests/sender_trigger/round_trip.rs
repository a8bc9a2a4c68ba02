//! The custom sender end to end, as Cognito drives it: a code encrypted with the AWS Encryption SDK
//! (the Python reference implementation, scripts/esdk.py) under a KMS key in moto, handed to the
//! handler in a CustomEmailSender / CustomSMSSender event, and found in the mail moto's SES accepted
//! or in the fake SMS v2 server's outbox. Then what must not deliver: a wrong key, a corrupted code,
//! a missing attribute or code (clear errors), an unknown source (acknowledged, nothing sent), and
//! the sandbox refusals of the API path. No log line may carry the code.
//!
//! Needs `MOTO_ENDPOINT` (scripts/test starts moto_server) and a `python3` with the pinned
//! `aws-encryption-sdk` (scripts/test puts .venv/bin first on PATH).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use aws_sdk_sesv2::operation::get_account::GetAccountOutput;
use aws_sdk_sesv2::operation::get_email_identity::GetEmailIdentityError;
use aws_sdk_sesv2::types::error::NotFoundException;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use custom_sender::{Outcome, Sender};
use lambda_runtime::{Context, LambdaEvent};
use password_reset::adapters::delivery::outbox::Outbox;
use password_reset::adapters::delivery::ses::SesV2Sender;
use password_reset::adapters::delivery::sms::SmsV2Sender;
use password_reset::adapters::esdk::{CodeDecryptor, EncryptionContext, KmsKeyring};
use password_reset::config::delivery::{SesSettings, SmsSettings};
use password_reset::domain::delivery::DeliveryMedium;
use password_reset::domain::message_catalog::MessageCatalog;
use password_reset::ports::{EmailSender, SmsSender};
use serde_json::{Value, json};
use test_support::fake_sms::{Account, FakeSms};
use test_support::logs::{Logs, assert_no_secret};
use test_support::moto::{self, mail_to};
use test_support::unique;

const CONTEXT: (&str, &str) = ("userpool-id", "us-east-1_ROUNDTRIP");

async fn new_key() -> String {
    let out = moto::kms().create_key().send().await.unwrap();
    out.key_metadata().unwrap().arn().unwrap().to_string()
}

/// The code encrypted as Cognito does it, for this suite's pool.
fn encrypt(key_arn: &str, code: &str) -> String {
    super::encrypt_as_cognito(key_arn, code, CONTEXT.1)
}

fn catalog() -> MessageCatalog {
    MessageCatalog::from_json(json!({
        "ForgotPassword": {
            "EmailSubject": "Reset your password",
            "EmailMessage": "Hello {name|there}, your reset code is {####}.",
            "SmsMessage": "Reset code: {####}",
            "Locales": { "fr": {
                "EmailSubject": "Réinitialisez votre mot de passe",
                "EmailMessage": "Bonjour {name|}, votre code est {####}.",
                "SmsMessage": "Code : {####}"
            } }
        }
    }))
    .unwrap()
}

fn sender(
    key_arn: &str,
    email: Arc<dyn EmailSender>,
    sms: Arc<dyn SmsSender>,
) -> Sender<KmsKeyring> {
    let mut required = EncryptionContext::new();
    required.insert(CONTEXT.0.into(), CONTEXT.1.into());
    Sender {
        decryptor: CodeDecryptor {
            keyring: KmsKeyring::new(moto::kms(), key_arn),
            required_context: required,
        },
        catalog: catalog(),
        email,
        sms,
    }
}

async fn verified_ses_sender() -> SesV2Sender {
    SesV2Sender::new(
        moto::ses(),
        SesSettings {
            from: moto::verified_sender("no-reply").await,
            configuration_set: None,
            reply_to: None,
        },
    )
}

/// SMS v2 at the fake.
fn sms_client(fake: &FakeSms) -> aws_sdk_pinpointsmsvoicev2::Client {
    aws_sdk_pinpointsmsvoicev2::Client::from_conf(fake.config().build())
}

fn sms_settings() -> SmsSettings {
    SmsSettings {
        origination_identity: Some("+18005550100".into()),
        ..SmsSettings::default()
    }
}

fn no_sms() -> Arc<dyn SmsSender> {
    Arc::new(Outbox::new(None, None, false))
}

fn event(trigger: &str, code: Option<&str>, attributes: Value) -> Value {
    json!({
        "version": "1",
        "triggerSource": trigger,
        "region": "us-east-1",
        "userPoolId": "us-east-1_ROUNDTRIP",
        "userName": "jane",
        "callerContext": { "awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client" },
        "request": {
            "type": if trigger.starts_with("CustomEmail") { "customEmailSenderRequestV1" } else { "customSMSSenderRequestV1" },
            "code": code,
            "clientMetadata": {},
            "userAttributes": attributes,
        }
    })
}

async fn invoke(
    sender: &Sender<KmsKeyring>,
    event: Value,
) -> Result<Value, lambda_runtime::Diagnostic> {
    custom_sender::handle(sender, LambdaEvent::new(event, Context::default())).await
}

#[tokio::test]
async fn a_code_cognito_encrypted_reaches_the_user_by_email_in_their_language() {
    let (logs, _guard) = Logs::start_json();
    let key = new_key().await;
    let recipient = format!("{}@example.org", unique("jane"));
    let code = "739251";
    let sender = sender(&key, Arc::new(verified_ses_sender().await), no_sms());
    let sent = event(
        "CustomEmailSender_ForgotPassword",
        Some(&encrypt(&key, code)),
        json!({ "email": recipient, "email_verified": "true", "name": "Jeanne", "locale": "fr-CA" }),
    );
    let answer = invoke(&sender, sent.clone()).await.unwrap();
    assert_eq!(
        answer, sent,
        "Cognito ignores the answer: the event comes back as it was"
    );

    let mail = mail_to(&recipient);
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0]["subject"], "Réinitialisez votre mot de passe");
    let body = mail[0]["body"].as_str().unwrap();
    assert!(
        body.contains("Bonjour Jeanne, votre code est 739251."),
        "{body}"
    );

    let logs = logs.text();
    assert!(logs.contains("message delivered"), "{logs}");
    assert_no_secret(&logs, [code, recipient.as_str()]);
}

#[tokio::test]
async fn a_code_cognito_encrypted_reaches_the_user_by_sms() {
    let (logs, _guard) = Logs::start_json();
    let key = new_key().await;
    let fake = FakeSms::start(Account::production());
    let sms = Arc::new(SmsV2Sender::new(sms_client(&fake), sms_settings()));
    let sender = sender(&key, Arc::new(Outbox::new(None, None, false)), sms);
    let code = "480913";
    let outcome = sender
        .send(&event(
            "CustomSMSSender_ForgotPassword",
            Some(&encrypt(&key, code)),
            json!({ "phone_number": "+12065550142", "phone_number_verified": "true" }),
        ))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Outcome::Delivered {
            medium: DeliveryMedium::Sms,
            destination: "+*******0142".into()
        }
    );
    let sent = fake.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].destination, "+12065550142");
    assert_eq!(sent[0].body, "Reset code: 480913");
    assert_eq!(sent[0].message_type.as_deref(), Some("TRANSACTIONAL"));
    assert_no_secret(&logs.text(), [code]);
}

#[tokio::test]
async fn a_code_under_another_key_or_corrupted_is_a_clear_error_and_nothing_is_sent() {
    let (logs, _guard) = Logs::start_json();
    let (ours, theirs) = (new_key().await, new_key().await);
    let recipient = format!("{}@example.org", unique("jane"));
    let sender = sender(&ours, Arc::new(verified_ses_sender().await), no_sms());
    let attributes = json!({ "email": recipient, "email_verified": "true" });

    // Encrypted under another key: the keyring never asks KMS, the error names our key.
    let code = "111111";
    let err = invoke(
        &sender,
        event(
            "CustomEmailSender_ForgotPassword",
            Some(&encrypt(&theirs, code)),
            attributes.clone(),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type, "CodeDecryptionFailed");
    assert!(
        err.error_message.contains(&format!(
            "no encrypted data key was encrypted under the configured KMS key {ours}"
        )),
        "{}",
        err.error_message
    );

    // A flipped byte in the body, in the signature, in the header: each refused.
    let message = STANDARD.decode(encrypt(&ours, code)).unwrap();
    for at in [message.len() / 2, message.len() - 5, 30] {
        let mut bad = message.clone();
        bad[at] ^= 0x40;
        let err = invoke(
            &sender,
            event(
                "CustomEmailSender_ForgotPassword",
                Some(&STANDARD.encode(&bad)),
                attributes.clone(),
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.error_type, "CodeDecryptionFailed",
            "byte {at}: {}",
            err.error_message
        );
        assert!(
            err.error_message.contains("could not be decrypted"),
            "{}",
            err.error_message
        );
    }
    // Not even base64.
    let err = invoke(
        &sender,
        event(
            "CustomEmailSender_ForgotPassword",
            Some("%%%"),
            attributes.clone(),
        ),
    )
    .await
    .unwrap_err();
    assert!(
        err.error_message.contains("the code is not base64"),
        "{}",
        err.error_message
    );

    assert!(mail_to(&recipient).is_empty(), "a message went out");
    let logs = logs.text();
    assert!(logs.contains("message not delivered"), "{logs}");
    assert_no_secret(&logs, [code]);
}

#[tokio::test]
async fn a_context_other_than_the_configured_one_is_refused() {
    let key = new_key().await;
    let mut sender = sender(&key, Arc::new(Outbox::new(None, None, false)), no_sms());
    sender
        .decryptor
        .required_context
        .insert(CONTEXT.0.into(), "us-east-1_SOMEONE_ELSE".into());
    let err = sender
        .send(&event(
            "CustomEmailSender_SignUp",
            Some(&encrypt(&key, "222222")),
            json!({ "email": "jane@example.org" }),
        ))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("does not hold the required \"userpool-id\""),
        "{err}"
    );
}

#[tokio::test]
async fn unknown_sources_are_acknowledged_and_missing_data_is_a_clear_error() {
    let (logs, _guard) = Logs::start_json();
    let key = new_key().await;
    let fake = FakeSms::start(Account::production());
    let sms = Arc::new(SmsV2Sender::new(sms_client(&fake), sms_settings()));
    let recipient = format!("{}@example.org", unique("jane"));
    let sender = sender(&key, Arc::new(verified_ses_sender().await), sms);
    let code = encrypt(&key, "333333");

    let unknown = event(
        "CustomEmailSender_SomethingCognitoAddsLater",
        Some(&code),
        json!({ "email": recipient }),
    );
    assert_eq!(invoke(&sender, unknown.clone()).await.unwrap(), unknown);
    assert!(logs.text().contains("unknown custom sender trigger source"));

    let err = invoke(
        &sender,
        event(
            "CustomSMSSender_SignUp",
            Some(&code),
            json!({ "email": recipient }),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type, "NoDestination");
    assert_eq!(
        err.error_message,
        "CustomSMSSender_SignUp: the user has no phone_number to send the message to"
    );

    let err = invoke(
        &sender,
        event(
            "CustomEmailSender_ResendCode",
            None,
            json!({ "email": recipient }),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type, "NoCode");

    let err = invoke(&sender, json!({ "hello": "world" }))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, "InvalidEvent");

    assert!(mail_to(&recipient).is_empty());
    assert!(fake.sent().is_empty());
    assert_eq!(fake.calls("SendTextMessage"), 0);
}

#[tokio::test]
async fn the_takeover_notice_needs_no_code() {
    let key = new_key().await;
    let recipient = format!("{}@example.org", unique("jane"));
    let sender = sender(&key, Arc::new(verified_ses_sender().await), no_sms());
    sender
        .send(&event(
            "CustomEmailSender_AccountTakeOverNotification",
            None,
            json!({ "email": recipient, "name": "Jane" }),
        ))
        .await
        .unwrap();
    let mail = mail_to(&recipient);
    assert_eq!(mail.len(), 1);
    assert_eq!(
        mail[0]["subject"],
        "Security alert: suspicious sign-in attempt"
    );
    assert!(mail[0]["body"].as_str().unwrap().contains("Hello Jane,"));
}

#[tokio::test]
async fn sms_sandbox_refusal_as_on_the_api_path() {
    let key = new_key().await;
    let fake = FakeSms::start(Account::sandbox());
    let sms = Arc::new(SmsV2Sender::new(sms_client(&fake), sms_settings()));
    let sender = sender(&key, Arc::new(Outbox::new(None, None, false)), sms);
    let err = sender
        .send(&event(
            "CustomSMSSender_ForgotPassword",
            Some(&encrypt(&key, "444444")),
            json!({ "phone_number": "+12065550199", "phone_number_verified": "true" }),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "CodeDeliveryFailureException");
    let text = err.to_string();
    assert!(text.contains("+*******0199"), "{text}");
    assert!(
        text.contains(
            "is in the sandbox, where text messages go only to verified destination numbers"
        ),
        "{text}"
    );
    assert!(!text.contains("+12065550199"));
    assert!(fake.sent().is_empty());
}

#[tokio::test]
async fn ses_sandbox_refusal_as_on_the_api_path() {
    let key = new_key().await;
    // moto has no GetAccount: the sandbox is mocked, as in shared/tests/library/ses_delivery.rs.
    let account = mock!(aws_sdk_sesv2::Client::get_account).then_output(|| {
        GetAccountOutput::builder()
            .production_access_enabled(false)
            .sending_enabled(true)
            .build()
    });
    let unverified = mock!(aws_sdk_sesv2::Client::get_email_identity).then_error(|| {
        GetEmailIdentityError::NotFoundException(NotFoundException::builder().message("no").build())
    });
    let send = mock!(aws_sdk_sesv2::Client::send_email)
        .then_output(|| aws_sdk_sesv2::operation::send_email::SendEmailOutput::builder().build());
    let client = mock_client!(
        aws_sdk_sesv2,
        RuleMode::MatchAny,
        [&account, &unverified, &send]
    );
    let ses = SesV2Sender::new(
        client,
        SesSettings {
            from: "no-reply@example.com".into(),
            configuration_set: None,
            reply_to: None,
        },
    );
    let sender = sender(&key, Arc::new(ses), no_sms());
    let err = sender
        .send(&event(
            "CustomEmailSender_VerifyUserAttribute",
            Some(&encrypt(&key, "555555")),
            json!({ "email": "new.address@example.org" }),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "CodeDeliveryFailureException");
    let text = err.to_string();
    assert!(text.contains("n***@e***.org"), "{text}");
    assert!(
        text.contains("Amazon SES in us-east-1 is in the sandbox"),
        "{text}"
    );
    assert_eq!(send.num_calls(), 0, "SES was asked to send");
}
