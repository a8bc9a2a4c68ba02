//! SMS delivery through End User Messaging SMS v2, over the real SDK, against the fake SMS v2
//! server the tests own. Each case goes through `ResetService::forgot_password`, as a caller does.

#![cfg(feature = "sms")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use aws_sdk_pinpointsmsvoicev2::config::retry::RetryConfig;
use aws_sdk_pinpointsmsvoicev2::config::{BehaviorVersion, Credentials, Region};
use password_reset::adapters::codes::memory::MemoryCodes;
use password_reset::adapters::delivery::outbox::Outbox;
use password_reset::adapters::delivery::sms::SmsV2Sender;
use password_reset::config::delivery::SmsSettings;
use password_reset::{CognitoError, ResetService};
use test_support::delivery::{self, *};
use test_support::fake_sms::{Account, FakeSms};

const PAUL: &str = "+12065550142";

fn client(fake: &FakeSms) -> aws_sdk_pinpointsmsvoicev2::Client {
    // Throttling is asserted as the caller sees it, not after the SDK's back-off.
    aws_sdk_pinpointsmsvoicev2::Client::from_conf(
        fake.config().retry_config(RetryConfig::disabled()).build(),
    )
}

fn settings() -> SmsSettings {
    SmsSettings {
        origination_identity: Some("+18005550100".into()),
        configuration_set: Some("reset-codes".into()),
        dry_run: false,
        ttl_seconds: 600,
    }
}

fn setup(fake: &FakeSms, settings: SmsSettings) -> (Arc<ResetService>, Arc<MemoryCodes>) {
    let sms = Arc::new(SmsV2Sender::new(client(fake), settings));
    let email = Arc::new(Outbox::new(None, None, false));
    delivery::service(vec![phone_user("paul", PAUL)], email, sms)
}

#[tokio::test]
async fn sandbox_verified_number_receives_the_code_with_one_round_trip_per_delivery_once_cached() {
    let mut account = Account::sandbox();
    account.verified.insert(PAUL.into(), "VERIFIED".into());
    let fake = FakeSms::start(account);
    let (service, _) = setup(&fake, settings());

    let out = request_code(&service, "paul").await.unwrap();
    assert_eq!(out.code_delivery_details.destination, "+*******0142");
    let sent = fake.sent();
    assert_eq!(sent.len(), 1);
    let first = &sent[0];
    assert_eq!(first.destination, PAUL);
    assert_eq!(first.message_type.as_deref(), Some("TRANSACTIONAL"));
    assert_eq!(first.time_to_live, Some(600));
    assert_eq!(first.origination_identity.as_deref(), Some("+18005550100"));
    assert_eq!(first.configuration_set.as_deref(), Some("reset-codes"));
    assert!(!first.dry_run);

    // Two more deliveries: the account and the number are known, only the send goes out.
    for _ in 0..2 {
        request_code(&service, "paul").await.unwrap();
    }
    assert_eq!(fake.calls("DescribeAccountAttributes"), 1);
    assert_eq!(fake.calls("DescribeSpendLimits"), 1);
    assert_eq!(fake.calls("DescribeVerifiedDestinationNumbers"), 1);
    assert_eq!(fake.calls("SendTextMessage"), 3);

    // The newest SMS carries the live code: it resets the password.
    let code = code_in(&fake.sent().last().unwrap().body);
    confirm_code(&service, "paul", &code).await.unwrap();
}

#[tokio::test]
async fn sandbox_unverified_number_is_refused_before_any_send_and_the_user_can_ask_again() {
    let mut account = Account::sandbox();
    account.verified.insert(PAUL.into(), "PENDING".into());
    let fake = FakeSms::start(account);
    let (service, store) = setup(&fake, settings());

    // More requests than the per-user limit (5): none of them counts.
    for _ in 0..7 {
        let err = request_code(&service, "paul").await.unwrap_err();
        let CognitoError::CodeDeliveryFailure(message) = &err else {
            panic!("expected CodeDeliveryFailureException, got {err:?}")
        };
        assert!(message.contains("sandbox"), "{message}");
        assert!(message.contains("+*******0142"), "{message}");
        assert!(message.contains("not verified"), "{message}");
        assert!(message.contains("Verify the number"), "{message}");
        assert!(!message.contains("2065550142"), "{message}");
        assert_no_live_code(&store, "paul");
    }
    assert_eq!(fake.calls("SendTextMessage"), 0, "refused before any send");
    assert_eq!(
        fake.calls("DescribeVerifiedDestinationNumbers"),
        1,
        "the refusal is cached"
    );

    // Once the number is verified, a fresh container sends (the first one re-checks within a minute).
    fake.with(|a| a.verified.insert(PAUL.into(), "VERIFIED".into()));
    let (service, _) = setup(&fake, settings());
    request_code(&service, "paul").await.unwrap();
    assert_eq!(fake.calls("SendTextMessage"), 1);
}

