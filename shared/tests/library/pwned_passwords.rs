//! Have I Been Pwned's range API (`PWNED_PASSWORDS`), against a local stand-in that records what
//! it was sent: a breached password refused before the code is judged, only a padded 5-character
//! prefix ever leaving, a range asked once while cached, decoys asking the same, and the outage
//! answered as `PWNED_PASSWORDS_WHEN_UNREACHABLE` says.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use test_support::PASSWORD;
use test_support::pwned::{
    ALSO_BREACHED, BREACHED_PASSWORD, Mode, PADDED_PASSWORD, PwnedStandIn, sha1_hex,
    unreachable_url,
};
use test_support::service::{MemoryService, demo_settings};

use password_reset::CognitoError;
use password_reset::adapters::breached::pwned::PwnedPasswords;
use password_reset::config::wiring::PwnedPasswordsSettings;
use password_reset::domain::code::CodeState;
use password_reset::domain::pool::WhenBreachCheckFails;
use password_reset::domain::time::UnixTime;

const T0: UnixTime = UnixTime(1_800_000_000);

/// The demo pool with the range API at `url`, lookups bounded by `timeout_ms`.
fn fixture(url: &str, timeout_ms: u64, when_unreachable: WhenBreachCheckFails) -> Fixture {
    let mut settings = demo_settings();
    settings.pool.blocklist.when_breach_check_fails = when_unreachable;
    let mut demo = MemoryService::new(&settings);
    let pwned = PwnedPasswords::new(&PwnedPasswordsSettings {
        base_url: url.into(),
        timeout: Duration::from_millis(timeout_ms),
    })
    .unwrap();
    demo.service.ports.breached = Some(Arc::new(pwned));
    Fixture(demo)
}

/// The memory service, with what these tests look at besides.
struct Fixture(MemoryService);

impl std::ops::Deref for Fixture {
    type Target = MemoryService;
    fn deref(&self) -> &MemoryService {
        &self.0
    }
}

impl Fixture {
    /// The code is live and no attempt on it was counted.
    fn code_untouched(&self, username: &str) {
        let CodeState::Live(live) = self.codes.code_record(username).unwrap().state else {
            panic!("the code is live")
        };
        assert_eq!(live.attempts, 0);
    }
}

fn refused_as_breached(answer: Result<(), CognitoError>) {
    match answer {
        Err(CognitoError::InvalidPassword(why)) => assert!(why.contains("data breach"), "{why}"),
        other => panic!("expected InvalidPasswordException (breached), got {other:?}"),
    }
}

#[tokio::test]
async fn a_password_seen_in_breaches_is_refused_and_the_same_code_then_accepted() {
    let api = PwnedStandIn::start();
    let f = fixture(&api.url, 1500, WhenBreachCheckFails::Accept);
    let code = f.code_for("jane", "jane@example.com", T0).await;
    // Meets the policy and is on no embedded list: only the range API knows it.
    refused_as_breached(
        f.confirm_with("jane", &code, BREACHED_PASSWORD, T0.plus(1))
            .await,
    );
    f.code_untouched("jane");
    f.confirm_with("jane", &code, PASSWORD, T0.plus(2))
        .await
        .unwrap();
    assert!(f.password_is("jane", PASSWORD));
}

#[tokio::test]
async fn only_a_padded_five_character_prefix_leaves_never_the_password_or_its_hash() {
    let api = PwnedStandIn::start();
    let f = fixture(&api.url, 1500, WhenBreachCheckFails::Accept);
    let code = f.code_for("jane", "jane@example.com", T0).await;
    let tried = [BREACHED_PASSWORD, ALSO_BREACHED, PASSWORD];
    for password in tried {
        let _ = f.confirm_with("jane", &code, password, T0.plus(1)).await;
    }
    let seen = api.requests();
    assert_eq!(seen.len(), 3, "one range per password: {seen:?}");
    for (request, password) in seen.iter().zip(tried) {
        let hash = sha1_hex(password);
        assert_eq!(request.method, "GET");
        assert_eq!(request.target, format!("/range/{}", &hash[..5]));
        assert_eq!(request.header("add-padding"), Some("true"));
        let whole = request.whole();
        for secret in tried {
            let hash = sha1_hex(secret);
            for never in [
                secret.to_string(),
                hash.clone(),
                hash.to_lowercase(),
                hash[5..].into(),
            ] {
                assert!(!whole.contains(&never), "{never} was sent: {whole}");
            }
        }
    }
}

