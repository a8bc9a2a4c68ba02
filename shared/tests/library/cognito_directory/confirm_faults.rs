//! ConfirmForgotPassword across two systems: a real `ResetService` on the Cognito directory, its
//! pool client behind a `FaultProxy` that breaks one operation between the adapter and moto. After
//! every answer `check` holds the promises: a 200 means the new password is set and a refresh
//! token from before the reset is refused; a changed password leaves no live code.

use super::*;
use test_support::fault_proxy::{Fault, FaultProxy};

const SET: &str = "AdminSetUserPassword";
const SIGN_OUT: &str = "AdminUserGlobalSignOut";
const LATER: &str = "Later-Passw0rd!-2";

struct Faulty {
    f: Fixture,
    proxy: FaultProxy,
    service: OnPool,
    /// A refresh token jane got before the reset.
    old_session: String,
    code: String,
}

/// jane signed in, a code asked for through the proxied pool; no fault yet.
async fn faulty(options: CognitoOptions) -> Faulty {
    let f = fixture(|b| b, CognitoOptions::default()).await;
    f.add("jane", &JANE, Some(OLD_PASSWORD)).await;
    let old_session = f.sign_in("jane", OLD_PASSWORD).await.unwrap();
    let proxy = FaultProxy::start(&moto::endpoint()).await;
    let client = moto::cognito_at(&proxy.endpoint(), &Calls::default());
    let pool = Arc::new(
        CognitoPool::connect(client, f.pool_id.clone(), options)
            .await
            .unwrap(),
    );
    let (service, inbox) = service_on(
        pool,
        Arc::new(MemoryCodes::new()),
        PreventUserExistenceErrors::Enabled,
        None,
    );
    let service = f.asking(service);
    service.ask("jane", T0).await.unwrap();
    let code = inbox.last_code("jane@example.com");
    Faulty {
        f,
        proxy,
        service,
        old_session,
        code,
    }
}

/// What `check` found after an answer.
#[derive(Debug, PartialEq, Eq)]
struct After {
    changed: bool,
    old_session_refused: bool,
}

impl Faulty {
    async fn reset(&self, password: &str) -> Result<(), CognitoError> {
        self.service
            .reset("jane", &self.code, password, T0.plus(1))
            .await
    }

    /// The promises that hold after any answer to a reset to `password`: `Ok` only with the
    /// password set and every earlier session ended; a changed password with its code spent (a
    /// second confirm with it, faults healed, is ExpiredCode and changes nothing).
    async fn check(&self, answer: &Result<(), CognitoError>, password: &str) -> After {
        let after = After {
            changed: self.f.sign_in("jane", password).await.is_ok(),
            old_session_refused: self.f.refresh(&self.old_session).await.is_err(),
        };
        if answer.is_ok() {
            assert!(after.changed, "a 200 with the password unchanged");
            assert!(
                after.old_session_refused,
                "a 200 with a session from before the reset"
            );
        }
        if after.changed {
            self.proxy.heal();
            assert_eq!(
                self.service
                    .reset("jane", &self.code, LATER, T0.plus(2))
                    .await,
                Err(CognitoError::ExpiredCode),
                "a changed password with a live code"
            );
            assert!(self.f.sign_in("jane", LATER).await.is_err());
        }
        after
    }
}

#[tokio::test]
async fn a_password_change_applied_then_lost_spends_the_code_and_ends_sessions() {
    let t = faulty(CognitoOptions::default()).await;
    t.proxy.break_operation(SET, Fault::ApplyThenDrop, Some(1));
    let answer = t.reset(PASSWORD).await;
    assert_eq!(answer, Err(CognitoError::ExpiredCode), "request a new code");
    assert_eq!(t.proxy.seen(SET), 1, "never retried by the SDK");
    assert_eq!(
        t.check(&answer, PASSWORD).await,
        After {
            changed: true,
            old_session_refused: true
        }
    );
}

#[tokio::test]
async fn a_throttled_password_change_gives_the_code_back() {
    let t = faulty(CognitoOptions::default()).await;
    t.proxy.break_operation(SET, Fault::Throttle, Some(1));
    let answer = t.reset(PASSWORD).await;
    assert_eq!(
        answer.as_ref().unwrap_err().kind(),
        "TooManyRequestsException"
    );
    assert_eq!(t.proxy.seen(SET), 1);
    assert_eq!(t.proxy.seen(SIGN_OUT), 0, "nothing changed: nothing to end");
    assert_eq!(
        t.check(&answer, PASSWORD).await,
        After {
            changed: false,
            old_session_refused: false
        }
    );
    // The refusal answered the one attempt: the same code works.
    let answer = t.reset(PASSWORD).await;
    assert_eq!(answer, Ok(()));
    t.check(&answer, PASSWORD).await;
}

