//! Email delivery through SES v2, over the real SDK: sending against moto (`MOTO_ENDPOINT`, started
//! by scripts/test), and what moto lacks (GetAccount, the sandbox, each refusal) through
//! aws-smithy-mocks. Each case goes through `ResetService::forgot_password`, as a caller does.

#![cfg(feature = "ses")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::config::Region;
use aws_sdk_sesv2::config::retry::RetryConfig;
use aws_sdk_sesv2::operation::get_account::{GetAccountError, GetAccountOutput};
use aws_sdk_sesv2::operation::get_email_identity::{GetEmailIdentityError, GetEmailIdentityOutput};
use aws_sdk_sesv2::operation::send_email::{SendEmailError, SendEmailInput, SendEmailOutput};
use aws_sdk_sesv2::types::SendQuota;
use aws_sdk_sesv2::types::error::{
    AccountSuspendedException, BadRequestException, LimitExceededException,
    MailFromDomainNotVerifiedException, MessageRejected, NotFoundException, SendingPausedException,
    TooManyRequestsException,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use password_reset::adapters::delivery::outbox::Outbox;
use password_reset::adapters::delivery::ses::SesV2Sender;
use password_reset::config::delivery::SesSettings;
use password_reset::domain::message::RenderedMessage;
use password_reset::ports::{DeliveryError, EmailSender};
use password_reset::{CognitoError, ResetService};
use test_support::delivery::*;
use test_support::moto::{self, mail_to};
use test_support::unique;

fn ses_settings(from: &str) -> SesSettings {
    SesSettings {
        from: format!("Example <{from}>"),
        configuration_set: None,
        reply_to: None,
    }
}

fn with_sender(
    users: Vec<password_reset::domain::user::User>,
    sender: SesV2Sender,
) -> (
    Arc<ResetService>,
    Arc<password_reset::adapters::codes::memory::MemoryCodes>,
) {
    service(
        users,
        Arc::new(sender),
        Arc::new(Outbox::new(None, None, false)),
    )
}

// ---------------------------------------------------------------- moto

/// The SES sender, noting what the use case handed it (subject, code) before passing it on.
struct Tee {
    ses: SesV2Sender,
    seen: Mutex<Vec<RenderedMessage>>,
}

#[async_trait::async_trait]
impl EmailSender for Tee {
    async fn send_email(&self, to: &str, message: &RenderedMessage) -> Result<(), DeliveryError> {
        self.seen.lock().unwrap().push(message.clone());
        self.ses.send_email(to, message).await
    }
}

#[tokio::test]
async fn moto_receives_the_code_by_email_and_the_code_resets_the_password() {
    let client = moto::ses();
    let from = moto::verified_sender("no-reply").await;
    let recipient = format!("{}@example.org", unique("jane"));
    let tee = Arc::new(Tee {
        ses: SesV2Sender::new(client, ses_settings(&from)),
        seen: Mutex::default(),
    });
    let (service, _) = service(
        vec![email_user("jane", &recipient)],
        tee.clone(),
        Arc::new(Outbox::new(None, None, false)),
    );

    // moto has no GetAccount: the account state is unknown, so SES is asked directly.
    let out = request_code(&service, "jane").await.unwrap();
    assert_eq!(out.code_delivery_details.delivery_medium.as_str(), "EMAIL");
    let rendered = tee.seen.lock().unwrap()[0].clone();
    let mail = mail_to(&recipient);
    assert_eq!(mail.len(), 1, "{mail:?}");
    let message = &mail[0];
    assert_eq!(message["source"], format!("Example <{from}>"));
    assert_eq!(message["subject"], rendered.subject.as_str());
    // moto keeps the HTML part when there is one: the code is in it, in a paragraph.
    let body = message["body"].as_str().unwrap();
    assert!(body.contains("<p>"), "{body}");
    assert!(body.contains(&rendered.code), "{body}");
    confirm_code(&service, "jane", &code_in(body))
        .await
        .unwrap();
}

#[tokio::test]
async fn moto_refusing_an_unverified_sender_is_a_clear_error_and_no_code_stays_live() {
    let from = format!("{}@example.com", unique("never-verified"));
    let recipient = format!("{}@example.org", unique("jane"));
    let (service, store) = with_sender(
        vec![email_user("jane", &recipient)],
        SesV2Sender::new(moto::ses(), ses_settings(&from)),
    );
    let err = request_code(&service, "jane").await.unwrap_err();
    assert_no_live_code(&store, "jane");
    assert_eq!(err.kind(), "CodeDeliveryFailureException");
    assert!(
        err.to_string()
            .contains("sender address is not a verified identity"),
        "{err}"
    );
    assert!(mail_to(&recipient).is_empty());
}

// ---------------------------------------------------------------- aws-smithy-mocks

fn account(production: bool) -> Rule {
    mock!(Client::get_account).then_output(move || {
        GetAccountOutput::builder()
            .production_access_enabled(production)
            .sending_enabled(true)
            .send_quota(
                SendQuota::builder()
                    .max24_hour_send(200.0)
                    .max_send_rate(1.0)
                    .sent_last24_hours(3.0)
                    .build(),
            )
            .build()
    })
}

fn identity(name: &'static str, verified: bool) -> Rule {
    mock!(Client::get_email_identity)
        .match_requests(move |r| r.email_identity() == Some(name))
        .then_output(move || {
            GetEmailIdentityOutput::builder()
                .verified_for_sending_status(verified)
                .build()
        })
}

fn no_identity() -> Rule {
    mock!(Client::get_email_identity).then_error(|| {
        GetEmailIdentityError::NotFoundException(NotFoundException::builder().message("x").build())
    })
}

fn sent_ok() -> Rule {
    mock!(Client::send_email).then_output(|| SendEmailOutput::builder().message_id("m-1").build())
}

fn mocked(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_sesv2, RuleMode::MatchAny, rules, |c| c
        .region(Region::new("us-east-1"))
        .retry_config(RetryConfig::disabled()))
}

