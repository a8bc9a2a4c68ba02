//! The workflow on DynamoDB (moto at MOTO_ENDPOINT, real SDK): the flow, limits under concurrency,
//! expiry, malformed items, and the round trips each operation makes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use password_reset::CognitoError;
use password_reset::adapters::dynamodb_tables::schema::*;
use password_reset::domain::caller::Caller;
use password_reset::domain::code::{CodeKey, CodeKeys, KeyId, LiveCode, Redemption};
use password_reset::domain::password;
use password_reset::domain::request::UserContextData;
use password_reset::domain::time::UnixTime;
use password_reset::domain::user::UserStatus;
use password_reset::ports::{DeliveryError, UserDirectory};
use test_support::dynamo::*;
use test_support::moto::counts as ops;
use test_support::{Operations, PASSWORD, confirm, forgot};

fn wrong(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                char::from(c as u8 + 1)
            }
        })
        .collect()
}

async fn code_item(
    f: &Fixture,
    key: &str,
) -> Option<std::collections::HashMap<String, AttributeValue>> {
    f.client
        .get_item()
        .table_name(&f.tables.codes)
        .key(CODES_KEY, AttributeValue::S(key.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_whole_flow_on_dynamodb() {
    let f = fixture("flow", settings(|_| {})).await;
    let now = UnixTime::now();

    let sent = f.ask("jane", now).await.unwrap();
    assert_eq!(sent.code_delivery_details.destination, "j***@e***.com");
    let code = f.inbox.last_code("jane@example.com");
    assert_eq!(
        f.confirm("jane", &wrong(&code), now).await,
        Err(CognitoError::CodeMismatch)
    );
    f.confirm("jane", &code, now.plus(1)).await.unwrap();
    let jane = f.store.find("jane").await.unwrap().unwrap();
    assert!(password::verify(
        PASSWORD,
        jane.password_hash.as_deref().unwrap()
    ));
    assert_eq!(jane.status, UserStatus::Confirmed);
    assert_eq!(
        f.confirm("jane", &code, now.plus(2)).await,
        Err(CognitoError::ExpiredCode),
        "a code works once, and then says to request a new one"
    );

    // Aliases and sub resolve to the same users, through the indexes.
    f.ask("JANE@example.COM", now).await.unwrap();
    let by_email = f.inbox.last_code("jane@example.com");
    f.confirm("jane@example.com", &by_email, now.plus(3))
        .await
        .unwrap();
    let paul = f.ask("+12065550142", now).await.unwrap();
    assert_eq!(paul.code_delivery_details.attribute_name, "phone_number");
    f.ask("3a4b5c6d-7e8f-4091-a2b3-c4d5e6f70819", now)
        .await
        .unwrap();
    // Four codes (and a PasswordChanged notice after each of the two resets).
    assert_eq!(f.inbox.code_count(), 4);
    assert_eq!(f.inbox.count(), 6);

    // An unknown login gets a simulated answer; nothing is sent.
    f.ask("nobody", now).await.unwrap();
    assert_eq!(f.inbox.count(), 6);
}

/// A migration's write never replaces a user: a login that appeared meanwhile (another request's
/// migration, an import) is kept as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_migration_never_overwrites_an_existing_user() {
    let f = fixture("create", settings(|_| {})).await;
    let mut jane = f.store.find("jane").await.unwrap().unwrap();
    let original = jane.attributes.get("email").map(str::to_string);
    jane.attributes.set("email", "attacker@example.net");
    assert_eq!(
        f.store.create(&jane).await.unwrap(),
        password_reset::ports::Created::Exists
    );
    let kept = f.store.find("jane").await.unwrap().unwrap();
    assert_eq!(kept.attributes.get("email").map(str::to_string), original);
    // A new username is created.
    jane.username = "jane2".into();
    assert_eq!(
        f.store.create(&jane).await.unwrap(),
        password_reset::ports::Created::Created
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn round_trips_per_operation() {
    let f = fixture("trips", settings(|_| {})).await;
    let now = UnixTime::now();
    let mut rng = password_reset::request_rng();
    let s = &f.service;
    // Over HTTP every request has a source address: one caller write before anything else.
    let caller = Caller::peer("203.0.113.7".parse().unwrap());

    s.forgot_password(&forgot("jane"), &caller, now, &mut rng)
        .await
        .unwrap();
    let forgot_trips = f.calls.take();
    s.forgot_password(&forgot("jane@example.com"), &caller, now, &mut rng)
        .await
        .unwrap();
    let forgot_by_alias = f.calls.take();
    s.forgot_password(&forgot("nobody"), &caller, now, &mut rng)
        .await
        .unwrap();
    let forgot_unknown = f.calls.take();
    let mut with_device = forgot("nobody");
    with_device.user_context_data = Some(UserContextData {
        ip_address: None,
        encoded_data: Some("ZGV2aWNl".into()),
    });
    s.forgot_password(&with_device, &caller, now, &mut rng)
        .await
        .unwrap();
    let forgot_device = f.calls.take();
    s.forgot_direct(&forgot("nobody"), now, &mut rng)
        .await
        .unwrap();
    let forgot_no_caller = f.calls.take();
    let code = f.inbox.last_code("jane@example.com");
    let _ = s
        .confirm_forgot_password(&confirm("jane", &wrong(&code)), &caller, now)
        .await;
    let confirm_wrong = f.calls.take();
    s.confirm_forgot_password(&confirm("jane", &code), &caller, now)
        .await
        .unwrap();
    let confirm_right = f.calls.take();
    eprintln!(
        "round trips: ForgotPassword {forgot_trips:?}, by alias {forgot_by_alias:?}, \
         unknown {forgot_unknown:?}, with a device {forgot_device:?}, no caller \
         {forgot_no_caller:?}; ConfirmForgotPassword right {confirm_right:?}, wrong {confirm_wrong:?}"
    );
    // One UpdateItem for the caller's window, then the lookup and the user's window.
    assert_eq!(forgot_trips, ops(&[("GetItem", 1), ("UpdateItem", 2)]));
    assert_eq!(forgot_by_alias, ops(&[("Query", 1), ("UpdateItem", 2)]));
    assert_eq!(forgot_unknown, ops(&[("GetItem", 1), ("UpdateItem", 2)]));
    // A device in UserContextData is one more window, one more UpdateItem.
    assert_eq!(forgot_device, ops(&[("GetItem", 1), ("UpdateItem", 3)]));
    // A direct invocation without UserContextData has no caller to count.
    assert_eq!(forgot_no_caller, ops(&[("GetItem", 1), ("UpdateItem", 1)]));
    // The right code: the caller counted, the attempt counted, then the code claimed and the
    // password set in one transaction.
    assert_eq!(
        confirm_right,
        ops(&[("GetItem", 1), ("UpdateItem", 2), ("TransactWriteItems", 1)])
    );
    // A wrong code: the caller counted, then the same one write counts the attempt.
    assert_eq!(confirm_wrong, ops(&[("GetItem", 1), ("UpdateItem", 2)]));
}

/// The store alone, so every call counted is on the codes table: each attempt is one UpdateItem,
/// the right code's (counted and claimed), a wrong one's, a spent code's right one's (counted,
/// then told Expired).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_attempt_is_counted_judged_and_claimed_in_one_write() {
    let f = fixture("one-write", settings(|_| {})).await;
    let now = UnixTime::now();
    let code = f.janes_code(now).await;
    let (codes, policy) = (&f.service.ports.codes, &f.service.pool.codes);
    let right = f.service.code_keys.attempt("jane", &code);
    let guess = f.service.code_keys.attempt("jane", &wrong(&code));
    let attempts = async || {
        code_item(&f, "jane").await.unwrap()[CODES_ATTEMPTS]
            .as_n()
            .unwrap()
            .clone()
    };
    f.calls.take();

    assert_eq!(
        codes.redeem("jane", &guess, now, policy).await,
        Ok(Redemption::Mismatch)
    );
    assert_eq!(f.calls.take(), ops(&[("UpdateItem", 1)]));
    assert_eq!(
        codes.redeem("jane", &right, now, policy).await,
        Ok(Redemption::Accepted)
    );
    assert_eq!(
        f.calls.take(),
        ops(&[("UpdateItem", 1)]),
        "counted and claimed in one write"
    );
    assert_eq!(attempts().await, "2", "the right code is counted too");

    f.calls.take();
    assert_eq!(
        codes.redeem("jane", &right, now, policy).await,
        Ok(Redemption::Expired),
        "spent: request a new code"
    );
    assert_eq!(f.calls.take(), ops(&[("UpdateItem", 1)]));
    assert_eq!(attempts().await, "3", "a guess at a spent code counts");
    // Given back, the code is accepted again in one write.
    codes.release("jane", &right).await.unwrap();
    f.calls.take();
    assert_eq!(
        codes.redeem("jane", &right, now, policy).await,
        Ok(Redemption::Accepted)
    );
    assert_eq!(f.calls.take(), ops(&[("UpdateItem", 1)]));
}

/// After a rotation the attempt carries two (key id, digest) pairs: a code issued under the old
/// key is still accepted in one write, and a claim given back (its password change refused) is
/// live again, under one key and under two.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_given_back_works_again_under_one_key_and_after_a_rotation() {
    let f = fixture("rotation", settings(|_| {})).await;
    let now = UnixTime::now();
    let (codes, policy) = (&f.service.ports.codes, &f.service.pool.codes);
    let id = |name: &str| KeyId::parse(name).unwrap();
    let key = |byte: u8| CodeKey::from_bytes(&[byte; 32]).unwrap();
    let before = CodeKeys::new(id("k1"), id("k1"), [(id("k1"), key(1))]).unwrap();
    let after =
        CodeKeys::new(id("k2"), id("k1"), [(id("k1"), key(1)), (id("k2"), key(2))]).unwrap();
    for (user, keys) in [("one-key", &before), ("rotated", &after)] {
        let (key_id, digest) = before.digest(user, "123456");
        let code = LiveCode {
            digest,
            key_id,
            issued_at: now,
            expires_at: now.plus(3600),
            attempts: 0,
            medium: None,
        };
        codes.issue(user, code, policy).await.unwrap();
        let right = keys.attempt(user, "123456");
        f.calls.take();
        assert_eq!(
            codes.redeem(user, &right, now, policy).await,
            Ok(Redemption::Accepted),
            "{user}"
        );
        assert_eq!(f.calls.take(), ops(&[("UpdateItem", 1)]), "{user}");
        codes.release(user, &right).await.unwrap();
        let item = code_item(&f, user).await.unwrap();
        assert!(!item.contains_key(CODES_TRIED), "{user}: given back");
        assert_eq!(item[CODES_ATTEMPTS].as_n().unwrap(), "0", "{user}");
        assert_eq!(
            codes.redeem(user, &right, now, policy).await,
            Ok(Redemption::Accepted),
            "{user}: the same code works again"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_requests_from_one_caller_across_users_admit_exactly_the_caller_limit()
{
    let f = fixture("callers", settings(|_| {})).await;
    let now = UnixTime::now();
    let limit = f.service.pool.codes.max_requests_per_caller as usize;
    let caller = Caller::peer("203.0.113.7".parse().unwrap());
    let burst = async |n: usize, at: UnixTime, caller: Caller| {
        let mut admitted = 0;
        for result in f
            .forgot_burst((0..n).map(|i| format!("user{i}")), caller, at)
            .await
        {
            match result {
                Ok(_) => admitted += 1,
                Err(CognitoError::LimitExceeded { .. }) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        admitted
    };
    assert_eq!(burst(100, now, caller).await, limit);
    // The window is one item keyed by a keyed hash, with the table's TTL; no address in it.
    let items = f
        .client
        .scan()
        .table_name(&f.tables.codes)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let callers: Vec<_> = items
        .iter()
        .filter(|i| {
            i.get(CODES_KEY)
                .and_then(|k| k.as_s().ok())
                .is_some_and(|k| k.starts_with("caller#"))
        })
        .collect();
    assert_eq!(callers.len(), 1, "{callers:?}");
    let item = callers[0];
    let key = item[CODES_KEY].as_s().unwrap();
    assert!(key.starts_with("caller#ip#forgot#"), "{key}");
    assert_eq!(
        item[CODES_TTL].as_n().unwrap(),
        &now.plus(3600).0.to_string()
    );
    assert!(!format!("{item:?}").contains("203.0.113"), "{item:?}");
    // Another address is another caller; the same /24 neighbour too.
    let neighbour = Caller::peer("203.0.113.8".parse().unwrap());
    assert_eq!(burst(1, now, neighbour).await, 1);
    // The window rolls: an hour after the burst, a full quota again.
    assert_eq!(burst(1, now.plus(3599), caller).await, 0);
    assert_eq!(burst(limit + 1, now.plus(3600), caller).await, limit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_requests_admit_exactly_the_limit() {
    let f = fixture("burst", settings(|_| {})).await;
    let now = UnixTime::now();
    let mut admitted = 0;
    for result in f
        .forgot_burst(vec!["jane".to_string(); 100], Caller::unknown(), now)
        .await
    {
        match result {
            Ok(_) => admitted += 1,
            Err(CognitoError::LimitExceeded { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(admitted, 5);
    assert_eq!(f.inbox.count(), 5);
    // The window rolls: once the requests are an hour old, one more is admitted.
    assert_eq!(
        f.ask("jane", now.plus(3599)).await.err(),
        Some(CognitoError::LimitExceeded { retry_after: 1 })
    );
    f.ask("jane", now.plus(3600)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_codes_never_count_past_the_limit() {
    let f = fixture("guess", settings(|_| {})).await;
    let now = UnixTime::now();
    let code = f.janes_code(now).await;
    let guesses =
        (0..100u32).map(|i| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000));
    let mut mismatches = 0;
    for result in f.confirm_burst(guesses, now).await {
        match result {
            Err(CognitoError::CodeMismatch) => mismatches += 1,
            Err(CognitoError::TooManyFailedAttempts) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(mismatches, 5, "exactly the attempt limit is counted");
    assert_eq!(
        f.confirm("jane", &code, now).await,
        Err(CognitoError::TooManyFailedAttempts),
        "the right code is dead too"
    );
    assert!(f.password_hash("jane").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_right_code_raced_twenty_times_succeeds_once() {
    let f = fixture("race", settings(|_| {})).await;
    let now = UnixTime::now();
    let code = f.janes_code(now).await;
    let mut accepted = 0;
    for result in f.confirm_burst(vec![code; 20], now).await {
        match result {
            Ok(()) => accepted += 1,
            // Claimed by the winner (spent: request a new one), or past the judged-attempt limit.
            Err(
                CognitoError::ExpiredCode
                | CognitoError::CodeMismatch
                | CognitoError::TooManyFailedAttempts,
            ) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(accepted, 1);
}

/// The attack the limit exists for: a burst of guesses with the right code among them. Only five
/// attempts are ever judged, so the right one wins only when it is among the first five to be
/// counted: about 5% of bursts, not every one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_right_code_hidden_in_a_burst_of_guesses_rarely_wins() {
    use rand::RngExt;
    const BURSTS: u64 = 30;
    let f = fixture("hidden", settings(|_| {})).await;
    let mut rng = password_reset::request_rng();
    let mut wins = 0;
    for burst in 0..BURSTS {
        // Each burst a window later, so the request limit never interferes.
        let now = UnixTime::now().plus(burst * 7200);
        let code = f.janes_code(now).await;
        let right_at = rng.random_range(0..100u32);
        let guesses = (0..100u32).map(|i| {
            if i == right_at {
                code.clone()
            } else {
                format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000)
            }
        });
        let mut accepted = 0;
        for result in f.confirm_burst(guesses, now).await {
            match result {
                Ok(()) => accepted += 1,
                Err(CognitoError::CodeMismatch | CognitoError::TooManyFailedAttempts) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert!(accepted <= 1, "burst {burst}: one code, one reset");
        wins += accepted;
    }
    eprintln!("the right code won {wins} of {BURSTS} bursts");
    // At 5% a win, 8 or more of 30 happens with probability below 0.1%; judging all 100 wins every time.
    assert!(wins < 8, "the right code won {wins} of {BURSTS} bursts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_code_is_refused_while_its_item_still_exists() {
    let f = fixture("expiry", settings(|_| {})).await;
    let now = UnixTime::now();
    let code = f.janes_code(now).await;
    let item = code_item(&f, "jane").await.unwrap();
    assert_eq!(
        item.get(CODES_EXPIRES_AT),
        Some(&AttributeValue::N(now.plus(3600).0.to_string()))
    );
    assert_eq!(
        item.get(CODES_TTL),
        Some(&AttributeValue::N(now.plus(3600).0.to_string())),
        "TTL attribute: the later of expiry and the end of the window"
    );
    assert_eq!(
        f.confirm("jane", &code, now.plus(3600)).await,
        Err(CognitoError::ExpiredCode)
    );
    assert!(
        code_item(&f, "jane")
            .await
            .unwrap()
            .contains_key(CODES_DIGEST),
        "the item is still there: TTL deletion is lazy, expiry is checked in code"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_delivery_gives_the_request_back() {
    let f = fixture("revoke", settings(|_| {})).await;
    let now = UnixTime::now();
    *f.inbox.refuse.lock().unwrap() = Some(DeliveryError::Refused("sandbox".into()));
    for _ in 0..7 {
        assert!(matches!(
            f.ask("jane", now).await,
            Err(CognitoError::CodeDeliveryFailure(_))
        ));
    }
    assert!(
        !code_item(&f, "jane")
            .await
            .unwrap()
            .contains_key(CODES_DIGEST)
    );
    *f.inbox.refuse.lock().unwrap() = None;
    for _ in 0..5 {
        f.ask("jane", now).await.unwrap();
    }
    assert_eq!(
        f.ask("jane", now).await.err(),
        Some(CognitoError::LimitExceeded { retry_after: 3600 })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_items_are_internal_errors_and_change_nothing() {
    let f = fixture("malformed", settings(|_| {})).await;
    let now = UnixTime::now();
    f.client
        .put_item()
        .table_name(&f.tables.users)
        .item(USERS_KEY, AttributeValue::S("broken".into()))
        .item(USERS_SUB, AttributeValue::S("s-1".into()))
        .item(USERS_STATUS, AttributeValue::S("SLEEPING".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        f.ask("broken", now).await.err(),
        Some(CognitoError::InternalError)
    );
    assert!(code_item(&f, "broken").await.is_none());

    let code = f.janes_code(now).await;
    f.client
        .update_item()
        .table_name(&f.tables.codes)
        .key(CODES_KEY, AttributeValue::S("jane".into()))
        .update_expression("SET #d = :d")
        .expression_attribute_names("#d", CODES_DIGEST)
        .expression_attribute_values(":d", AttributeValue::B(Blob::new(vec![0u8; 7])))
        .send()
        .await
        .unwrap();
    assert_eq!(
        f.confirm("jane", &code, now).await,
        Err(CognitoError::InternalError)
    );
    assert!(f.password_hash("jane").await.is_none());
}

/// An email or phone number is a login only where it is verified, as in Cognito: sam's unverified
/// ones name nobody, and an address one user verified and another merely carries names the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_a_verified_alias_is_a_login() {
    let f = fixture("aliases", settings(|_| {})).await;
    assert!(f.store.find("sam").await.unwrap().is_some());
    assert_eq!(f.store.find("sam@example.net").await.unwrap(), None);
    assert_eq!(f.store.find("+13125550199").await.unwrap(), None);

    let mut claimant = f.store.find("sam").await.unwrap().unwrap();
    claimant.username = "claimant".into();
    claimant.sub = "5d6e7f80-1a2b-4c3d-8e9f-0a1b2c3d4e5f".into();
    claimant.attributes.set("email", "jane@example.com");
    claimant.attributes.set("email_verified", "false");
    f.store.put_user(&claimant).await.unwrap();
    let found = f.store.find("jane@example.com").await.unwrap().unwrap();
    assert_eq!(found.username, "jane");

    // A sub-shaped login costs the same reads whether it names someone or not.
    f.calls.take();
    let by_sub = f
        .store
        .find("5d6e7f80-1a2b-4c3d-8e9f-0a1b2c3d4e5f")
        .await
        .unwrap();
    assert_eq!(by_sub.map(|u| u.username), Some("claimant".to_string()));
    let known = f.calls.take();
    let nobody = f
        .store
        .find("00000000-0000-4000-8000-000000000000")
        .await
        .unwrap();
    assert_eq!(nobody, None);
    assert_eq!(f.calls.take(), known);
}
