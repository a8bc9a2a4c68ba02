//! DynamoDB faults through aws-smithy-mocks: throttling becomes TooManyRequestsException, anything
//! else InternalErrorException, and a throttled step leaves nothing half-done behind it.

#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::get_item::{GetItemError, GetItemOutput};
use aws_sdk_dynamodb::operation::update_item::{
    UpdateItemError, UpdateItemInput, UpdateItemOutput,
};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::error::{
    ProvisionedThroughputExceededException, RequestLimitExceeded,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use password_reset::adapters::codes::dynamodb::DynamoDbCodes;
use password_reset::adapters::directory::dynamodb::{DynamoDbDirectory, UserItem};
use password_reset::adapters::dynamodb_tables::Tables;
use password_reset::config::Settings;
use password_reset::domain::code::CodeKey;
use password_reset::domain::time::UnixTime;
use password_reset::usecases::ForgotPasswordResponse;
use password_reset::{CognitoError, ResetService};
use test_support::{Inbox, Operations, confirm, forgot};

fn settings() -> Settings {
    Settings::from_json(include_str!("../../../config/demo-pool.json")).unwrap()
}

/// The DynamoDB directory and code store on a client that answers by `rules`.
fn store(rules: &[&Rule]) -> (Arc<DynamoDbDirectory>, Arc<DynamoDbCodes>) {
    store_on(mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, rules))
}

/// As `store`, with the SDK's own retries off: each send is one call to a rule.
fn store_sending_once(rules: &[&Rule]) -> (Arc<DynamoDbDirectory>, Arc<DynamoDbCodes>) {
    store_on(mock_client!(
        aws_sdk_dynamodb,
        RuleMode::MatchAny,
        rules,
        |c| c.retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
    ))
}

fn store_on(client: Client) -> (Arc<DynamoDbDirectory>, Arc<DynamoDbCodes>) {
    let tables = Tables {
        users: "users".into(),
        codes: "codes".into(),
    };
    (
        Arc::new(DynamoDbDirectory::new(client.clone(), tables.users)),
        Arc::new(DynamoDbCodes::new(
            client,
            tables.codes,
            &settings().pool.codes,
        )),
    )
}

fn service(rules: &[&Rule], inbox: Arc<Inbox>) -> ResetService {
    let settings = settings();
    let (users, codes) = store(rules);
    let mut service =
        password_reset::embedded::assemble(&settings, &mut password_reset::request_rng(), false)
            .service;
    service.ports.users = users;
    service.ports.codes = codes;
    service.ports.email = inbox.clone();
    service.ports.sms = inbox;
    service
}

fn jane_found() -> Rule {
    let jane = settings()
        .users
        .into_iter()
        .find(|u| u.username == "jane")
        .unwrap();
    mock!(Client::get_item).then_output(move || {
        GetItemOutput::builder()
            .set_item(Some(UserItem::from(&jane).0))
            .build()
    })
}

/// The error code the SDK reads from the response's `__type`, as a modeled error built here lacks it.
fn wire_code(code: &str) -> aws_sdk_dynamodb::error::ErrorMetadata {
    aws_sdk_dynamodb::error::ErrorMetadata::builder()
        .code(code)
        .build()
}

/// jane asks for a code, now.
async fn ask(s: &ResetService) -> Result<ForgotPasswordResponse, CognitoError> {
    s.forgot_at(
        &forgot("jane"),
        UnixTime::now(),
        &mut password_reset::request_rng(),
    )
    .await
}

/// jane confirms the code 123456, now.
async fn answer(s: &ResetService) -> Result<(), CognitoError> {
    s.confirm_at(&confirm("jane", "123456"), UnixTime::now())
        .await
}

fn too_many(result: Result<impl std::fmt::Debug, CognitoError>) {
    match result {
        Err(CognitoError::TooManyRequests(_)) => {}
        other => panic!("expected TooManyRequestsException, got {other:?}"),
    }
}

