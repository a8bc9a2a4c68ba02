//! No delivered code lost to a fault the service can resolve, on the users table: the codes and
//! users tables on moto behind a `FaultProxy` that breaks about 30% of DynamoDB requests (seeded:
//! refused, 500s, connections reset before or after the write applied), and 20 users who each
//! received a code confirm with it as an SDK client would, retrying what it retries.

#![cfg(feature = "dynamodb")]

use std::sync::Arc;
use std::time::Duration;

use password_reset::adapters::codes::dynamodb::DynamoDbCodes;
use password_reset::adapters::codes::dynamodb::claim_with_password::DynamoDbClaims;
use password_reset::adapters::directory::dynamodb::DynamoDbDirectory;
use password_reset::adapters::dynamodb_tables::create_tables;
use password_reset::domain::password;
use password_reset::domain::time::UnixTime;
use password_reset::domain::user::User;
use password_reset::ports::UserDirectory;
use password_reset::{CognitoError, ResetService};
use test_support::dynamo::{settings, unique_tables};
use test_support::fault_proxy::{Fault, FaultProxy};
use test_support::moto::{self, Calls};
use test_support::{Inbox, Operations, PASSWORD, as_an_sdk_retries, confirm, forgot};

/// The faults DynamoDB's callers meet, one drawn per broken request.
pub const DYNAMODB_FAULTS: [Fault; 4] = [
    Fault::ApplyThenDrop,
    Fault::Refuse("ProvisionedThroughputExceededException"),
    Fault::InternalError,
    Fault::Stall(Duration::ZERO),
];

/// About 30% of requests broken.
pub const BROKEN_PER_MILLE: u32 = 300;

pub const LATER: &str = "Later-Passw0rd!-2";

/// `count` users `user00`, `user01`, ... each with a verified email `userNN@example.com`.
pub fn users(count: usize) -> Vec<User> {
    let old = password::hash("Old-Passw0rd!", &[7; 16]).unwrap();
    (0..count)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "Username": format!("user{i:02}"),
                "Sub": format!("5a1e{i:04}-1b3c-4c5d-9e6f-0a1b2c3d4e5f"),
                "Status": "CONFIRMED",
                "Attributes": {"email": format!("user{i:02}@example.com"), "email_verified": "true"},
                "PasswordHash": old,
            }))
            .unwrap()
        })
        .collect()
}

/// Each of `users` asks for a code (no fault yet): the codes they received, in order.
pub async fn delivered_codes(service: &ResetService, inbox: &Inbox, users: &[User]) -> Vec<String> {
    let mut codes = Vec::new();
    for user in users {
        service
            .forgot_at(
                &forgot(&user.username),
                UnixTime::now(),
                &mut password_reset::request_rng(),
            )
            .await
            .unwrap();
        codes.push(inbox.last_code(user.email().unwrap()));
    }
    codes
}

/// Each user confirms the code they received, one after the other (so the seeded faults fall the
/// same way on every run), retried as an SDK retries: every answer.
pub async fn confirm_all(
    service: &ResetService,
    users: &[User],
    codes: &[String],
) -> Vec<(String, Result<(), CognitoError>)> {
    let mut answers = Vec::new();
    for (user, code) in users.iter().zip(codes) {
        let request = confirm(&user.username, code);
        let answer = as_an_sdk_retries(|| service.confirm_at(&request, UnixTime::now())).await;
        answers.push((user.username.clone(), answer));
    }
    answers
}

#[tokio::test]
async fn every_delivered_code_confirms_on_the_users_table_under_30_percent_faults() {
    let calls = Calls::default();
    let tables = unique_tables("delivered-codes");
    let direct = moto::dynamodb(&calls);
    create_tables(&direct, &tables).await.unwrap();
    let people = users(20);
    let setup = DynamoDbDirectory::new(direct.clone(), &tables.users);
    for user in &people {
        setup.put_user(user).await.unwrap();
    }
    let proxy = FaultProxy::start(&moto::endpoint()).await;
    let faulty = moto::dynamodb_at(&proxy.endpoint(), &calls);
    let settings = settings(|_| {});
    let codes = DynamoDbCodes::new(faulty.clone(), &tables.codes, &settings.pool.codes);
    let inbox = Arc::new(Inbox::default());
    let mut service =
        password_reset::embedded::assemble(&settings, &mut password_reset::request_rng(), false)
            .service;
    service.ports.users = Arc::new(DynamoDbDirectory::new(faulty.clone(), &tables.users));
    service.ports.codes = Arc::new(codes.clone());
    service.ports.claims = Some(Arc::new(DynamoDbClaims::new(codes, &tables.users)));
    service.ports.email = inbox.clone();
    service.ports.sms = inbox.clone();

    let sent = delivered_codes(&service, &inbox, &people).await;
    proxy.break_randomly(BROKEN_PER_MILLE, &DYNAMODB_FAULTS, 30);
    let answers = confirm_all(&service, &people, &sent).await;
    let broken = proxy.broken_in_all();
    proxy.heal();
    assert!(broken >= 20, "only {broken} requests broken");
    for (user, answer) in &answers {
        assert_eq!(answer, &Ok(()), "{user}'s delivered code");
    }
    // Every password is the new one, and every code is spent: another confirm with it, even from
    // its owner, changes nothing.
    for (user, code) in people.iter().zip(&sent) {
        let stored = setup.find(&user.username).await.unwrap().unwrap();
        assert!(password::verify(
            PASSWORD,
            stored.password_hash.as_deref().unwrap()
        ));
        let mut again = confirm(&user.username, code);
        again.password = LATER.into();
        assert_eq!(
            service.confirm_at(&again, UnixTime::now()).await,
            Err(CognitoError::ExpiredCode),
            "{}'s code twice",
            user.username
        );
        let stored = setup.find(&user.username).await.unwrap().unwrap();
        assert!(password::verify(
            PASSWORD,
            stored.password_hash.as_deref().unwrap()
        ));
    }
}
