//! Response time of ForgotPassword for known and unknown logins under PreventUserExistenceErrors,
//! with a delivery that takes 150 ms (a sleeping sender standing in for SES / SMS): p50 and p90 of
//! each, and how far apart they are. `cargo bench -p password-reset --bench timing`.
//!
//! Knobs: TIMING_SAMPLES (per kind, 400), TIMING_CONCURRENCY (16), TIMING_DELAY_MS (150),
//! TIMING_JITTER_MS (0: every delivery takes exactly the delay; n: delay + uniform 0..n).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use password_reset::config::Settings;
use password_reset::domain::message::RenderedMessage;
use password_reset::domain::request::ForgotPasswordRequest;
use password_reset::domain::time::UnixTime;
use password_reset::domain::user::{Attributes, User, UserStatus};
use password_reset::ports::{DeliveryError, EmailSender, SmsSender};
use password_reset::usecases::DeliveryTiming;
use rand::RngExt;

const CLIENT: &str = "38fjsnc484p94kpqsnet7mpld0";

struct Slow {
    delay: Duration,
    jitter_ms: u64,
}

impl Slow {
    async fn take(&self) -> Result<(), DeliveryError> {
        let jitter = if self.jitter_ms == 0 {
            0
        } else {
            rand::rng().random_range(0..self.jitter_ms)
        };
        tokio::time::sleep(self.delay + Duration::from_millis(jitter)).await;
        Ok(())
    }
}

#[async_trait]
impl EmailSender for Slow {
    async fn send_email(&self, _: &str, _: &RenderedMessage) -> Result<(), DeliveryError> {
        self.take().await
    }
}

#[async_trait]
impl SmsSender for Slow {
    async fn send_sms(&self, _: &str, _: &RenderedMessage) -> Result<(), DeliveryError> {
        self.take().await
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn user(i: u64) -> User {
    let mut attributes = Attributes::default();
    attributes.set("email", format!("user{i}@example.com"));
    attributes.set("email_verified", "true");
    User {
        username: format!("user{i}"),
        sub: format!("sub-{i}"),
        status: UserStatus::Confirmed,
        enabled: true,
        attributes,
        password_hash: None,
        mfa: None,
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: then only a smoke run.
    let measuring = std::env::args().any(|a| a == "--bench");
    let samples = if measuring {
        env("TIMING_SAMPLES", 400)
    } else {
        8
    };
    let concurrency = env("TIMING_CONCURRENCY", 16);
    let delay = Duration::from_millis(env("TIMING_DELAY_MS", 150));
    let jitter_ms = env("TIMING_JITTER_MS", 0);

    let mut settings = Settings::from_json(include_str!("../../config/demo-pool.json")).unwrap();
    settings.outbox.path = None;
    settings.pool.codes.max_requests = u32::MAX;
    settings.users = (0..samples).map(user).collect();
    let mut service =
        password_reset::embedded::assemble(&settings, &mut rand::rng(), false).service;
    let slow = Arc::new(Slow { delay, jitter_ms });
    service.ports.email = slow.clone();
    service.ports.sms = slow;
    // As deployed (DELIVERY=aws): seeded, then the observed real deliveries.
    service.timing = DeliveryTiming::default();
    let service = Arc::new(service);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (known, unknown) = rt.block_on(async {
        // Known and unknown logins interleaved, `concurrency` at a time.
        let jobs: Vec<(bool, u64)> = (0..samples).flat_map(|i| [(true, i), (false, i)]).collect();
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        for chunk in jobs.chunks(concurrency as usize) {
            let tasks: Vec<_> = chunk
                .iter()
                .map(|&(real, i)| {
                    let service = service.clone();
                    tokio::spawn(async move {
                        let request = ForgotPasswordRequest {
                            client_id: CLIENT.into(),
                            username: if real {
                                format!("user{i}")
                            } else {
                                format!("nobody{i}")
                            },
                            ..Default::default()
                        };
                        let mut rng = password_reset::request_rng();
                        let started = Instant::now();
                        service
                            .forgot_password(
                                &request,
                                &password_reset::domain::caller::Caller::unknown(),
                                UnixTime::now(),
                                &mut rng,
                            )
                            .await
                            .unwrap();
                        (real, started.elapsed())
                    })
                })
                .collect();
            for t in tasks {
                let (real, took) = t.await.unwrap();
                if real {
                    known.push(took)
                } else {
                    unknown.push(took)
                }
            }
        }
        (known, unknown)
    });

    let mut known = known;
    let mut unknown = unknown;
    known.sort();
    unknown.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "ForgotPassword, delivery {} ms{}, {samples} known + {samples} unknown logins, {concurrency} at a time",
        delay.as_millis(),
        if jitter_ms > 0 {
            format!(" + 0..{jitter_ms} ms")
        } else {
            String::new()
        }
    );
    println!("| login | p50 ms | p90 ms | p99 ms |");
    println!("|---|---:|---:|---:|");
    for (name, v) in [("known", &known), ("unknown", &unknown)] {
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} |",
            ms(percentile(v, 0.5)),
            ms(percentile(v, 0.9)),
            ms(percentile(v, 0.99))
        );
    }
    for (name, p) in [("p50", 0.5), ("p90", 0.9)] {
        let (k, u) = (ms(percentile(&known, p)), ms(percentile(&unknown, p)));
        println!(
            "{name}: unknown/known = {:.3} ({:+.1}%)",
            u / k,
            (u / k - 1.0) * 100.0
        );
    }
}