#[tokio::test]
async fn a_padding_line_counts_zero_and_is_not_breached() {
    let api = PwnedStandIn::start();
    let f = fixture(&api.url, 1500, WhenBreachCheckFails::Refuse);
    let code = f.code_for("jane", "jane@example.com", T0).await;
    // Its own suffix comes back in its range, with count 0.
    f.confirm_with("jane", &code, PADDED_PASSWORD, T0.plus(1))
        .await
        .unwrap();
    assert!(f.password_is("jane", PADDED_PASSWORD));
}

#[tokio::test]
async fn a_range_is_asked_once_while_cached_and_a_decoy_asks_as_a_user_does() {
    let api = PwnedStandIn::start();
    let f = fixture(&api.url, 1500, WhenBreachCheckFails::Accept);
    let code = f.code_for("jane", "jane@example.com", T0).await;
    refused_as_breached(
        f.confirm_with("jane", &code, BREACHED_PASSWORD, T0.plus(1))
            .await,
    );
    refused_as_breached(
        f.confirm_with("jane", &code, BREACHED_PASSWORD, T0.plus(2))
            .await,
    );
    assert_eq!(api.requests().len(), 1, "the second came from the cache");
    // An unknown login (a decoy under PreventUserExistenceErrors) gets the same answer, from the
    // same lookup: a range not yet cached is asked for it too.
    refused_as_breached(
        f.confirm_with("nobody@example.com", "123456", ALSO_BREACHED, T0.plus(3))
            .await,
    );
    let seen = api.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[1].target,
        format!("/range/{}", &sha1_hex(ALSO_BREACHED)[..5])
    );
}

#[tokio::test]
async fn unreachable_and_accept_the_password_is_judged_without_it() {
    let f = fixture(&unreachable_url(), 1500, WhenBreachCheckFails::Accept);
    let code = f.code_for("jane", "jane@example.com", T0).await;
    f.confirm_with("jane", &code, BREACHED_PASSWORD, T0.plus(1))
        .await
        .unwrap();
    assert!(f.password_is("jane", BREACHED_PASSWORD));
}