const JANE: &str = "jane@example.com";

fn jane_with(
    client: Client,
    settings: SesSettings,
) -> (
    Arc<ResetService>,
    Arc<password_reset::adapters::codes::memory::MemoryCodes>,
) {
    with_sender(
        vec![email_user("jane", JANE)],
        SesV2Sender::new(client, settings),
    )
}

#[tokio::test]
async fn sandbox_unverified_recipient_is_refused_before_sending_and_can_ask_again() {
    let (get_account, identities, send) = (account(false), no_identity(), sent_ok());
    let (service, store) = jane_with(
        mocked(&[&get_account, &identities, &send]),
        ses_settings("no-reply@example.com"),
    );
    // More requests than the per-user limit (5): none of them counts.
    for _ in 0..7 {
        let err = request_code(&service, "jane").await.unwrap_err();
        let CognitoError::CodeDeliveryFailure(message) = &err else {
            panic!("expected CodeDeliveryFailureException, got {err:?}")
        };
        assert!(message.contains("sandbox"), "{message}");
        assert!(message.contains("j***@e***.com"), "{message}");
        assert!(message.contains("not verified"), "{message}");
        assert!(message.contains("request production access"), "{message}");
        assert!(!message.contains(JANE), "{message}");
        assert_no_live_code(&store, "jane");
    }
    assert_eq!(send.num_calls(), 0, "refused before any send");
    assert_eq!(get_account.num_calls(), 1, "the account is read once");
    assert_eq!(
        identities.num_calls(),
        2,
        "address and domain checked once, then cached"
    );
}

#[tokio::test]
async fn sandbox_verified_domain_lets_mail_through_with_one_round_trip_per_delivery_once_cached() {
    let (get_account, address, domain, send) = (
        account(false),
        mock!(Client::get_email_identity)
            .match_requests(|r| r.email_identity() == Some(JANE))
            .then_error(|| {
                GetEmailIdentityError::NotFoundException(NotFoundException::builder().build())
            }),
        identity("example.com", true),
        sent_ok(),
    );
    let (service, _) = jane_with(
        mocked(&[&get_account, &address, &domain, &send]),
        ses_settings("no-reply@example.com"),
    );
    request_code(&service, "jane").await.unwrap();
    let lookups = get_account.num_calls() + address.num_calls() + domain.num_calls();
    assert_eq!(lookups, 3, "first delivery: account, address, domain");
    for _ in 0..3 {
        request_code(&service, "jane").await.unwrap();
    }
    let later = get_account.num_calls() + address.num_calls() + domain.num_calls();
    assert_eq!(later, lookups, "no lookup once cached");
    assert_eq!(send.num_calls(), 4, "one SendEmail per delivery");
}

#[tokio::test]
async fn production_sends_directly_with_everything_configured() {
    let seen: Arc<Mutex<Option<SendEmailInput>>> = Arc::default();
    let keep = seen.clone();
    let (get_account, identities) = (account(true), no_identity());
    let send = mock!(Client::send_email).then_compute_output(move |input| {
        *keep.lock().unwrap() = Some(input.clone());
        SendEmailOutput::builder().message_id("m-1").build()
    });
    let settings = SesSettings {
        from: "Example <no-reply@example.com>".into(),
        configuration_set: Some("reset-codes".into()),
        reply_to: Some("help@example.com".into()),
    };
    let (service, _) = jane_with(mocked(&[&get_account, &identities, &send]), settings);
    request_code(&service, "jane").await.unwrap();
    assert_eq!(identities.num_calls(), 0, "production: no recipient check");

    let input = seen.lock().unwrap().clone().unwrap();
    assert_eq!(
        input.from_email_address(),
        Some("Example <no-reply@example.com>")
    );
    assert_eq!(input.destination().unwrap().to_addresses(), [JANE]);
    assert_eq!(input.reply_to_addresses(), ["help@example.com"]);
    assert_eq!(input.configuration_set_name(), Some("reset-codes"));
    let simple = input.content().unwrap().simple().unwrap();
    assert!(!simple.subject().unwrap().data().is_empty());
    let text = simple.body().unwrap().text().unwrap().data();
    let html = simple.body().unwrap().html().unwrap().data();
    let code = code_in(text);
    assert!(html.contains(&code), "{html}");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
}

