//! The functions' log subscriber: lambda_runtime's default one (level from `AWS_LAMBDA_LOG_LEVEL`,
//! else `RUST_LOG`, else INFO; JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`), with the dependencies'
//! targets capped by [`crate::log_caps::CAPS`].
//!
//! lambda_runtime logs every raw event at TRACE (the code, the new password, the SecretHash) and
//! the AWS SDK every request, response and decoded output at DEBUG/TRACE (digests, password
//! hashes, full addresses). With `LogLevel=TRACE` (or `RUST_LOG=trace`, or a `aws_smithy_runtime=trace`
//! directive) they would reach CloudWatch. The caps are a filter of their own, applied after the
//! level settings, so no setting can lift them.

use lambda_runtime::tracing::subscriber;

use crate::config::env::{AWS_LAMBDA_LOG_FORMAT, AWS_LAMBDA_LOG_LEVEL, RUST_LOG, process};
use crate::log_caps::CAPS;
use subscriber::filter::{EnvFilter, LevelFilter, Targets};
use subscriber::fmt::MakeWriter;
use subscriber::layer::SubscriberExt;
use subscriber::util::SubscriberInitExt;

/// Everything passes but what [`CAPS`] holds back.
pub fn dependency_caps() -> Targets {
    CAPS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, (target, cap)| t.with_target(*target, *cap),
    )
}

/// Installs the subscriber, writing to stdout (CloudWatch). Call once, first thing in `main`.
pub fn init() {
    init_with_writer(std::io::stdout);
}

/// As `init`, with another writer (tests).
pub fn init_with_writer<W>(writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let level = process(AWS_LAMBDA_LOG_LEVEL).or_else(|| process(RUST_LOG));
    let json = process(AWS_LAMBDA_LOG_FORMAT).is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let level = level
        .as_deref()
        .and_then(|l| l.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    // `from_env_lossy` reads RUST_LOG itself, for per-target directives; the level above is the default.
    let levels = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    let registry = subscriber::registry().with(levels).with(dependency_caps());
    let fmt = subscriber::fmt::layer()
        .with_target(false)
        .without_time()
        .with_writer(writer);
    // Already set (a second call, or a test harness): the first subscriber stays.
    let _ = if json {
        registry.with(fmt.json()).try_init()
    } else {
        registry.with(fmt).try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut b) = self.0.lock() {
                b.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn the_runtime_and_sdk_bodies_are_dropped_and_our_trace_kept() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = subscriber::registry()
            .with(EnvFilter::new(
                "trace,lambda_runtime=trace,aws_smithy_runtime=trace,aws_sdk_dynamodb=trace",
            ))
            .with(dependency_caps())
            .with(
                subscriber::fmt::layer()
                    .with_writer(move || writer.clone())
                    .without_time(),
            );
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "lambda_runtime::layers::api_response",
                body = r#"{"ConfirmationCode":"482913","Password":"N3w-Passw0rd!"}"#,
                "raw JSON event received from Lambda");
            tracing::debug!(target: "lambda_runtime::runtime", "runtime debug kept");
            tracing::trace!(target: "aws_smithy_runtime::client::orchestrator",
                response = r#"{"Item":{"digest":{"S":"d1g3st-0f-th3-c0d3"}}}"#,
                "received response from service");
            tracing::debug!(target: "aws_sdk_dynamodb::operation::query",
                output = "password_hash: $2b$10$hashhashhash", "deserialized output");
            tracing::debug!(target: "hyper_util::client", body = "jane@example.com", "wrote body");
            tracing::info!(target: "aws_config::profile", "sdk info kept");
            tracing::trace!(target: "password_reset", "our trace kept");
        });
        let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(
            [
                "482913",
                "N3w-Passw0rd!",
                "d1g3st",
                "$2b$10$",
                "jane@example.com"
            ]
            .iter()
            .all(|secret| !logs.contains(secret)),
            "{logs}"
        );
        assert!(
            logs.contains("runtime debug kept")
                && logs.contains("our trace kept")
                && logs.contains("sdk info kept"),
            "{logs}"
        );
    }
}
