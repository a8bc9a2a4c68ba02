//! Warm cost of our own code: the two use cases on the memory adapters with senders that do
//! nothing, argon2id alone (its cost is a chosen security parameter, so it is reported apart),
//! and the domain steps they are made of. `cargo bench -p password-reset --bench usecases`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use password_reset::config::Settings;
use password_reset::domain::caller::Caller;
use password_reset::domain::code::{
    CodeKey, CodeKeys, CodePolicy, CodeRecord, ConfirmationCode, LiveCode,
};
use password_reset::domain::delivery::DeliveryMedium;
use password_reset::domain::message::RenderedMessage;
use password_reset::domain::message::{MessageParams, MessageTemplates};
use password_reset::domain::message_catalog::{MessageCatalog, MessageSource};
use password_reset::domain::password;
use password_reset::domain::recovery::{AccountRecovery, resolve_channel};
use password_reset::domain::request::{ConfirmForgotPasswordRequest, ForgotPasswordRequest};
use password_reset::domain::time::UnixTime;
use password_reset::domain::user::{Attributes, User, UserStatus};
use password_reset::ports::{DeliveryError, EmailSender, SmsSender};
use password_reset::usecases::custom_message::{CustomMessageRequest, custom_message};
use password_reset::{ResetService, embedded};
use rand::SeedableRng;
use rand::rngs::StdRng;

const CLIENT: &str = "38fjsnc484p94kpqsnet7mpld0";
const T0: u64 = 1_800_000_000;
const USERS: usize = 10_000;
const PASSWORD: &str = "N3w-Passw0rd!";

/// Delivery that does nothing: the figures are our code's, not a file's or a network's.
struct Discard;

#[async_trait]
impl EmailSender for Discard {
    async fn send_email(&self, _: &str, _: &RenderedMessage) -> Result<(), DeliveryError> {
        Ok(())
    }
}

#[async_trait]
impl SmsSender for Discard {
    async fn send_sms(&self, _: &str, _: &RenderedMessage) -> Result<(), DeliveryError> {
        Ok(())
    }
}

/// Keeps the last code sent, so a confirm benchmark can redeem a real one (set up untimed).
#[derive(Default)]
struct LastCode(Mutex<String>);

#[async_trait]
impl EmailSender for LastCode {
    async fn send_email(&self, _: &str, m: &RenderedMessage) -> Result<(), DeliveryError> {
        *self.0.lock().unwrap() = m.code.clone();
        Ok(())
    }
}

fn user(i: usize) -> User {
    let mut attributes = Attributes::default();
    attributes.set("email", format!("user{i:05}@example.com"));
    attributes.set("email_verified", "true");
    User {
        username: format!("user{i:05}"),
        sub: format!("00000000-0000-4000-8000-{i:012}"),
        status: UserStatus::Confirmed,
        enabled: true,
        attributes,
        password_hash: None,
        mfa: None,
    }
}

/// The demo pool (email first, then phone; PreventUserExistenceErrors on; 5 requests per user
/// per hour) with USERS users, on the memory store.
fn service() -> ResetService {
    let mut settings = Settings::from_json(include_str!("../../config/demo-pool.json")).unwrap();
    settings.users = (0..USERS).map(user).collect();
    settings.outbox.path = None;
    let mut rng = StdRng::seed_from_u64(7);
    let mut service = embedded::assemble(&settings, &mut rng, false).service;
    service.ports.email = Arc::new(Discard);
    service.ports.sms = Arc::new(Discard);
    service
}