#[tokio::test]
async fn a_throttled_issue_sends_nothing() {
    let inbox = Arc::new(Inbox::default());
    let found = jane_found();
    let throttled = mock!(Client::update_item).then_error(throttled_update);
    let s = service(&[&found, &throttled], inbox.clone());
    too_many(ask(&s).await);
    assert!(throttled.num_calls() >= 1);
    assert_eq!(inbox.count(), 0, "no code without a stored code");
}

#[tokio::test]
async fn a_throttled_lookup_is_too_many_requests() {
    let throttled = mock!(Client::get_item).then_error(|| {
        GetItemError::RequestLimitExceeded(
            RequestLimitExceeded::builder()
                .meta(wire_code("RequestLimitExceeded"))
                .build(),
        )
    });
    let issue = mock!(Client::update_item).then_output(|| UpdateItemOutput::builder().build());
    let s = service(&[&throttled, &issue], Arc::new(Inbox::default()));
    too_many(ask(&s).await);
    assert_eq!(issue.num_calls(), 0, "no code issued for an unread user");
}

fn codes_update(expression: &'static str) -> impl Fn(&UpdateItemInput) -> bool + Send + Sync {
    move |r| {
        r.table_name() == Some("codes")
            && r.update_expression()
                .is_some_and(|e| e.contains(expression))
    }
}

fn throttled_update() -> UpdateItemError {
    UpdateItemError::ProvisionedThroughputExceededException(
        ProvisionedThroughputExceededException::builder()
            .message("slow down")
            .meta(wire_code("ProvisionedThroughputExceededException"))
            .build(),
    )
}

/// An answer that never came back: the write may have applied.
fn lost_update() -> UpdateItemError {
    UpdateItemError::InternalServerError(
        aws_sdk_dynamodb::types::error::InternalServerError::builder()
            .message("lost")
            .build(),
    )
}

/// The one write a confirm makes on the code: the attempt counted, its digests appended to `tried`.
fn counting() -> impl Fn(&UpdateItemInput) -> bool + Send + Sync {
    codes_update("list_append(if_not_exists(#tried")
}

/// A service whose code keys are known here, so a rule can answer with jane's code 123456.
fn keyed_service(inbox: Arc<Inbox>) -> ResetService {
    let mut s = service(&[], inbox);
    s.code_keys = CodeKey::from_bytes(&[9u8; 32]).unwrap().into();
    s
}

/// jane's code item holding 123456, as the counting write returns it after `sent` attempts with
/// 123456 were counted: the first one claimed it, so it is this attempt's only when `sent` is 1.
fn janes_item(
    s: &ResetService,
    sent: usize,
) -> impl Fn() -> UpdateItemOutput + Send + Sync + use<> {
    let (key_id, digest) = s.code_keys.digest("jane", "123456");
    move || {
        UpdateItemOutput::builder()
            .attributes("digest", AttributeValue::B(Blob::new(digest.0.to_vec())))
            .attributes("key_id", AttributeValue::S(key_id.to_string()))
            .attributes("expires_at", AttributeValue::N("99999999999".into()))
            .attributes("attempts", AttributeValue::N(sent.to_string()))
            .attributes(
                "tried",
                AttributeValue::L(vec![AttributeValue::B(Blob::new(digest.0.to_vec())); sent]),
            )
            .build()
    }
}

fn password_set() -> Rule {
    mock!(Client::update_item)
        .match_requests(|r| r.table_name() == Some("users"))
        .then_output(|| UpdateItemOutput::builder().build())
}

#[tokio::test]
async fn a_throttled_confirm_changes_nothing() {
    let found = jane_found();
    // The write that counts the attempt is throttled: nothing is judged, claimed or changed.
    let counted = mock!(Client::update_item)
        .match_requests(counting())
        .then_error(throttled_update);
    let other = mock!(Client::update_item).then_output(|| UpdateItemOutput::builder().build());
    let s = service(&[&found, &counted, &other], Arc::new(Inbox::default()));
    too_many(answer(&s).await);
    // The SDK retries a throttle itself before giving up, and the store sends it once more.
    assert!(counted.num_calls() >= 2);
    assert_eq!(other.num_calls(), 0, "no release and no password change");
}