#[tokio::test]
async fn production_sends_without_checking_the_number() {
    let fake = FakeSms::start(Account::production());
    let (service, _) = setup(&fake, settings());
    request_code(&service, "paul").await.unwrap();
    request_code(&service, "paul").await.unwrap();
    assert_eq!(fake.calls("DescribeVerifiedDestinationNumbers"), 0);
    assert_eq!(fake.calls("DescribeAccountAttributes"), 1);
    assert_eq!(fake.calls("SendTextMessage"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_deliveries_read_the_account_once() {
    let fake = FakeSms::start(Account::production());
    let sms = Arc::new(SmsV2Sender::new(client(&fake), settings()));
    let users: Vec<_> = (0..20)
        .map(|i| phone_user(&format!("u{i}"), &format!("+1206555{i:04}")))
        .collect();
    let (service, _) = delivery::service(users, Arc::new(Outbox::new(None, None, false)), sms);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let service = service.clone();
            tokio::spawn(async move { request_code(&service, &format!("u{i}")).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(fake.calls("DescribeAccountAttributes"), 1);
    assert_eq!(fake.calls("SendTextMessage"), 20);
}

#[tokio::test]
async fn dry_run_is_validated_by_the_service_but_not_sent_or_charged() {
    let fake = FakeSms::start(Account::production());
    let (service, _) = setup(
        &fake,
        SmsSettings {
            dry_run: true,
            ..settings()
        },
    );
    request_code(&service, "paul").await.unwrap();
    let sent = fake.sent();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].dry_run, "the request asked for a dry run");
    assert_eq!(fake.with(|a| a.spent_cents), 0);
}

/// What the caller gets for one failure, and the proof that nothing was left live.
async fn refused(fake: &FakeSms, settings: SmsSettings) -> CognitoError {
    let (service, store) = setup(fake, settings);
    let err = request_code(&service, "paul").await.unwrap_err();
    assert_no_live_code(&store, "paul");
    let shown = err.to_string();
    assert!(!shown.contains("2065550142"), "unmasked number: {shown}");
    err
}

fn delivery_failure(err: &CognitoError) -> &str {
    match err {
        CognitoError::CodeDeliveryFailure(m) => m,
        other => panic!("expected CodeDeliveryFailureException, got {other:?}"),
    }
}

#[tokio::test]
async fn every_refusal_maps_to_a_clear_error_and_leaves_no_live_code() {
    type Setup = fn(&mut Account);
    let cases: Vec<(&str, Setup, Option<&str>, &str)> = vec![
        // Account attributes unreadable: no pre-check, the service's own sandbox refusal is mapped.
        (
            "DESTINATION_PHONE_NUMBER_NOT_VERIFIED",
            |a| a.deny_describe = true,
            Some("+18005550100"),
            "sandbox",
        ),
        (
            "NO_ORIGINATION_IDENTITIES_FOUND",
            |a| a.origination_identities.clear(),
            None,
            "no origination identity",
        ),
        (
            "DESTINATION_PHONE_NUMBER_OPTED_OUT",
            |a| {
                a.opted_out.insert(PAUL.into());
            },
            Some("+18005550100"),
            "opted out",
        ),
        (
            "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT",
            |a| a.spent_cents = a.spend_limit * 100,
            Some("+18005550100"),
            "monthly SMS spend limit",
        ),
        (
            "SENDER_ID_NOT_REGISTERED",
            |_| {},
            Some("MYBRAND"),
            "sender ID",
        ),
        (
            "DESTINATION_COUNTRY_BLOCKED",
            |a| a.blocked_prefixes.push("+1".into()),
            Some("+18005550100"),
            "blocked",
        ),
        (
            "ACCOUNT_DISABLED",
            |a| a.disabled = true,
            Some("+18005550100"),
            "disabled",
        ),
        (
            "unknown origination identity",
            |_| {},
            Some("pool-doesnotexist"),
            "does not exist",
        ),
        (
            "spend limit of $0, refused before sending",
            |a| a.spend_limit = 0,
            Some("+18005550100"),
            "$0",
        ),
    ];
    for (name, prepare, origination, expected) in cases {
        let mut account = Account::production();
        if name == "DESTINATION_PHONE_NUMBER_NOT_VERIFIED" {
            account.tier = "SANDBOX".into();
        }
        prepare(&mut account);
        let fake = FakeSms::start(account);
        let err = refused(
            &fake,
            SmsSettings {
                origination_identity: origination.map(String::from),
                ..settings()
            },
        )
        .await;
        let message = delivery_failure(&err);
        assert!(message.contains(expected), "{name}: {message}");
        assert!(message.contains("+*******0142"), "{name}: {message}");
        if name.contains("before sending") {
            assert_eq!(fake.calls("SendTextMessage"), 0, "{name}");
        }
    }
}

#[tokio::test]
async fn throttling_is_too_many_requests_and_other_failures_are_generic() {
    let mut account = Account::production();
    account.throttle = true;
    let fake = FakeSms::start(account);
    let err = refused(&fake, settings()).await;
    assert_eq!(err.kind(), "TooManyRequestsException");

    // An invalid request (our fault) or an unreachable endpoint: a generic message, detail in the log.
    let (service, store) = delivery::service(
        vec![phone_user("bad", "+1")],
        Arc::new(Outbox::new(None, None, false)),
        Arc::new(SmsV2Sender::new(
            client(&FakeSms::start(Account::production())),
            settings(),
        )),
    );
    let err = request_code(&service, "bad").await.unwrap_err();
    assert_eq!(err.kind(), "CodeDeliveryFailureException");
    assert!(!err.to_string().contains("validation"), "{err}");
    assert_no_live_code(&store, "bad");

    let gone = aws_sdk_pinpointsmsvoicev2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .retry_config(RetryConfig::disabled())
        .build();
    let sms = SmsV2Sender::new(
        aws_sdk_pinpointsmsvoicev2::Client::from_conf(gone),
        settings(),
    );
    let (service, store) = delivery::service(
        vec![phone_user("paul", PAUL)],
        Arc::new(Outbox::new(None, None, false)),
        Arc::new(sms),
    );
    let err = request_code(&service, "paul").await.unwrap_err();
    assert_eq!(err.kind(), "CodeDeliveryFailureException");
    assert_no_live_code(&store, "paul");
}