fn forgot_request(i: usize) -> ForgotPasswordRequest {
    ForgotPasswordRequest {
        client_id: CLIENT.into(),
        username: format!("user{:05}", i % USERS),
        ..Default::default()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn use_cases(c: &mut Criterion) {
    let rt = runtime();
    let service = service();
    let requests: Vec<_> = (0..USERS).map(forgot_request).collect();
    // Users in turn, and the clock moves on a quarter window per round, so each user stays under
    // the request limit and every iteration takes the full path: resolve, issue, render, deliver.
    let n = Cell::new(0usize);
    c.bench_function("forgot_password (memory store, discarding sender)", |b| {
        b.to_async(&rt).iter(|| {
            let i = n.get();
            n.set(i + 1);
            let now = UnixTime(T0 + (i / USERS) as u64 * 900);
            let request = &requests[i % USERS];
            let service = &service;
            async move {
                let mut rng = password_reset::request_rng();
                let answer = service
                    .forgot_password(request, &Caller::unknown(), now, &mut rng)
                    .await;
                black_box(answer.unwrap())
            }
        })
    });

    // Confirm with the right code: set up (untimed) by a ForgotPassword whose code is kept.
    let inbox = Arc::new(LastCode::default());
    let mut confirm_service = self::service();
    confirm_service.ports.email = inbox.clone();
    let m = Cell::new(0usize);
    let mut group = c.benchmark_group("confirm_forgot_password");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("with argon2id hashing (memory store)", |b| {
        b.iter_batched(
            || {
                let i = m.get();
                m.set(i + 1);
                let now = UnixTime(T0 + (i / USERS) as u64 * 900);
                let request = forgot_request(i);
                rt.block_on(confirm_service.forgot_password(
                    &request,
                    &Caller::unknown(),
                    now,
                    &mut password_reset::request_rng(),
                ))
                .unwrap();
                let code = inbox.0.lock().unwrap().clone();
                let confirm = ConfirmForgotPasswordRequest {
                    client_id: CLIENT.into(),
                    username: request.username,
                    confirmation_code: code,
                    password: PASSWORD.into(),
                    ..Default::default()
                };
                (confirm, now)
            },
            |(confirm, now)| {
                rt.block_on(confirm_service.confirm_forgot_password(
                    &confirm,
                    &Caller::unknown(),
                    now,
                ))
                .unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("argon2id hash alone", |b| {
        let salt = [7u8; 16];
        b.iter(|| black_box(password::hash(black_box(PASSWORD), &salt).unwrap()))
    });
    group.finish();
}

fn domain(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let key = CodeKeys::from(CodeKey::generate(&mut rng));
    let policy = CodePolicy::default();
    let now = UnixTime(T0);
    let live = |(key_id, digest)| LiveCode {
        digest,
        key_id,
        issued_at: now,
        expires_at: now.plus(policy.ttl_seconds),
        attempts: 0,
        medium: Some(DeliveryMedium::Email),
    };

    c.bench_function("code issue (generate + HMAC digest + record.issue)", |b| {
        let record = CodeRecord::default();
        b.iter(|| {
            let code = ConfirmationCode::generate(&mut rng, policy.length);
            let digest = key.digest("user00001", code.expose());
            black_box(record.issue(live(digest), &policy).unwrap())
        })
    });

    let code = ConfirmationCode::generate(&mut rng, policy.length);
    let record = CodeRecord::default()
        .issue(live(key.digest("user00001", code.expose())), &policy)
        .unwrap();
    c.bench_function(
        "code verify, right code (HMAC digest + record.redeem)",
        |b| {
            b.iter(|| {
                let attempt = key.attempt("user00001", black_box(code.expose()));
                black_box(record.redeem(&attempt, now, &policy))
            })
        },
    );
    c.bench_function(
        "code verify, wrong code (HMAC digest + record.redeem)",
        |b| {
            b.iter(|| {
                let attempt = key.attempt("user00001", black_box("000000"));
                black_box(record.redeem(&attempt, now, &policy))
            })
        },
    );

    let both = {
        let mut u = user(1);
        u.attributes.set("phone_number", "+12065550142");
        u.attributes.set("phone_number_verified", "true");
        u
    };
    let ordered = AccountRecovery::Ordered(vec![DeliveryMedium::Email, DeliveryMedium::Sms]);
    c.bench_function("resolve_channel (email first)", |b| {
        b.iter(|| black_box(resolve_channel(black_box(&ordered), &both).unwrap()))
    });
    let mut email_only = user(1);
    email_only.attributes.set("email_verified", "true");
    c.bench_function(
        "resolve_channel (legacy order, falls through to email)",
        |b| {
            b.iter(|| {
                black_box(
                    resolve_channel(black_box(&AccountRecovery::Legacy), &email_only).unwrap(),
                )
            })
        },
    );

    let templates = MessageTemplates::default();
    let attributes = both.attributes.clone();
    c.bench_function("message render (default templates)", |b| {
        b.iter(|| {
            black_box(
                templates
                    .render(&MessageParams {
                        code: black_box("123456"),
                        username: "user00001",
                        link: None,
                        attributes: &attributes,
                        client_metadata: None,
                    })
                    .unwrap(),
            )
        })
    });
    let catalog = MessageCatalog::default();
    c.bench_function(
        "custom_message ForgotPassword (render + Cognito checks)",
        |b| {
            b.iter(|| {
                black_box(
                    custom_message(
                        &catalog,
                        &CustomMessageRequest {
                            source: MessageSource::ForgotPassword,
                            code_parameter: black_box("123456"),
                            username_parameter: None,
                            user_name: "user00001",
                            link_parameter: None,
                            user_attributes: &attributes,
                            client_metadata: None,
                        },
                    )
                    .unwrap(),
                )
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = use_cases, domain
}
criterion_main!(benches);
