//! PreventUserExistenceErrors=ENABLED: the answers that must not tell a real user from an unknown
//! login (letter case and Unicode forms, the simulated medium, FORCE_CHANGE_PASSWORD, delivery
//! refusals, the wait of a simulated delivery).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use test_support::Operations;
use test_support::service::{demo_settings, service_on};
use test_support::{Inbox, confirm, forgot};

use password_reset::adapters::codes::memory::MemoryCodes;
use password_reset::adapters::directory::memory::MemoryDirectory;
use password_reset::config::Settings;
use password_reset::domain::delivery::{CodeDeliveryDetails, DeliveryMedium};
use password_reset::domain::pool::PreventUserExistenceErrors;
use password_reset::domain::recovery::{AccountRecovery, MechanismName, RecoveryMechanism};
use password_reset::domain::time::UnixTime;
use password_reset::ports::DeliveryError;
use password_reset::usecases::DeliveryTiming;
use password_reset::{CognitoError, ResetService};
use rand::SeedableRng;
use rand::rngs::StdRng;

const T0: UnixTime = UnixTime(1_800_000_000);

fn service_with(inbox: Arc<Inbox>, tweak: impl FnOnce(&mut Settings)) -> ResetService {
    let mut settings = demo_settings();
    tweak(&mut settings);
    let store = Arc::new(MemoryDirectory::with_users(settings.users.clone()));
    let mut service = service_on(
        &settings,
        9,
        store,
        Arc::new(MemoryCodes::new()),
        inbox,
        None,
    );
    // The waits are the subject of one test only.
    service.timing = DeliveryTiming::unseeded();
    service
}

fn service(tweak: impl FnOnce(&mut Settings)) -> ResetService {
    service_with(Arc::new(Inbox::default()), tweak)
}

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

async fn details(s: &ResetService, login: &str) -> CodeDeliveryDetails {
    s.forgot_at(&forgot(login), T0, &mut rng(1))
        .await
        .unwrap_or_else(|e| panic!("{login}: {e:?}"))
        .code_delivery_details
}

fn order(list: &[MechanismName]) -> AccountRecovery {
    let list: Vec<_> = list
        .iter()
        .zip(1..)
        .map(|(name, priority)| RecoveryMechanism {
            name: *name,
            priority,
        })
        .collect();
    AccountRecovery::from_mechanisms(&list).unwrap()
}

#[tokio::test]
async fn letter_case_and_unicode_forms_are_one_login() {
    let s = service(|_| {});
    // A real user, in any case or compatibility form.
    for login in [
        "JANE@EXAMPLE.COM",
        "Jane",
        "ｊａｎｅ",
        "ＪＡＮＥ＠ｅｘａｍｐｌｅ．ｃｏｍ",
    ] {
        assert_eq!(
            details(&s, login).await.destination,
            "j***@e***.com",
            "{login}"
        );
    }
    // An unknown one answers in the same form as a real one would.
    assert_eq!(
        details(&s, "NOBODY@EXAMPLE.COM").await.destination,
        "n***@e***.com"
    );
    assert_eq!(
        details(&s, "Ghost").await,
        details(&s, "ｇｈｏｓｔ").await,
        "one simulated destination per login, whatever its form"
    );
    // ...and its forms share one limit, as a real user's do.
    let s = service(|_| {});
    for (i, login) in ["GHOST", "ghost", "Ghost", "ｇｈｏｓｔ", "gHOST"]
        .iter()
        .enumerate()
    {
        s.forgot_at(&forgot(login), T0.plus(i as u64), &mut rng(1))
            .await
            .unwrap();
    }
    assert_eq!(
        s.forgot_at(&forgot("ghost"), T0.plus(9), &mut rng(1)).await,
        Err(CognitoError::LimitExceeded { retry_after: 3591 })
    );
}

#[tokio::test]
async fn a_case_sensitive_pool_keeps_the_case() {
    let s = service(|settings| settings.pool.case_sensitive = true);
    assert_eq!(details(&s, "jane").await.destination, "j***@e***.com");
    let other = details(&s, "JANE").await;
    assert_ne!(other.destination, "j***@e***.com", "JANE is not jane here");
    // Compatibility forms still fold (NFKC), so this is jane.
    assert_eq!(details(&s, "ｊａｎｅ").await.destination, "j***@e***.com");
}

