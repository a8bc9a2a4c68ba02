//! Where the service does what NIST SP 800-63B-4 asks and Cognito does not: new passwords checked
//! against a blocklist (§3.1.1.2), a code's lifetime by the medium it went by (§4.2.1.2), and a
//! limited caller told when to come back (for real and simulated users alike).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use test_support::service::{MemoryService, demo_settings};
use test_support::{Operations, PASSWORD, confirm, forgot};

use password_reset::CognitoError;
use password_reset::config::Settings;
use password_reset::domain::caller::Caller;
use password_reset::domain::code::CodeState;
use password_reset::domain::delivery::DeliveryMedium;
use password_reset::domain::time::UnixTime;
use rand::SeedableRng;
use rand::rngs::StdRng;

const T0: UnixTime = UnixTime(1_800_000_000);

/// The demo pool over the memory adapters, `tweak`ed.
fn fixture(tweak: impl FnOnce(&mut Settings)) -> MemoryService {
    let mut settings = demo_settings();
    tweak(&mut settings);
    MemoryService::new(&settings)
}

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn refused_because(answer: Result<(), CognitoError>, reason: &str, case: &str) {
    match answer {
        Err(CognitoError::InvalidPassword(why)) => assert!(why.contains(reason), "{case}: {why}"),
        other => panic!("{case}: expected InvalidPasswordException ({reason}), got {other:?}"),
    }
}

// ------------------------------------------------------------------ the blocklist (§3.1.1.2)

#[tokio::test]
async fn a_breached_password_is_refused_and_the_same_code_then_accepted_with_a_good_one() {
    let f = fixture(|_| {});
    let code = f.code_for("jane", "jane@example.com", T0).await;
    // Each meets the pool's policy (upper, lower, number, symbol, 8 characters) and Cognito
    // accepts it; each is among the commonest passwords, or one with a number added.
    for weak in ["Password1!", "P@ssw0rd", "Sunshine2024!"] {
        let answer = f.confirm_with("jane", &code, weak, T0.plus(1)).await;
        refused_because(answer, "too common", weak);
    }
    // Refused before the code was judged: nothing counted, the code still live.
    let CodeState::Live(live) = f.codes.code_record("jane").unwrap().state else {
        panic!("the code is live")
    };
    assert_eq!(live.attempts, 0);
    f.confirm_with("jane", &code, PASSWORD, T0.plus(2))
        .await
        .unwrap();
    assert!(f.password_is("jane", PASSWORD));
}

#[tokio::test]
async fn the_users_own_words_are_refused_after_the_code_and_the_code_given_back() {
    let f = fixture(|s| s.pool.blocklist.app_name = Some("Contoso".into()));
    // maria signs in by phone; her username and email are not in the request.
    let code = f.code_for("+14155550123", "maria@example.org", T0).await;
    for (expected, why) in [
        ("Maria-Rocks-2026!", "the username"),
        ("My-Contoso-Key-9!", "the app's name"),
        ("x+14155550123-Yz", "the login"),
    ] {
        let answer = f
            .confirm_with("+14155550123", &code, expected, T0.plus(1))
            .await;
        refused_because(answer, "must not contain", why);
    }
    // Her own words were judged with the code, which was given back: it still works.
    f.confirm_with("+14155550123", &code, PASSWORD, T0.plus(2))
        .await
        .unwrap();
    assert!(f.password_is("maria", PASSWORD));
    // An unknown login with the same password is answered as any wrong code: no tell of whose
    // words a password holds.
    let unknown = f
        .confirm_with("+14155550999", "123456", "Maria-Rocks-2026!", T0.plus(3))
        .await;
    assert_eq!(unknown, Err(CognitoError::CodeMismatch));
}

#[tokio::test]
async fn the_blocklist_can_be_turned_off() {
    let f = fixture(|s| s.pool.blocklist.enabled = false);
    let code = f.code_for("jane", "jane@example.com", T0).await;
    f.confirm_with("jane", &code, "Password1!", T0.plus(1))
        .await
        .unwrap();
    assert!(f.password_is("jane", "Password1!"));
}

// ------------------------------------------------------------------ lifetimes (§4.2.1.2)