#[tokio::test]
async fn a_500_to_the_password_change_spends_the_code() {
    let t = faulty(CognitoOptions::default()).await;
    // Not forwarded, so nothing changed, but a 5xx cannot say so: the code is spent all the same.
    t.proxy.break_operation(SET, Fault::InternalError, Some(1));
    let answer = t.reset(PASSWORD).await;
    assert_eq!(answer, Err(CognitoError::ExpiredCode));
    assert_eq!(t.proxy.seen(SET), 1, "never retried by the SDK");
    let after = t.check(&answer, PASSWORD).await;
    assert_eq!(
        after,
        After {
            changed: false,
            old_session_refused: true
        },
        "the sessions end when the change may have applied"
    );
    t.proxy.heal();
    assert_eq!(t.reset(PASSWORD).await, Err(CognitoError::ExpiredCode));
}

#[tokio::test]
async fn a_stalled_password_change_answers_in_time_and_spends_the_code() {
    let t = faulty(CognitoOptions {
        password_change_timeout: Duration::from_millis(500),
        ..CognitoOptions::default()
    })
    .await;
    t.proxy
        .break_operation(SET, Fault::ApplyThenStall(Duration::from_secs(30)), Some(1));
    let started = std::time::Instant::now();
    let answer = t.reset(PASSWORD).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(answer, Err(CognitoError::ExpiredCode));
    assert_eq!(t.proxy.seen(SET), 1);
    assert_eq!(
        t.check(&answer, PASSWORD).await,
        After {
            changed: true,
            old_session_refused: true
        }
    );
}

#[tokio::test]
async fn one_failed_sign_out_is_retried_and_the_reset_stands() {
    let t = faulty(CognitoOptions::default()).await;
    t.proxy
        .break_operation(SIGN_OUT, Fault::InternalError, Some(1));
    let answer = t.reset(PASSWORD).await;
    assert_eq!(answer, Ok(()));
    assert_eq!(t.proxy.seen(SIGN_OUT), 2);
    assert_eq!(
        t.check(&answer, PASSWORD).await,
        After {
            changed: true,
            old_session_refused: true
        }
    );
}

#[tokio::test]
async fn a_sign_out_that_keeps_failing_is_never_a_200() {
    let t = faulty(CognitoOptions {
        sign_out_deadline: Duration::from_millis(800),
        ..CognitoOptions::default()
    })
    .await;
    t.proxy
        .break_operation(SIGN_OUT, Fault::InternalError, None);
    let started = std::time::Instant::now();
    let answer = t.reset(PASSWORD).await;
    assert_eq!(answer, Err(CognitoError::ExpiredCode));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(t.proxy.seen(SIGN_OUT) >= 2, "retried within the deadline");
    // The password changed and the code is spent; the sessions outlive it (the one case this
    // design cannot close, logged as an error): the answer says the reset did not complete, and
    // the next reset, with a new code, ends them.
    let after = t.check(&answer, PASSWORD).await;
    assert!(after.changed);
}

#[tokio::test]
async fn a_stalled_sign_out_is_never_a_200_and_answers_in_time() {
    let t = faulty(CognitoOptions {
        sign_out_deadline: Duration::from_millis(800),
        sign_out_attempt_timeout: Duration::from_millis(300),
        ..CognitoOptions::default()
    })
    .await;
    t.proxy
        .break_operation(SIGN_OUT, Fault::Stall(Duration::from_secs(30)), None);
    let started = std::time::Instant::now();
    let answer = t.reset(PASSWORD).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(answer, Err(CognitoError::ExpiredCode));
    assert!(t.check(&answer, PASSWORD).await.changed);
}