#[tokio::test]
async fn the_simulated_medium_follows_the_recovery_order_and_the_login() {
    use DeliveryMedium::{Email, Sms};
    use MechanismName::{VerifiedEmail, VerifiedPhoneNumber};
    let cases: [(AccountRecovery, &str, DeliveryMedium); 10] = [
        // Email first (the demo pool): a username gets an email, an address its own medium.
        (order(&[VerifiedEmail, VerifiedPhoneNumber]), "ghost", Email),
        (
            order(&[VerifiedEmail, VerifiedPhoneNumber]),
            "+15550001234",
            Sms,
        ),
        (
            order(&[VerifiedEmail, VerifiedPhoneNumber]),
            "g@example.com",
            Email,
        ),
        // Phone first: a username gets SMS to a derived number.
        (order(&[VerifiedPhoneNumber, VerifiedEmail]), "ghost", Sms),
        (
            order(&[VerifiedPhoneNumber, VerifiedEmail]),
            "g@example.com",
            Email,
        ),
        // One mechanism: every login answers on it, an address of the other kind included.
        (order(&[VerifiedEmail]), "+15550001234", Email),
        (order(&[VerifiedPhoneNumber]), "g@example.com", Sms),
        (order(&[VerifiedPhoneNumber]), "+15550001234", Sms),
        // No setting: Cognito's legacy order, phone first.
        (AccountRecovery::Legacy, "ghost", Sms),
        (AccountRecovery::Legacy, "g@example.com", Email),
    ];
    for (recovery, login, medium) in cases {
        let s = service(|settings| settings.pool.recovery = recovery.clone());
        let got = details(&s, login).await;
        assert_eq!(got.delivery_medium, medium, "{recovery:?} {login}");
        assert_eq!(got.attribute_name, medium.attribute_name());
        let looks_right = match medium {
            Email => got.destination.contains("***@") && got.destination.contains("***."),
            Sms => {
                got.destination.len() == 12
                    && got.destination.starts_with("+*******")
                    && got.destination[8..].bytes().all(|b| b.is_ascii_digit())
            }
        };
        assert!(looks_right, "{recovery:?} {login}: {}", got.destination);
        if login == "+15550001234" && medium == Sms {
            assert_eq!(got.destination, "+*******1234");
        }
        // Stable per login.
        assert_eq!(details(&s, login).await, got);
    }
}

/// FORCE_CHANGE_PASSWORD (fran) and an unknown login give the same answers in the same order:
/// a simulated delivery, CodeMismatch, then ExpiredCode once the simulated code has expired.
#[tokio::test]
async fn force_change_password_answers_as_an_unknown_login_under_enabled() {
    let s = service(|_| {});
    let ttl = s.pool.codes.ttl_seconds;
    let mut answers = Vec::new();
    for login in ["fran", "nobody"] {
        let delivered = s
            .forgot_at(&forgot(login), T0, &mut rng(1))
            .await
            .map(|d| d.code_delivery_details.delivery_medium);
        let wrong = s.confirm_at(&confirm(login, "123456"), T0.plus(1)).await;
        let late = s
            .confirm_at(&confirm(login, "123456"), T0.plus(ttl + 1))
            .await;
        answers.push((delivered, wrong, late));
    }
    assert_eq!(
        answers[0],
        (
            Ok(DeliveryMedium::Email),
            Err(CognitoError::CodeMismatch),
            Err(CognitoError::ExpiredCode)
        )
    );
    assert_eq!(answers[0], answers[1]);

    let s = service(|settings| {
        settings.pool.prevent_user_existence_errors = PreventUserExistenceErrors::Legacy
    });
    for e in [
        s.forgot_at(&forgot("fran"), T0, &mut rng(1))
            .await
            .map(|_| ()),
        s.confirm_at(&confirm("fran", "123456"), T0).await,
    ] {
        assert_eq!(e.unwrap_err().kind(), "NotAuthorizedException");
    }
}

#[tokio::test]
async fn delivery_refusals_name_no_sandbox_under_enabled() {
    let reason = "SES in us-east-1 is in the sandbox; verify the address j***@e***.com or request production access.";
    let refusing = || Arc::new(Inbox::refusing(DeliveryError::Refused(reason.into())));
    let s = service_with(refusing(), |_| {});
    let err = s
        .forgot_at(&forgot("jane"), T0, &mut rng(1))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "CodeDeliveryFailureException");
    let message = err.to_string();
    assert!(
        !message.contains("sandbox") && !message.contains("j***") && !message.contains("us-east-1"),
        "{message}"
    );

    let s = service_with(refusing(), |settings| {
        settings.pool.prevent_user_existence_errors = PreventUserExistenceErrors::Legacy
    });
    let err = s
        .forgot_at(&forgot("jane"), T0, &mut rng(1))
        .await
        .unwrap_err();
    assert_eq!(err, CognitoError::CodeDeliveryFailure(reason.into()));
}

/// Not a measurement (see `benches/timing.rs`): a simulated delivery never returns before the
/// time a real one on its medium was seen to take.
#[tokio::test]
async fn a_simulated_delivery_waits_a_real_delivery_time() {
    let mut s = service(|_| {});
    s.timing = DeliveryTiming::new(Duration::from_millis(120), Duration::from_millis(1));
    let started = Instant::now();
    assert_eq!(
        details(&s, "ghost").await.delivery_medium,
        DeliveryMedium::Email
    );
    assert!(started.elapsed() >= Duration::from_millis(120));

    s.timing
        .record(DeliveryMedium::Email, Duration::from_millis(80));
    let started = Instant::now();
    details(&s, "ghost2").await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(80), "{took:?}");
}