#[tokio::test]
async fn unreadable_account_sends_and_maps_the_sandbox_refusal() {
    let get_account = mock!(Client::get_account).then_error(|| {
        GetAccountError::unhandled(std::io::Error::other(
            "AccessDenied: not authorized to perform ses:GetAccount",
        ))
    });
    let send = mock!(Client::send_email).then_error(|| {
        SendEmailError::MessageRejected(
            MessageRejected::builder()
                .message("Email address is not verified. The following identities failed the check in region US-EAST-1: jane@example.com")
                .build(),
        )
    });
    let (service, store) = jane_with(
        mocked(&[&get_account, &send]),
        ses_settings("no-reply@example.com"),
    );
    for _ in 0..3 {
        let err = request_code(&service, "jane").await.unwrap_err();
        let CognitoError::CodeDeliveryFailure(message) = &err else {
            panic!("expected CodeDeliveryFailureException, got {err:?}")
        };
        assert!(
            message.contains("sandbox") && message.contains("j***@e***.com"),
            "{message}"
        );
        assert!(!message.contains(JANE), "{message}");
        assert_no_live_code(&store, "jane");
    }
    assert_eq!(
        get_account.num_calls(),
        1,
        "a failed read is not retried per request"
    );
    assert_eq!(send.num_calls(), 3);
}

#[tokio::test]
async fn every_ses_refusal_maps_to_a_clear_error_and_leaves_no_live_code() {
    type MakeError = fn() -> SendEmailError;
    let cases: Vec<(&str, MakeError, &str, &str)> = vec![
        (
            "MessageRejected (sandbox)",
            || {
                SendEmailError::MessageRejected(MessageRejected::builder().message(
                "Email address is not verified. The following identities failed the check in region US-EAST-1: jane@example.com").build())
            },
            "CodeDeliveryFailureException",
            "sandbox",
        ),
        (
            "MessageRejected (sender)",
            || {
                SendEmailError::MessageRejected(MessageRejected::builder().message(
                "Email address is not verified. The following identities failed the check in region US-EAST-1: no-reply@example.com").build())
            },
            "CodeDeliveryFailureException",
            "sender address is not a verified identity",
        ),
        (
            "MessageRejected (content)",
            || {
                SendEmailError::MessageRejected(
                    MessageRejected::builder().message("Illegal header").build(),
                )
            },
            "CodeDeliveryFailureException",
            "rejected the message to j***@e***.com",
        ),
        (
            "AccountSuspended",
            || {
                SendEmailError::AccountSuspendedException(
                    AccountSuspendedException::builder().build(),
                )
            },
            "CodeDeliveryFailureException",
            "suspended",
        ),
        (
            "SendingPaused",
            || SendEmailError::SendingPausedException(SendingPausedException::builder().build()),
            "CodeDeliveryFailureException",
            "sending is paused",
        ),
        (
            "MailFromDomainNotVerified",
            || {
                SendEmailError::MailFromDomainNotVerifiedException(
                    MailFromDomainNotVerifiedException::builder().build(),
                )
            },
            "CodeDeliveryFailureException",
            "MAIL FROM domain",
        ),
        (
            "LimitExceeded",
            || SendEmailError::LimitExceededException(LimitExceededException::builder().build()),
            "CodeDeliveryFailureException",
            "sending quota",
        ),
        (
            "NotFound",
            || SendEmailError::NotFoundException(NotFoundException::builder().build()),
            "CodeDeliveryFailureException",
            "does not exist",
        ),
        (
            "TooManyRequests",
            || {
                SendEmailError::TooManyRequestsException(
                    TooManyRequestsException::builder().build(),
                )
            },
            "TooManyRequestsException",
            "Too many requests",
        ),
        (
            "BadRequest (our fault: generic, detail logged)",
            || {
                SendEmailError::BadRequestException(
                    BadRequestException::builder()
                        .message("secret detail")
                        .build(),
                )
            },
            "CodeDeliveryFailureException",
            "could not be delivered",
        ),
    ];
    for (name, make, kind, expected) in cases {
        let (get_account, send) = (account(true), mock!(Client::send_email).then_error(make));
        let (service, store) = jane_with(
            mocked(&[&get_account, &send]),
            ses_settings("no-reply@example.com"),
        );
        let err = request_code(&service, "jane").await.unwrap_err();
        assert_no_live_code(&store, "jane");
        assert_eq!(err.kind(), kind, "{name}: {err}");
        let shown = err.to_string();
        assert!(shown.contains(expected), "{name}: {shown}");
        assert!(
            !shown.contains(JANE),
            "{name}: unmasked recipient in {shown}"
        );
        assert!(!shown.contains("secret detail"), "{name}: {shown}");
    }
}
