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
    let client: Client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, rules);
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

#[tokio::test]
async fn a_throttled_confirm_changes_nothing() {
    let found = jane_found();
    // The write that counts the attempt is throttled: nothing is judged, claimed or changed.
    let counted = mock!(Client::update_item)
        .match_requests(codes_update("if_not_exists(#attempts"))
        .then_error(throttled_update);
    let other = mock!(Client::update_item).then_output(|| UpdateItemOutput::builder().build());
    let s = service(&[&found, &counted, &other], Arc::new(Inbox::default()));
    too_many(answer(&s).await);
    // The SDK retries a throttle itself before giving up.
    assert!(counted.num_calls() >= 1);
    assert_eq!(other.num_calls(), 0, "no claim and no password change");
}

#[tokio::test]
async fn a_throttled_password_change_gives_the_code_back() {
    let found = jane_found();
    let mut s = service(&[], Arc::new(Inbox::default()));
    s.code_keys = CodeKey::from_bytes(&[9u8; 32]).unwrap().into();
    let (key_id, digest) = s.code_keys.digest("jane", "123456");
    let live = move || {
        UpdateItemOutput::builder()
            .attributes("digest", AttributeValue::B(Blob::new(digest.0.to_vec())))
            .attributes("key_id", AttributeValue::S(key_id.to_string()))
            .attributes("expires_at", AttributeValue::N("99999999999".into()))
            .attributes("attempts", AttributeValue::N("1".into()))
            .build()
    };
    let counted = mock!(Client::update_item)
        .match_requests(codes_update("if_not_exists(#attempts"))
        .then_output(live);
    let claimed = mock!(Client::update_item)
        .match_requests(codes_update("SET #claimed_at"))
        .then_output(|| UpdateItemOutput::builder().build());
    let released = mock!(Client::update_item)
        .match_requests(codes_update("REMOVE #claimed_at"))
        .then_output(|| UpdateItemOutput::builder().build());
    let password = mock!(Client::update_item)
        .match_requests(|r| r.table_name() == Some("users"))
        .then_error(throttled_update);
    let (users, codes) = store(&[&found, &counted, &claimed, &released, &password]);
    s.ports.users = users;
    s.ports.codes = codes;
    too_many(answer(&s).await);
    assert_eq!((counted.num_calls(), claimed.num_calls()), (1, 1));
    assert!(password.num_calls() >= 1);
    assert_eq!(released.num_calls(), 1, "the claimed code is released");
}

#[tokio::test]
async fn a_claim_that_may_have_applied_answers_expired_code_not_a_retry() {
    let found = jane_found();
    let mut s = service(&[], Arc::new(Inbox::default()));
    s.code_keys = CodeKey::from_bytes(&[9u8; 32]).unwrap().into();
    let (key_id, digest) = s.code_keys.digest("jane", "123456");
    let live = move || {
        UpdateItemOutput::builder()
            .attributes("digest", AttributeValue::B(Blob::new(digest.0.to_vec())))
            .attributes("key_id", AttributeValue::S(key_id.to_string()))
            .attributes("expires_at", AttributeValue::N("99999999999".into()))
            .attributes("attempts", AttributeValue::N("1".into()))
            .build()
    };
    let counted = mock!(Client::update_item)
        .match_requests(codes_update("if_not_exists(#attempts"))
        .then_output(live);
    // The claim's answer is lost: it may have applied, so the code may be spent.
    let claim_lost = mock!(Client::update_item)
        .match_requests(codes_update("SET #claimed_at"))
        .then_error(|| {
            UpdateItemError::InternalServerError(
                aws_sdk_dynamodb::types::error::InternalServerError::builder()
                    .message("lost")
                    .build(),
            )
        });
    let password = mock!(Client::update_item)
        .match_requests(|r| r.table_name() == Some("users"))
        .then_output(|| UpdateItemOutput::builder().build());
    let (users, codes) = store(&[&found, &counted, &claim_lost, &password]);
    s.ports.users = users;
    s.ports.codes = codes;
    assert_eq!(answer(&s).await, Err(CognitoError::ExpiredCode));
    assert_eq!(
        password.num_calls(),
        0,
        "no password change without a claim"
    );
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
