//! The use cases on the memory adapters: limits under concurrency, lifecycle, failures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use test_support::Operations;
use test_support::service::{demo_settings, service_on};
use test_support::{Inbox, PASSWORD, confirm, forgot};

use async_trait::async_trait;
use password_reset::adapters::codes::memory::MemoryCodes;
use password_reset::adapters::directory::memory::MemoryDirectory;
use password_reset::adapters::directory::memory::PASSWORD_RECENTLY_USED;
use password_reset::config::Settings;
use password_reset::domain::caller::{Caller, CallerLimit};
use password_reset::domain::code::{
    Attempt, CodeDigest, CodeKey, CodeKeys, CodePolicy, CodeState, KeyId, LiveCode, Redemption,
};
use password_reset::domain::password;
use password_reset::domain::pool::PreventUserExistenceErrors;
use password_reset::domain::request::ConfirmForgotPasswordRequest;
use password_reset::domain::request::UserContextData;
use password_reset::domain::time::UnixTime;
use password_reset::domain::user::User;
use password_reset::domain::user::UserStatus;
use password_reset::ports::{
    Admission, CodeStore, Created, DeliveryError, PasswordChangeError, StoreError, UserDirectory,
};
use password_reset::usecases::CONFIRM_DEADLINE;
use password_reset::usecases::ForgotPasswordResponse;
use password_reset::{CognitoError, ResetService};
use rand::SeedableRng;
use rand::rngs::StdRng;

const T0: UnixTime = UnixTime(1_800_000_000);

struct Fixture {
    service: Arc<ResetService>,
    store: Arc<MemoryDirectory>,
    inbox: Arc<Inbox>,
}

fn fixture_with(codes: Arc<dyn CodeStore>, store: Arc<MemoryDirectory>, inbox: Inbox) -> Fixture {
    let inbox = Arc::new(inbox);
    let service = service_on(
        &demo_settings(),
        3,
        store.clone(),
        codes,
        inbox.clone(),
        None,
    );
    Fixture {
        service: Arc::new(service),
        store,
        inbox,
    }
}

/// The demo pool's users in a memory directory, and an empty memory code store.
type Stores = (Arc<MemoryDirectory>, Arc<MemoryCodes>);

fn demo_store() -> Stores {
    (
        Arc::new(MemoryDirectory::with_users(demo_settings().users)),
        Arc::new(MemoryCodes::new()),
    )
}

fn fixture() -> Fixture {
    let (store, codes) = demo_store();
    fixture_with(codes, store, Inbox::default())
}

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

impl Fixture {
    /// ForgotPassword for `login` from an unknown caller at `now`, the generator seeded by `seed`.
    async fn ask(
        &self,
        login: &str,
        now: UnixTime,
        seed: u64,
    ) -> Result<ForgotPasswordResponse, CognitoError> {
        self.service
            .forgot_at(&forgot(login), now, &mut rng(seed))
            .await
    }

    /// ConfirmForgotPassword for `login` with `code` from an unknown caller at `now`.
    async fn confirm(&self, login: &str, code: &str, now: UnixTime) -> Result<(), CognitoError> {
        self.service.confirm_at(&confirm(login, code), now).await
    }

    /// The code a ForgotPassword for jane at `now` sends her, which must be sent.
    async fn janes_code(&self, now: UnixTime, seed: u64) -> String {
        self.ask("jane", now, seed).await.unwrap();
        self.inbox.last_code("jane@example.com")
    }

    /// `n` ForgotPassword for jane at once at `now`, the i-th seeded by i: the results.
    async fn forgot_burst(
        &self,
        n: u64,
        now: UnixTime,
    ) -> Vec<Result<ForgotPasswordResponse, CognitoError>> {
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let service = self.service.clone();
                tokio::spawn(
                    async move { service.forgot_at(&forgot("jane"), now, &mut rng(i)).await },
                )
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        results
    }