#[tokio::test]
async fn an_sms_code_is_expired_at_10_minutes_and_an_email_code_accepted_at_59() {
    let f = fixture(|_| {});
    assert_eq!(
        f.service.pool.codes.ttl_for(DeliveryMedium::Sms),
        600,
        "the default"
    );
    // paul recovers by SMS: his code is refused at ten minutes, as expired.
    let code = f.code_for("paul", "+12065550142", T0).await;
    assert_eq!(
        f.confirm_with("paul", &code, PASSWORD, T0.plus(600)).await,
        Err(CognitoError::ExpiredCode)
    );
    let code = f.code_for("paul", "+12065550142", T0.plus(700)).await;
    f.confirm_with("paul", &code, PASSWORD, T0.plus(700 + 599))
        .await
        .unwrap();
    // jane recovers by email: her code still works at 59 minutes.
    let code = f.code_for("jane", "jane@example.com", T0).await;
    f.confirm_with("jane", &code, PASSWORD, T0.plus(59 * 60))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_decoys_code_lives_as_long_as_the_medium_it_pretends() {
    let f = fixture(|_| {});
    for (login, medium, ttl) in [
        ("+12065550999", DeliveryMedium::Sms, 600),
        ("ghost@example.com", DeliveryMedium::Email, 3600),
    ] {
        let answer = f
            .service
            .forgot_at(&forgot(login), T0, &mut rng(1))
            .await
            .unwrap();
        assert_eq!(answer.code_delivery_details.delivery_medium, medium);
        // A wrong code is a mismatch while the decoy's code lives, expired from its end on: as a
        // real user's code sent by that medium answers.
        assert_eq!(
            f.confirm_with(login, "123456", PASSWORD, T0.plus(ttl - 1))
                .await,
            Err(CognitoError::CodeMismatch),
            "{login}"
        );
        assert_eq!(
            f.confirm_with(login, "123456", PASSWORD, T0.plus(ttl))
                .await,
            Err(CognitoError::ExpiredCode),
            "{login}"
        );
    }
}

// ------------------------------------------------------------------ when to retry

#[tokio::test]
async fn the_retry_time_is_exact_and_the_same_for_a_real_and_an_unknown_user() {
    let f = fixture(|_| {});
    let mut answers = Vec::new();
    for login in ["jane", "nobody"] {
        for i in 0..5 {
            f.service
                .forgot_at(&forgot(login), T0.plus(i * 100), &mut rng(i))
                .await
                .unwrap();
        }
        // The window admits again when its first request (T0) is an hour old.
        answers.push(
            f.service
                .forgot_at(&forgot(login), T0.plus(500), &mut rng(9))
                .await,
        );
    }
    assert_eq!(
        answers,
        [
            Err(CognitoError::LimitExceeded { retry_after: 3100 }),
            Err(CognitoError::LimitExceeded { retry_after: 3100 })
        ]
    );
    // And it does admit then, not a second earlier.
    assert!(
        f.service
            .forgot_at(&forgot("nobody"), T0.plus(3599), &mut rng(10))
            .await
            .is_err()
    );
    f.service
        .forgot_at(&forgot("nobody"), T0.plus(3600), &mut rng(11))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_full_caller_window_says_when_it_admits_again() {
    let f = fixture(|_| {});
    let caller = Caller::peer("203.0.113.20".parse().unwrap());
    let limit = f.service.pool.codes.max_confirms_per_caller as u64;
    for i in 0..limit {
        let _ = f
            .service
            .confirm_forgot_password(&confirm(&format!("user{i}"), "123456"), &caller, T0.plus(i))
            .await;
    }
    assert_eq!(
        f.service
            .confirm_forgot_password(&confirm("jane", "123456"), &caller, T0.plus(1000))
            .await,
        Err(CognitoError::LimitExceeded { retry_after: 2600 })
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_refused_password_and_its_reason_never_reach_the_log_at_trace() {
    let f = fixture(|_| {});
    let (logs, _guard) = test_support::logs::Logs::start();
    let code = f.code_for("+14155550123", "maria@example.org", T0).await;
    let refused = ["Password1!", "Maria-Rocks-2026!"];
    for password in refused {
        let answer = f
            .confirm_with("+14155550123", &code, password, T0.plus(1))
            .await;
        assert!(matches!(answer, Err(CognitoError::InvalidPassword(_))));
    }
    let logs = logs.text();
    assert!(logs.contains("new password refused"), "{logs}");
    // Neither password, nor its lower-case form the lists compare, nor the word that matched.
    test_support::logs::assert_no_secret(
        &logs,
        refused
            .iter()
            .flat_map(|p| [p.to_string(), p.to_lowercase()])
            .chain(["maria-rocks".into(), "password1".into()]),
    );
}