#[tokio::test]
async fn a_throttled_password_change_gives_the_code_back() {
    let found = jane_found();
    let mut s = keyed_service(Arc::new(Inbox::default()));
    // The right code, counted and claimed in one write.
    let counted = mock!(Client::update_item)
        .match_requests(counting())
        .then_output(janes_item(&s, 1));
    let released = mock!(Client::update_item)
        .match_requests(codes_update("REMOVE #tried"))
        .then_output(|| UpdateItemOutput::builder().build());
    let password = mock!(Client::update_item)
        .match_requests(|r| r.table_name() == Some("users"))
        .then_error(throttled_update);
    (s.ports.users, s.ports.codes) = store(&[&found, &counted, &released, &password]);
    too_many(answer(&s).await);
    assert_eq!(counted.num_calls(), 1, "one write counts and claims");
    assert!(password.num_calls() >= 1);
    assert_eq!(released.num_calls(), 1, "the claimed code is released");
}

#[tokio::test]
async fn a_resent_count_that_finds_a_twin_counted_first_answers_expired_code() {
    let found = jane_found();
    let mut s = keyed_service(Arc::new(Inbox::default()));
    // The first send failed; the second applied behind a twin with the same code, counted first:
    // spent by the twin. (A send whose own earlier twin applied is refused by its nonce instead:
    // `delivered_codes` on moto.)
    let counted = mock!(Client::update_item)
        .match_requests(counting())
        .sequence()
        .error(lost_update)
        .output(janes_item(&s, 2))
        .build();
    let password = password_set();
    (s.ports.users, s.ports.codes) = store_sending_once(&[&found, &counted, &password]);
    assert_eq!(answer(&s).await, Err(CognitoError::ExpiredCode));
    assert_eq!(counted.num_calls(), 2);
    assert_eq!(
        password.num_calls(),
        0,
        "no password change without a claim"
    );
}

#[tokio::test]
async fn a_throttled_count_sent_once_more_goes_on_to_the_reset() {
    let found = jane_found();
    let inbox = Arc::new(Inbox::default());
    let mut s = keyed_service(inbox.clone());
    // Throttled, so not applied; sent once more, it counts the right code first and claims it.
    let counted = mock!(Client::update_item)
        .match_requests(counting())
        .sequence()
        .error(throttled_update)
        .output(janes_item(&s, 1))
        .build();
    let password = password_set();
    (s.ports.users, s.ports.codes) = store_sending_once(&[&found, &counted, &password]);
    assert_eq!(answer(&s).await, Ok(()));
    assert_eq!(counted.num_calls(), 2);
    assert_eq!(password.num_calls(), 1, "the password is set");
    assert_eq!(inbox.count(), 1, "and the PasswordChanged notice sent");
}

#[tokio::test]
async fn a_count_lost_on_every_send_is_an_error_and_the_retry_answers_expired_code() {
    let found = jane_found();
    let mut s = keyed_service(Arc::new(Inbox::default()));
    // No send's answer came back: the code may be spent, and the error cannot say so; the
    // client's retry, a new count, finds it counted before.
    let counted = mock!(Client::update_item)
        .match_requests(counting())
        .sequence()
        .error(lost_update)
        .times(4)
        .output(janes_item(&s, 2))
        .build();
    let password = password_set();
    (s.ports.users, s.ports.codes) = store_sending_once(&[&found, &counted, &password]);
    assert_eq!(answer(&s).await, Err(CognitoError::InternalError));
    assert_eq!(answer(&s).await, Err(CognitoError::ExpiredCode));
    assert_eq!(counted.num_calls(), 5);
    assert_eq!(password.num_calls(), 0);
}

#[tokio::test]
async fn other_store_failures_are_internal_errors() {
    let failing = mock!(Client::get_item).then_error(|| {
        GetItemError::InternalServerError(
            aws_sdk_dynamodb::types::error::InternalServerError::builder()
                .message("boom: detail for the log only")
                .build(),
        )
    });
    let s = service(&[&failing], Arc::new(Inbox::default()));
    let err = ask(&s).await.unwrap_err();
    assert_eq!(err, CognitoError::InternalError);
    assert!(!err.to_string().contains("boom"));
}