    /// One ConfirmForgotPassword for jane per code, at once at `now`, the i-th seeded by i: the
    /// results.
    async fn confirm_burst(
        &self,
        codes: impl IntoIterator<Item = String>,
        now: UnixTime,
    ) -> Vec<Result<(), CognitoError>> {
        let tasks: Vec<_> = codes
            .into_iter()
            .map(|code| {
                let service = self.service.clone();
                tokio::spawn(async move { service.confirm_at(&confirm("jane", &code), now).await })
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        results
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_for_one_user_admit_exactly_the_limit() {
    let f = fixture();
    let mut admitted = 0;
    for result in f.forgot_burst(100, T0).await {
        match result {
            Ok(_) => admitted += 1,
            Err(e) => assert!(matches!(e, CognitoError::LimitExceeded { .. }), "{e:?}"),
        }
    }
    assert_eq!(admitted, 5);
    assert_eq!(f.inbox.sent.lock().unwrap().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_codes_never_count_past_the_limit() {
    let f = fixture();
    let right = f.janes_code(T0, 1).await;
    let wrong = if right == "000000" {
        "999999"
    } else {
        "000000"
    };
    let mut mismatches = 0;
    for result in f
        .confirm_burst(vec![wrong.to_string(); 100], T0.plus(1))
        .await
    {
        match result.unwrap_err() {
            CognitoError::CodeMismatch => mismatches += 1,
            CognitoError::TooManyFailedAttempts => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        mismatches, 5,
        "exactly the attempt limit is counted as mismatches"
    );
    let err = f.confirm("jane", &right, T0.plus(2)).await;
    assert_eq!(
        err,
        Err(CognitoError::TooManyFailedAttempts),
        "a dead code stays dead"
    );
    assert_eq!(f.store.user("jane").unwrap().password_hash, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_right_code_raced_by_twenty_confirms_succeeds_once() {
    let f = fixture();
    let code = f.janes_code(T0, 1).await;
    let mut ok = 0;
    for result in f.confirm_burst(vec![code; 20], T0.plus(1)).await {
        match result {
            Ok(()) => ok += 1,
            // The spent code: request a new one (counted, so the limit still holds).
            Err(CognitoError::ExpiredCode | CognitoError::TooManyFailedAttempts) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 1);
    let user = f.store.user("jane").unwrap();
    assert_eq!(user.status, UserStatus::Confirmed);
    assert!(password::verify(
        PASSWORD,
        user.password_hash.as_deref().unwrap()
    ));
}

/// A burst of guesses with the right code at a random place: only five attempts are ever judged,
/// so the right one wins about 5% of bursts, not all of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_right_code_hidden_in_a_burst_of_guesses_rarely_wins() {
    use rand::RngExt;
    const BURSTS: u64 = 100;
    let f = fixture();
    let mut pick = rng(7);
    let mut wins = 0;
    for burst in 0..BURSTS {
        let now = T0.plus(burst * 7200);
        let code = f.janes_code(now, burst).await;
        let right_at = pick.random_range(0..100u32);
        let guesses = (0..100u32).map(|i| {
            if i == right_at {
                code.clone()
            } else {
                format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000)
            }
        });
        for result in f.confirm_burst(guesses, now).await {
            match result {
                Ok(()) => wins += 1,
                Err(CognitoError::CodeMismatch | CognitoError::TooManyFailedAttempts) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
    }
    eprintln!("the right code won {wins} of {BURSTS} bursts");
    // At 5% a win, 14 or more of 100 happens with probability below 0.1%.
    assert!(wins < 14, "the right code won {wins} of {BURSTS} bursts");
}

/// OWASP: a successful reset is followed by a notice to the user's verified channel; a notice
/// that cannot be delivered does not undo or fail the reset; the setting turns it off.
#[tokio::test]
async fn a_reset_is_followed_by_a_password_changed_notice() {
    let f = fixture();
    let code = f.janes_code(T0, 1).await;
    f.confirm("jane", &code, T0.plus(1)).await.unwrap();
    let sent = f.inbox.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1], ("jane@example.com".to_string(), String::new()));

    // Refused notice: the reset still succeeds.
    let code = f.janes_code(T0.plus(10), 3).await;
    *f.inbox.refuse.lock().unwrap() = Some(DeliveryError::Refused("sandbox".into()));
    f.confirm("jane", &code, T0.plus(11)).await.unwrap();

    // Turned off: nothing after the reset.
    let (store, codes) = demo_store();
    let mut quiet = fixture_with(codes, store, Inbox::default());
    Arc::get_mut(&mut quiet.service)
        .unwrap()
        .pool
        .notify_password_changed = false;
    let code = quiet.janes_code(T0, 5).await;
    quiet.confirm("jane", &code, T0.plus(1)).await.unwrap();
    assert_eq!(quiet.inbox.count(), 1);
}

#[tokio::test]
async fn expired_codes_are_refused_and_reset_required_becomes_confirmed() {
    let f = fixture();
    let mut user = f.store.user("jane").unwrap();
    user.status = UserStatus::ResetRequired;
    f.store.put_user(user);
    let code = f.janes_code(T0, 1).await;
    let ttl = f.service.pool.codes.ttl_seconds;
    let late = f.confirm("jane", &code, T0.plus(ttl)).await;
    assert_eq!(late, Err(CognitoError::ExpiredCode));
    assert_eq!(
        late.unwrap_err().to_string(),
        "Invalid code provided, please request a code again."
    );
    f.confirm("jane", &code, T0.plus(ttl - 1)).await.unwrap();
    assert_eq!(f.store.user("jane").unwrap().status, UserStatus::Confirmed);
}

#[tokio::test]
async fn the_window_rolls() {
    let f = fixture();
    for i in 0..5 {
        f.ask("jane", T0.plus(i * 60), i).await.unwrap();
    }
    let err = f.ask("jane", T0.plus(3599), 9).await;
    assert_eq!(err, Err(CognitoError::LimitExceeded { retry_after: 1 }));
    assert!(f.ask("jane", T0.plus(3601), 10).await.is_ok());
}

#[tokio::test]
async fn failed_delivery_leaves_no_live_code_and_does_not_count() {
    let (store, codes) = demo_store();
    let inbox = Inbox::refusing(DeliveryError::Refused("sandbox says no".into()));
    let f = fixture_with(codes.clone(), store, inbox);
    for i in 0..7 {
        let err = f.ask("jane", T0.plus(i), i).await.unwrap_err();
        // The reason itself is shown only under LEGACY (tests/tells.rs).
        assert_eq!(err.kind(), "CodeDeliveryFailureException");
    }
    let record = codes.code_record("jane").unwrap();
    assert_eq!(record.state, CodeState::Empty);
    assert!(record.requests.is_empty());

    let (store, codes) = demo_store();
    let throttled = Inbox::refusing(DeliveryError::Throttled);
    let f = fixture_with(codes, store, throttled);
    let err = f.ask("paul", T0, 1).await.unwrap_err();
    assert_eq!(err.kind(), "TooManyRequestsException");
    let failed = Inbox::refusing(DeliveryError::Failed("smtp 554 secret detail".into()));
    let (store, codes) = demo_store();
    let f = fixture_with(codes, store, failed);
    let err = f.ask("paul", T0, 1).await.unwrap_err();
    assert_eq!(err.kind(), "CodeDeliveryFailureException");
    assert!(
        !err.to_string().contains("secret detail"),
        "internal detail stays in the log"
    );
}

/// A code store that fails on demand, for the store-failure paths.
struct FailingCodes {
    inner: Arc<MemoryCodes>,
    failure: StoreError,
}

/// What a code store answers.
type Stored<T> = Result<T, StoreError>;

#[async_trait]
impl CodeStore for FailingCodes {
    async fn issue(&self, _: &str, _: LiveCode, _: &CodePolicy) -> Stored<Admission> {
        Err(self.failure.clone())
    }
    async fn admit_caller(
        &self,
        key: &str,
        now: UnixTime,
        limit: &CallerLimit,
    ) -> Stored<Admission> {
        self.inner.admit_caller(key, now, limit).await
    }
    async fn revoke(&self, key: &str, digest: &CodeDigest) -> Stored<()> {
        self.inner.revoke(key, digest).await
    }
    async fn redeem(
        &self,
        _: &str,
        _: &Attempt,
        _: UnixTime,
        _: &CodePolicy,
    ) -> Stored<Redemption> {
        Err(self.failure.clone())
    }
    async fn release(&self, key: &str, attempt: &Attempt) -> Stored<()> {
        self.inner.release(key, attempt).await
    }
}

#[tokio::test]
async fn store_failures_map_to_cognito_errors_and_send_nothing() {
    for (failure, kind) in [
        (StoreError::Throttled, "TooManyRequestsException"),
        (
            StoreError::Unavailable("connection reset by 10.0.0.7".into()),
            "InternalErrorException",
        ),
        (
            StoreError::Malformed {
                key: "jane".into(),
                field: "expires_at".into(),
            },
            "InternalErrorException",
        ),
    ] {
        let (store, inner) = demo_store();
        let codes = Arc::new(FailingCodes { inner, failure });
        let f = fixture_with(codes, store, Inbox::default());
        let err = f.ask("jane", T0, 1).await.unwrap_err();
        assert_eq!(err.kind(), kind);
        if kind == "InternalErrorException" {
            assert_eq!(err.to_string(), "Internal server error.");
            assert_eq!(err.http_status(), 500);
        }
        let err = f.confirm("jane", "123456", T0).await.unwrap_err();
        assert_eq!(err.kind(), kind);
        assert!(f.inbox.sent.lock().unwrap().is_empty());
        assert_eq!(f.store.user("jane").unwrap().password_hash, None);
    }
}

#[tokio::test]
async fn simulated_requests_do_the_same_store_work_and_hit_the_same_limit() {
    let f = fixture();
    assert_eq!(
        f.service.pool.prevent_user_existence_errors,
        PreventUserExistenceErrors::Enabled
    );
    for i in 0..5 {
        f.ask("nobody", T0.plus(i), i).await.unwrap();
    }
    let err = f.ask("nobody", T0.plus(9), 9).await;
    assert_eq!(
        err,
        Err(CognitoError::LimitExceeded { retry_after: 3591 }),
        "an unknown user is limited exactly like a real one"
    );
    assert!(f.inbox.sent.lock().unwrap().is_empty());
    // Wrong codes for an unknown user exhaust like a real user's.
    for _ in 0..5 {
        let e = f.confirm("nobody", "123456", T0.plus(10)).await;
        assert_eq!(e, Err(CognitoError::CodeMismatch));
    }
    let e = f.confirm("nobody", "123456", T0.plus(11)).await;
    assert_eq!(e, Err(CognitoError::TooManyFailedAttempts));
}

#[tokio::test]
async fn username_sub_and_aliases_all_find_the_user() {
    let f = fixture();
    for login in [
        "jane",
        "jane@example.com",
        "JANE@example.com",
        "7d8e2f10-1b3c-4c5d-9e6f-0a1b2c3d4e5f",
    ] {
        let out = f.ask(login, T0, 1).await.unwrap();
        assert_eq!(
            out.code_delivery_details.destination, "j***@e***.com",
            "{login}"
        );
    }
    let sent = f.inbox.sent.lock().unwrap().len();
    assert_eq!(sent, 4);
}

// ------------------------------------------------------------------ per-caller limits

fn from(ip: &str) -> Caller {
    Caller::peer(ip.parse().unwrap())
}

fn with_device(
    mut request: password_reset::domain::request::ForgotPasswordRequest,
    device: &str,
) -> password_reset::domain::request::ForgotPasswordRequest {
    request.user_context_data = Some(UserContextData {
        ip_address: None,
        encoded_data: Some(device.into()),
    });
    request
}

/// Runs `n` ForgotPasswords for `n` different logins at once from `caller`: (admitted, refused).
async fn burst(f: &Fixture, caller: Caller, n: u64, now: UnixTime) -> (usize, usize) {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let service = f.service.clone();
            tokio::spawn(async move {
                service
                    .forgot_password(&forgot(&format!("user{i}")), &caller, now, &mut rng(i))
                    .await
            })
        })
        .collect();
    let (mut admitted, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => admitted += 1,
            Err(e) => {
                assert!(matches!(e, CognitoError::LimitExceeded { .. }), "{e:?}");
                assert_eq!(
                    e.to_string(),
                    "Attempt limit exceeded, please try after some time."
                );
                refused += 1;
            }
        }
    }
    (admitted, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_from_one_caller_across_users_admit_exactly_the_caller_limit() {
    let f = fixture();
    let limit = f.service.pool.codes.max_requests_per_caller as usize;
    assert_eq!(limit, 30, "the published default");
    let (admitted, refused) = burst(&f, from("203.0.113.7"), 100, T0).await;
    assert_eq!((admitted, refused), (limit, 100 - limit));
    // Refused before any lookup: a real user behind the same address gets nothing either.
    let err = f
        .service
        .forgot_password(
            &forgot("jane"),
            &from("203.0.113.7"),
            T0.plus(1),
            &mut rng(1),
        )
        .await;
    assert_eq!(err, Err(CognitoError::LimitExceeded { retry_after: 3599 }));
    assert!(f.inbox.sent.lock().unwrap().is_empty());
}

/// A directory whose every lookup fails.
struct UnreachableDirectory;

#[async_trait]
impl UserDirectory for UnreachableDirectory {
    async fn find(&self, _: &str) -> Stored<Option<User>> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn create(&self, _: &User) -> Stored<Created> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn set_password(&self, _: &str, _: &str) -> Result<(), PasswordChangeError> {
        Err(PasswordChangeError::NotApplied(StoreError::Throttled))
    }
}

/// The caller's window counts a request whatever its user lookup answers (it runs beside the
/// lookup): failed lookups fill it as unknown logins do, and then the caller's answer comes first.
#[tokio::test]
async fn requests_whose_user_lookup_fails_still_fill_the_caller_window() {
    let codes = Arc::new(MemoryCodes::new());
    let inbox = Arc::new(Inbox::default());
    let service = service_on(
        &demo_settings(),
        3,
        Arc::new(UnreachableDirectory),
        codes,
        inbox,
        None,
    );
    let caller = from("203.0.113.9");
    let limit = service.pool.codes.max_requests_per_caller;
    for i in 0..u64::from(limit) {
        let e = service
            .forgot_password(&forgot(&format!("user{i}")), &caller, T0, &mut rng(i))
            .await;
        assert_eq!(e, Err(CognitoError::InternalError));
    }
    let e = service
        .forgot_password(&forgot("jane"), &caller, T0, &mut rng(99))
        .await;
    assert_eq!(e, Err(CognitoError::LimitExceeded { retry_after: 3600 }));
    let confirms = service.pool.codes.max_confirms_per_caller;
    for i in 0..u64::from(confirms) {
        let e = service
            .confirm_forgot_password(&confirm(&format!("user{i}"), "123456"), &caller, T0)
            .await;
        assert_eq!(e, Err(CognitoError::InternalError));
    }
    let e = service
        .confirm_forgot_password(&confirm("jane", "123456"), &caller, T0)
        .await;
    assert_eq!(e, Err(CognitoError::LimitExceeded { retry_after: 3600 }));
}

#[tokio::test]
async fn different_callers_do_not_share_a_window_and_ipv6_is_grouped_by_64() {
    let f = fixture();
    assert_eq!(burst(&f, from("203.0.113.7"), 31, T0).await, (30, 1));
    // The neighbour address is another caller.
    assert_eq!(burst(&f, from("203.0.113.8"), 1, T0).await, (1, 0));
    // Every address of a /64 is one caller; the next /64 is another.
    assert_eq!(burst(&f, from("2001:db8:1:2::1"), 30, T0).await, (30, 0));
    assert_eq!(
        burst(&f, from("2001:db8:1:2:ffff:1:2:3"), 1, T0).await,
        (0, 1)
    );
    assert_eq!(burst(&f, from("2001:db8:1:3::1"), 1, T0).await, (1, 0));
    // An IPv4 client seen on a dual-stack socket is the same IPv4 caller.
    assert_eq!(burst(&f, from("::ffff:203.0.113.7"), 1, T0).await, (0, 1));
}

#[tokio::test]
async fn the_caller_window_rolls() {
    let f = fixture();
    assert_eq!(burst(&f, from("198.51.100.1"), 30, T0).await, (30, 0));
    assert_eq!(
        burst(&f, from("198.51.100.1"), 1, T0.plus(3599)).await,
        (0, 1)
    );
    // An hour after the burst its requests have left the window: a full quota again.
    assert_eq!(
        burst(&f, from("198.51.100.1"), 31, T0.plus(3600)).await,
        (30, 1)
    );
}

#[tokio::test]
async fn a_device_is_limited_on_its_own_and_never_stored_raw() {
    let f = fixture();
    // No address at all (a direct invocation without IpAddress): the device still counts.
    let device = "eyJwYXlsb2FkIjoiZGV2aWNlLUEifQ==";
    for i in 0..30 {
        f.service
            .forgot_direct(
                &with_device(forgot(&format!("user{i}")), device),
                T0,
                &mut rng(i),
            )
            .await
            .unwrap();
    }
    let refused = f
        .service
        .forgot_direct(&with_device(forgot("user99"), device), T0, &mut rng(99))
        .await;
    assert_eq!(
        refused,
        Err(CognitoError::LimitExceeded { retry_after: 3600 })
    );
    // Another device is another caller; from many addresses, the device is still full.
    f.service
        .forgot_direct(
            &with_device(forgot("user98"), "ZGV2aWNlLUI="),
            T0,
            &mut rng(98),
        )
        .await
        .unwrap();
    let refused = f
        .service
        .forgot_password(
            &with_device(forgot("user97"), device),
            &from("192.0.2.44"),
            T0,
            &mut rng(97),
        )
        .await;
    assert_eq!(
        refused,
        Err(CognitoError::LimitExceeded { retry_after: 3600 })
    );
}

#[tokio::test]
async fn a_direct_invocation_is_limited_by_the_context_address_and_http_never_is() {
    let f = fixture();
    let claims = |user: &str, ip: &str| {
        let mut r = forgot(user);
        r.user_context_data = Some(UserContextData {
            ip_address: Some(ip.into()),
            encoded_data: None,
        });
        r
    };
    for i in 0..30 {
        f.service
            .forgot_direct(&claims(&format!("user{i}"), "192.0.2.10"), T0, &mut rng(i))
            .await
            .unwrap();
    }
    assert_eq!(
        f.service
            .forgot_direct(&claims("user30", "192.0.2.10"), T0, &mut rng(30))
            .await,
        Err(CognitoError::LimitExceeded { retry_after: 3600 })
    );
    // Over HTTP the source address counts, whatever the body claims.
    f.service
        .forgot_password(
            &claims("user31", "192.0.2.10"),
            &from("192.0.2.99"),
            T0,
            &mut rng(31),
        )
        .await
        .unwrap();
}

fn keyring(current: &str, decoy: &str, keys: &[(&str, u8)]) -> CodeKeys {
    let id = |s: &str| KeyId::parse(s).unwrap();
    CodeKeys::new(
        id(current),
        id(decoy),
        keys.iter()
            .map(|(i, b)| (id(i), CodeKey::from_bytes(&[*b; 32]).unwrap())),
    )
    .unwrap()
}

/// A container started with `keys`, on the shared store and inbox.
fn container((users, codes): &Stores, inbox: &Arc<Inbox>, keys: CodeKeys) -> ResetService {
    let settings = Settings::from_json(include_str!("../../../config/demo-pool.json")).unwrap();
    ResetService {
        pool: settings.pool.clone(),
        code_keys: keys,
        ports: password_reset::usecases::Ports {
            users: users.clone(),
            clients: Arc::new(
                password_reset::adapters::directory::fixed_app_clients::FixedAppClients::new(
                    settings.pool.clients.clone(),
                ),
            ),
            codes: codes.clone(),
            email: inbox.clone(),
            sms: inbox.clone(),
            migration_source: None,
            breached: None,
            claims: None,
            owed_sign_outs: None,
        },
        timing: password_reset::usecases::DeliveryTiming::unseeded(),
        triggers: None,
    }
}

fn key_id_of((_, codes): &Stores, user: &str) -> String {
    match codes.code_record(user).unwrap().state {
        CodeState::Live(live) => live.key_id.to_string(),
        other => panic!("no live code: {other:?}"),
    }
}

#[tokio::test]
async fn a_code_issued_under_k1_verifies_after_k2_becomes_current() {
    let store = demo_store();
    let inbox = Arc::new(Inbox::default());
    let before = container(&store, &inbox, keyring("k1", "k1", &[("k1", 1)]));
    let after = container(&store, &inbox, keyring("k2", "k1", &[("k1", 1), ("k2", 2)]));

    before
        .forgot_direct(&forgot("jane"), T0, &mut rng(1))
        .await
        .unwrap();
    let issued_before = inbox.last_code("jane@example.com");
    assert_eq!(key_id_of(&store, "jane"), "k1");
    // The rotated container judges it under k1: a wrong code is a mismatch, the right one works.
    let wrong = if issued_before == "000000" {
        "999999"
    } else {
        "000000"
    };
    assert_eq!(
        after
            .confirm_direct(&confirm("jane", wrong), T0.plus(1))
            .await,
        Err(CognitoError::CodeMismatch)
    );
    after
        .confirm_direct(&confirm("jane", &issued_before), T0.plus(2))
        .await
        .unwrap();

    // New codes are issued under k2, and a container that started before the rotation but was
    // given k2 beside k1 (the staged step) verifies them too.
    after
        .forgot_direct(&forgot("jane"), T0.plus(3), &mut rng(4))
        .await
        .unwrap();
    assert_eq!(key_id_of(&store, "jane"), "k2");
    let staged = container(&store, &inbox, keyring("k1", "k1", &[("k1", 1), ("k2", 2)]));
    staged
        .confirm_direct(
            &confirm("jane", &inbox.last_code("jane@example.com")),
            T0.plus(4),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn confirms_are_limited_per_caller_before_the_code_is_looked_at() {
    let f = fixture();
    let limit = f.service.pool.codes.max_confirms_per_caller;
    assert_eq!(limit, 60, "the published default");
    // Wrong codes for many users (each within its own attempt limit) until the caller is full.
    for i in 0..u64::from(limit) {
        let e = f
            .service
            .confirm_forgot_password(
                &confirm(&format!("user{}", i % 20), "123456"),
                &from("203.0.113.50"),
                T0,
            )
            .await;
        assert!(
            matches!(
                e,
                Err(CognitoError::CodeMismatch | CognitoError::TooManyFailedAttempts)
            ),
            "{e:?}"
        );
    }
    // Now even jane's right code is refused from there, and her code is not spent.
    f.service
        .forgot_password(&forgot("jane"), &from("192.0.2.1"), T0, &mut rng(1))
        .await
        .unwrap();
    let code = f.inbox.last_code("jane@example.com");
    assert_eq!(
        f.service
            .confirm_forgot_password(&confirm("jane", &code), &from("203.0.113.50"), T0.plus(1))
            .await,
        Err(CognitoError::LimitExceeded { retry_after: 3599 })
    );
    f.service
        .confirm_forgot_password(&confirm("jane", &code), &from("192.0.2.1"), T0.plus(2))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_failed_delivery_does_not_give_the_caller_its_request_back() {
    let (store, codes) = demo_store();
    let f = fixture_with(
        codes,
        store,
        Inbox::refusing(DeliveryError::Refused("sandbox".into())),
    );
    // jane's own quota is given back after each refusal; the caller's is not.
    for i in 0..30 {
        let e = f
            .service
            .forgot_password(
                &forgot("jane"),
                &from("203.0.113.9"),
                T0.plus(i),
                &mut rng(i),
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind(), "CodeDeliveryFailureException");
    }
    assert_eq!(
        f.service
            .forgot_password(
                &forgot("jane"),
                &from("203.0.113.9"),
                T0.plus(31),
                &mut rng(31)
            )
            .await,
        Err(CognitoError::LimitExceeded { retry_after: 3569 })
    );
}

#[tokio::test]
async fn a_code_under_a_retired_key_is_refused_as_expired_without_a_guess_counted() {
    let store = demo_store();
    let inbox = Arc::new(Inbox::default());
    let before = container(&store, &inbox, keyring("k1", "k1", &[("k1", 1)]));
    let retired = container(&store, &inbox, keyring("k2", "k2", &[("k2", 2)]));
    before
        .forgot_direct(&forgot("jane"), T0, &mut rng(1))
        .await
        .unwrap();
    let code = inbox.last_code("jane@example.com");
    for _ in 0..7 {
        assert_eq!(
            retired
                .confirm_direct(&confirm("jane", &code), T0.plus(1))
                .await,
            Err(CognitoError::ExpiredCode)
        );
    }
    let CodeState::Live(live) = store.1.code_record("jane").unwrap().state else {
        panic!("the code is left as it was")
    };
    assert_eq!(live.attempts, 0);
}

#[tokio::test]
async fn decoy_answers_and_limits_do_not_change_at_a_rotation() {
    let store = demo_store();
    let inbox = Arc::new(Inbox::default());
    let before = container(&store, &inbox, keyring("k1", "k1", &[("k1", 1)]));
    let after = container(&store, &inbox, keyring("k2", "k1", &[("k1", 1), ("k2", 2)]));
    let mut answers = Vec::new();
    // Five requests for an unknown login, across the rotation, count against one decoy record.
    for (i, service) in [&before, &before, &before, &after, &after]
        .into_iter()
        .enumerate()
    {
        let answer = service
            .forgot_direct(&forgot("nobody"), T0.plus(i as u64), &mut rng(i as u64))
            .await
            .unwrap();
        answers.push(answer.code_delivery_details);
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    assert_eq!(
        after
            .forgot_direct(&forgot("nobody"), T0.plus(9), &mut rng(9))
            .await,
        Err(CognitoError::LimitExceeded { retry_after: 3591 })
    );
    assert!(inbox.sent.lock().unwrap().is_empty());
}

// ------------------------------------------------------------------ the password change

/// A directory whose password changes are decided by `change`, users looked up in `inner`.
struct ChangingDirectory<F> {
    inner: Arc<MemoryDirectory>,
    change: F,
}

#[async_trait]
impl<F> UserDirectory for ChangingDirectory<F>
where
    F: Fn() -> Option<PasswordChangeError> + Send + Sync,
{
    async fn find(&self, login: &str) -> Stored<Option<User>> {
        self.inner.find(login).await
    }
    async fn create(&self, user: &User) -> Stored<Created> {
        self.inner.create(user).await
    }
    async fn set_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(), PasswordChangeError> {
        match (self.change)() {
            Some(e) => Err(e),
            None => self.inner.set_password(username, password).await,
        }
    }
}

/// A code store whose `release` fails (after a refusal the code cannot be given back).
struct UnreleasableCodes(Arc<MemoryCodes>);

#[async_trait]
impl CodeStore for UnreleasableCodes {
    async fn issue(&self, key: &str, code: LiveCode, policy: &CodePolicy) -> Stored<Admission> {
        self.0.issue(key, code, policy).await
    }
    async fn admit_caller(
        &self,
        key: &str,
        now: UnixTime,
        limit: &CallerLimit,
    ) -> Stored<Admission> {
        self.0.admit_caller(key, now, limit).await
    }
    async fn revoke(&self, key: &str, digest: &CodeDigest) -> Stored<()> {
        self.0.revoke(key, digest).await
    }
    async fn redeem(
        &self,
        key: &str,
        attempt: &Attempt,
        now: UnixTime,
        policy: &CodePolicy,
    ) -> Stored<Redemption> {
        self.0.redeem(key, attempt, now, policy).await
    }
    async fn release(&self, _: &str, _: &Attempt) -> Stored<()> {
        Err(StoreError::Throttled)
    }
}

fn confirm_with(login: &str, code: &str, password: &str) -> ConfirmForgotPasswordRequest {
    let mut request = confirm(login, code);
    request.password = password.into();
    request
}

#[tokio::test]
async fn a_recent_password_is_refused_as_the_pools_history_refuses_it_and_the_code_stays_usable() {
    let store =
        Arc::new(MemoryDirectory::with_users(demo_settings().users).with_password_history(2));
    store.set_password("jane", PASSWORD).await.unwrap();
    let f = fixture_with(Arc::new(MemoryCodes::new()), store, Inbox::default());
    let code = f.janes_code(T0, 1).await;
    let e = f
        .service
        .confirm_at(&confirm_with("jane", &code, PASSWORD), T0.plus(1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "PasswordHistoryPolicyViolationException");
    assert_eq!(e.to_string(), PASSWORD_RECENTLY_USED);
    assert_eq!(e.http_status(), 400);
    // Refused before anything changed: the same code sets another password.
    f.service
        .confirm_at(
            &confirm_with("jane", &code, "Br4nd-New-Passw0rd"),
            T0.plus(2),
        )
        .await
        .unwrap();
    let hash = f.store.user("jane").unwrap().password_hash.unwrap();
    assert!(password::verify("Br4nd-New-Passw0rd", &hash));
}

#[tokio::test]
async fn a_definite_refusal_releases_the_code_and_an_unknown_outcome_spends_it() {
    for (outcome, answer, code_lives) in [
        (
            PasswordChangeError::Refused("Password must have symbol characters".into()),
            "InvalidPasswordException",
            true,
        ),
        (
            PasswordChangeError::RecentlyUsed("used".into()),
            "PasswordHistoryPolicyViolationException",
            true,
        ),
        (
            PasswordChangeError::NotApplied(StoreError::Throttled),
            "TooManyRequestsException",
            true,
        ),
        (
            PasswordChangeError::Unknown("timed out".into()),
            "ExpiredCodeException",
            false,
        ),
        (
            PasswordChangeError::SessionsNotEnded("500".into()),
            "ExpiredCodeException",
            false,
        ),
    ] {
        let (inner, codes) = demo_store();
        let fail_once = std::sync::atomic::AtomicBool::new(true);
        let users = Arc::new(ChangingDirectory {
            inner: inner.clone(),
            change: move || {
                fail_once
                    .swap(false, std::sync::atomic::Ordering::SeqCst)
                    .then(|| outcome.clone())
            },
        });
        let inbox = Arc::new(Inbox::default());
        let service = service_on(&demo_settings(), 3, users, codes, inbox.clone(), None);
        service
            .forgot_at(&forgot("jane"), T0, &mut rng(1))
            .await
            .unwrap();
        let code = inbox.last_code("jane@example.com");
        let e = service
            .confirm_at(&confirm("jane", &code), T0.plus(1))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), answer);
        let again = service
            .confirm_at(&confirm("jane", &code), T0.plus(2))
            .await;
        if code_lives {
            assert_eq!(again, Ok(()), "{answer}: the code was given back");
        } else {
            // The directory may have changed the password: the code is spent, and says so.
            assert_eq!(again, Err(CognitoError::ExpiredCode), "{answer}");
            assert_eq!(inner.user("jane").unwrap().password_hash, None);
        }
    }
}

#[tokio::test]
async fn a_refusal_whose_release_fails_answers_expired_code_not_a_retry() {
    let (inner, codes) = demo_store();
    let users = Arc::new(ChangingDirectory {
        inner,
        change: || Some(PasswordChangeError::NotApplied(StoreError::Throttled)),
    });
    let inbox = Arc::new(Inbox::default());
    let service = service_on(
        &demo_settings(),
        3,
        users,
        Arc::new(UnreleasableCodes(codes)),
        inbox.clone(),
        None,
    );
    service
        .forgot_at(&forgot("jane"), T0, &mut rng(1))
        .await
        .unwrap();
    let code = inbox.last_code("jane@example.com");
    for at in [1, 2] {
        // The throttle would invite a retry, but the code stays claimed: both say request a new one.
        assert_eq!(
            service
                .confirm_at(&confirm("jane", &code), T0.plus(at))
                .await,
            Err(CognitoError::ExpiredCode)
        );
    }
}

#[tokio::test]
async fn a_password_change_that_never_answers_is_cut_at_the_deadline_and_spends_the_code() {
    let (inner, codes) = demo_store();
    let stalled = Arc::new(StalledDirectory(inner.clone()));
    let inbox = Arc::new(Inbox::default());
    let service = service_on(&demo_settings(), 3, stalled, codes, inbox.clone(), None);
    service
        .forgot_at(&forgot("jane"), T0, &mut rng(1))
        .await
        .unwrap();
    let code = inbox.last_code("jane@example.com");
    let started = std::time::Instant::now();
    let e = service
        .confirm_at(&confirm("jane", &code), T0.plus(1))
        .await;
    let took = started.elapsed();
    assert_eq!(e, Err(CognitoError::ExpiredCode));
    assert!(
        took >= CONFIRM_DEADLINE && took < CONFIRM_DEADLINE + std::time::Duration::from_secs(1),
        "answered after {took:?}, inside the function's 10 s"
    );
    assert!(took < std::time::Duration::from_secs(9));
}

/// A directory whose password change never answers.
struct StalledDirectory(Arc<MemoryDirectory>);

#[async_trait]
impl UserDirectory for StalledDirectory {
    async fn find(&self, login: &str) -> Stored<Option<User>> {
        self.0.find(login).await
    }
    async fn create(&self, user: &User) -> Stored<Created> {
        self.0.create(user).await
    }
    async fn set_password(&self, _: &str, _: &str) -> Result<(), PasswordChangeError> {
        std::future::pending().await
    }
}

/// Every login ForgotPassword answers from a decoy is judged by Confirm against that decoy, so its
/// code expires as an unknown login's does: ExpiredCode once the decoy's lifetime is over, and
/// CodeMismatch within it, for disabled (dora), FORCE_CHANGE_PASSWORD (fran), no verified channel
/// (sam), unconfirmed, and only the MFA channel, as for nobody.
#[tokio::test]
async fn a_simulated_logins_decoy_expires_as_an_unknown_ones() {
    let f = fixture();
    let mut unconfirmed = f.store.user("jane").unwrap();
    unconfirmed.username = "ursula".into();
    unconfirmed.sub = "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901".into();
    unconfirmed.status = UserStatus::Unconfirmed;
    unconfirmed.attributes.set("email", "ursula@example.com");
    f.store.put_user(unconfirmed.clone());
    let mut mfa = unconfirmed;
    mfa.username = "mia".into();
    mfa.sub = "4c5d6e7f-8091-4a2b-bc3d-4e5f60718293".into();
    mfa.status = UserStatus::Confirmed;
    mfa.attributes.set("email", "mia@example.com");
    mfa.mfa = Some(password_reset::domain::user::MfaChannel::Email);
    f.store.put_user(mfa);
    let ttl = f.service.pool.codes.ttl_seconds;
    let answers = |login: &'static str| {
        let f = &f;
        async move {
            f.ask(login, T0, 1).await.unwrap();
            let within = f.confirm(login, "123456", T0.plus(ttl - 1)).await;
            let after = f.confirm(login, "123456", T0.plus(ttl)).await;
            (within, after)
        }
    };
    let unknown = answers("nobody").await;
    assert_eq!(
        unknown,
        (
            Err(CognitoError::CodeMismatch),
            Err(CognitoError::ExpiredCode)
        )
    );
    for login in ["dora", "fran", "sam", "ursula", "mia"] {
        assert_eq!(answers(login).await, unknown, "{login}");
    }
    assert_eq!(f.inbox.count(), 0, "nothing sent");
}