/// The codes table on DynamoDB behind a proxy breaking about 30% of its requests (the faults of
/// `delivered_codes`), the pool itself sound: every code the pool's 20 users received confirms,
/// the client retrying as an SDK does (the claim's resend finds its own count by its nonce), and
/// each is single-use after.
#[cfg(feature = "dynamodb")]
#[tokio::test]
async fn every_delivered_code_confirms_with_the_codes_table_under_30_percent_faults() {
    use crate::delivered_codes::{BROKEN_PER_MILLE, DYNAMODB_FAULTS};
    use password_reset::adapters::codes::dynamodb::DynamoDbCodes;
    use test_support::as_an_sdk_retries;

    let f = fixture(|b| b, CognitoOptions::default()).await;
    let users: Vec<(String, String)> = (0..20)
        .map(|i| (format!("user{i:02}"), format!("user{i:02}@example.com")))
        .collect();
    for (name, email) in &users {
        let attrs = [("email", email.as_str()), ("email_verified", "true")];
        f.add(name, &attrs, Some(OLD_PASSWORD)).await;
    }
    let calls = Calls::default();
    let tables = test_support::dynamo::unique_tables("cognito-delivered");
    password_reset::adapters::dynamodb_tables::create_tables(&moto::dynamodb(&calls), &tables)
        .await
        .unwrap();
    let proxy = FaultProxy::start(&moto::endpoint()).await;
    let (mut service, inbox) = f.service(PreventUserExistenceErrors::Enabled, None);
    service.service.ports.codes = Arc::new(DynamoDbCodes::new(
        moto::dynamodb_at(&proxy.endpoint(), &calls),
        &tables.codes,
        &service.pool.codes,
    ));
    let mut sent = Vec::new();
    for (name, email) in &users {
        service.ask(name, T0).await.unwrap();
        sent.push(inbox.last_code(email));
    }
    proxy.break_randomly(BROKEN_PER_MILLE, &DYNAMODB_FAULTS, 31);
    for ((name, _), code) in users.iter().zip(&sent) {
        let answer = as_an_sdk_retries(|| service.reset(name, code, PASSWORD, T0.plus(1))).await;
        assert_eq!(answer, Ok(()), "{name}'s delivered code");
    }
    assert!(
        proxy.broken_in_all() >= 4,
        "{} broken",
        proxy.broken_in_all()
    );
    proxy.heal();
    for ((name, _), code) in users.iter().zip(&sent) {
        assert!(
            f.sign_in(name, PASSWORD).await.is_ok(),
            "{name}'s new password"
        );
        assert_eq!(
            service.reset(name, code, LATER, T0.plus(2)).await,
            Err(CognitoError::ExpiredCode),
            "{name}'s code twice"
        );
        assert!(f.sign_in(name, LATER).await.is_err());
    }
}

/// With the sign-out retry queue (`SIGN_OUT_RETRY_QUEUE_URL`, SQS on moto): a sign-out that keeps
/// failing after the password changed is recorded and the reset answers success; the confirm
/// function's handler, given the queue's message as Lambda delivers it, fails it back while the
/// pool still fails, and ends the sessions once the pool answers: the old refresh token is refused.
#[cfg(all(feature = "sqs", feature = "lambda"))]
#[tokio::test]
async fn a_sign_out_that_keeps_failing_is_recorded_and_retried_until_the_old_session_ends() {
    use password_reset::adapters::owed_sign_outs::sqs::SqsOwedSignOuts;
    use password_reset::entry::lambda::api::handle;
    use password_reset::entry::protocol::Operation;

    let mut t = faulty(CognitoOptions {
        sign_out_deadline: Duration::from_millis(800),
        ..CognitoOptions::default()
    })
    .await;
    let (sqs, queue) = moto::queue(&test_support::unique("owed-sign-outs")).await;
    t.service.service.ports.owed_sign_outs =
        Some(Arc::new(SqsOwedSignOuts::new(sqs.clone(), &queue)));
    t.proxy
        .break_operation(SIGN_OUT, Fault::InternalError, None);
    let answer = t.reset(PASSWORD).await;
    assert_eq!(answer, Ok(()), "the password changed: success");
    assert!(t.f.sign_in("jane", PASSWORD).await.is_ok());
    assert!(t.f.refresh(&t.old_session).await.is_ok(), "not ended yet");
    let retry = |event: serde_json::Value| {
        let service = &t.service.service;
        async move {
            let event = lambda_runtime::LambdaEvent::new(event, lambda_runtime::Context::default());
            handle(service, Operation::ConfirmForgotPassword, event)
                .await
                .unwrap()
        }
    };
    // The pool still fails: the retry fails, named so the queue gives it back.
    let event = moto::queue_event(&sqs, &queue).await;
    let records = event["Records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "one retry record: {event}");
    assert_eq!(records[0]["body"], r#"{"Username":"jane"}"#);
    let id = records[0]["messageId"].clone();
    let seen = t.proxy.seen(SIGN_OUT);
    assert_eq!(
        retry(event.clone()).await,
        serde_json::json!({ "batchItemFailures": [{ "itemIdentifier": id }] })
    );
    assert!(t.proxy.seen(SIGN_OUT) > seen, "retried against the pool");
    assert!(t.f.refresh(&t.old_session).await.is_ok());
    // Healed: the same message, delivered again, ends the sessions.
    t.proxy.heal();
    assert_eq!(
        retry(event).await,
        serde_json::json!({ "batchItemFailures": [] })
    );
    assert!(
        t.f.refresh(&t.old_session).await.is_err(),
        "the old refresh token refused"
    );
    assert!(t.f.sign_in("jane", PASSWORD).await.is_ok());
    // A record for a user deleted since is done: no session is left, and nothing piles up on
    // the dead-letter queue to raise the alarm.
    t.f.client
        .admin_delete_user()
        .user_pool_id(&t.f.pool_id)
        .username("jane")
        .send()
        .await
        .unwrap();
    let gone = serde_json::json!({"Records": [{
        "messageId": "m-gone", "eventSource": "aws:sqs", "body": r#"{"Username":"jane"}"#}]});
    assert_eq!(
        retry(gone).await,
        serde_json::json!({ "batchItemFailures": [] })
    );
}