#[tokio::test]
async fn unreachable_and_accept_the_embedded_list_still_applies() {
    let f = fixture(&unreachable_url(), 1500, WhenBreachCheckFails::Accept);
    let code = f.code_for("jane", "jane@example.com", T0).await;
    let answer = f
        .confirm_with("jane", &code, "Password1!", T0.plus(1))
        .await;
    assert!(
        matches!(&answer, Err(CognitoError::InvalidPassword(why)) if why.contains("too common")),
        "{answer:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn unreachable_and_refuse_a_retryable_error_and_the_code_stays_usable() {
    let (logs, _guard) = test_support::logs::Logs::start();
    let f = fixture(&unreachable_url(), 1500, WhenBreachCheckFails::Refuse);
    let code = f.code_for("jane", "jane@example.com", T0).await;
    let answer = f.confirm_with("jane", &code, PASSWORD, T0.plus(1)).await;
    assert_eq!(answer, Err(CognitoError::InternalError));
    f.code_untouched("jane");
    assert!(!f.password_is("jane", PASSWORD));
    // The connection error is logged by its cause, which names no part of the hash (the URL
    // asked holds the prefix).
    let logs = logs.text();
    assert!(logs.contains("breached-password lookup failed"), "{logs}");
    let hash = sha1_hex(PASSWORD);
    test_support::logs::assert_no_secret(&logs, [PASSWORD.to_string(), hash[..5].into(), hash]);
}

#[tokio::test]
async fn stalled_past_the_timeout_either_way() {
    let api = PwnedStandIn::start();
    api.set_mode(Mode::Stalled);
    let refusing = fixture(&api.url, 200, WhenBreachCheckFails::Refuse);
    let code = refusing.code_for("jane", "jane@example.com", T0).await;
    let answer = refusing
        .confirm_with("jane", &code, PASSWORD, T0.plus(1))
        .await;
    assert_eq!(answer, Err(CognitoError::InternalError));
    refusing.code_untouched("jane");
    // The API is back: the same code resets the password.
    api.set_mode(Mode::Serving);
    refusing
        .confirm_with("jane", &code, PASSWORD, T0.plus(2))
        .await
        .unwrap();
    assert!(refusing.password_is("jane", PASSWORD));

    api.set_mode(Mode::Stalled);
    let accepting = fixture(&api.url, 200, WhenBreachCheckFails::Accept);
    let code = accepting.code_for("jane", "jane@example.com", T0).await;
    accepting
        .confirm_with("jane", &code, BREACHED_PASSWORD, T0.plus(1))
        .await
        .unwrap();
    assert!(accepting.password_is("jane", BREACHED_PASSWORD));
}

#[tokio::test]
async fn an_answer_that_is_no_range_is_an_outage_not_a_verdict() {
    let api = PwnedStandIn::start();
    api.set_mode(Mode::Garbage);
    let f = fixture(&api.url, 1500, WhenBreachCheckFails::Refuse);
    let code = f.code_for("jane", "jane@example.com", T0).await;
    let answer = f.confirm_with("jane", &code, PASSWORD, T0.plus(1)).await;
    assert_eq!(answer, Err(CognitoError::InternalError));
    f.code_untouched("jane");
}

#[tokio::test(flavor = "current_thread")]
async fn the_password_its_hash_and_the_verdict_never_reach_the_log_at_trace() {
    let api = PwnedStandIn::start();
    let (logs, _guard) = test_support::logs::Logs::start();
    let f = fixture(&api.url, 1500, WhenBreachCheckFails::Refuse);
    let code = f.code_for("jane", "jane@example.com", T0).await;
    refused_as_breached(
        f.confirm_with("jane", &code, BREACHED_PASSWORD, T0.plus(1))
            .await,
    );
    api.set_mode(Mode::Garbage);
    let _ = f
        .confirm_with("jane", &code, ALSO_BREACHED, T0.plus(2))
        .await;
    api.set_mode(Mode::Serving);
    f.confirm_with("jane", &code, PASSWORD, T0.plus(3))
        .await
        .unwrap();
    let logs = logs.text();
    assert!(logs.contains("new password refused"), "{logs}");
    let secrets = [BREACHED_PASSWORD, ALSO_BREACHED, PASSWORD];
    test_support::logs::assert_no_secret(
        &logs,
        secrets
            .iter()
            .flat_map(|p| {
                let hash = sha1_hex(p);
                [
                    p.to_string(),
                    hash.clone(),
                    hash.to_lowercase(),
                    hash[5..].to_string(),
                    hash[..5].to_string(),
                ]
            })
            // The count the stand-in answered for the breached one.
            .chain(["3861493".to_string()]),
    );
}

#[test]
fn the_settings_are_off_by_default_and_read_as_documented() {
    use password_reset::config::{Settings, Wiring};
    let read = |pairs: &[(&str, &str)]| {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    };
    let off = Wiring::from_env(&read(&[])).unwrap();
    assert_eq!(off.pwned_passwords, None);
    let on = Wiring::from_env(&read(&[("PWNED_PASSWORDS", "true")]))
        .unwrap()
        .pwned_passwords
        .unwrap();
    assert_eq!(on.base_url, "https://api.pwnedpasswords.com");
    assert_eq!(on.timeout, Duration::from_millis(1500));
    let elsewhere = Wiring::from_env(&read(&[
        ("PWNED_PASSWORDS", "TRUE"),
        ("PWNED_PASSWORDS_URL", "http://127.0.0.1:9/"),
        ("PWNED_PASSWORDS_TIMEOUT_MS", "250"),
    ]))
    .unwrap()
    .pwned_passwords
    .unwrap();
    assert_eq!(elsewhere.base_url, "http://127.0.0.1:9");
    assert_eq!(elsewhere.timeout, Duration::from_millis(250));
    for (name, bad) in [
        ("PWNED_PASSWORDS_TIMEOUT_MS", "9000"),
        ("PWNED_PASSWORDS_URL", "ftp://example.com"),
    ] {
        let refused = Wiring::from_env(&read(&[("PWNED_PASSWORDS", "true"), (name, bad)]));
        assert!(
            refused.is_err_and(|e| e.to_string().contains(name)),
            "{name}={bad}"
        );
    }
    let defaults = Settings::from_env(read(&[])).unwrap();
    assert_eq!(
        defaults.pool.blocklist.when_breach_check_fails,
        WhenBreachCheckFails::Accept
    );
    let refusing =
        Settings::from_env(read(&[("PWNED_PASSWORDS_WHEN_UNREACHABLE", "Refuse")])).unwrap();
    assert_eq!(
        refusing.pool.blocklist.when_breach_check_fails,
        WhenBreachCheckFails::Refuse
    );
    assert!(Settings::from_env(read(&[("PWNED_PASSWORDS_WHEN_UNREACHABLE", "maybe")])).is_err());
}
