//! The functions' log subscriber: lambda_runtime's default one (level from `AWS_LAMBDA_LOG_LEVEL`,
//! else `RUST_LOG`, else INFO; JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`), with the dependencies'
//! targets capped by [`crate::log_caps::CAPS`]. `RUST_LOG`'s directives are read as
//! `EnvFilter` reads its static ones (`target=level`, a bare level, comma-separated, the most
//! specific target winning, a bad one skipped) by a `Targets` filter: span and field directives
//! (`[span{field=value}]`) are skipped, and the regex engine `EnvFilter` links for them is not in
//! the bootstraps (docs/benchmarks.md, the size section).
//!
//! lambda_runtime logs every raw event at TRACE (the code, the new password, the SecretHash) and
//! the AWS SDK every request, response and decoded output at DEBUG/TRACE (digests, password
//! hashes, full addresses). With `LogLevel=TRACE` (or `RUST_LOG=trace`, or a `aws_smithy_runtime=trace`
//! directive) they would reach CloudWatch. The caps are a filter of their own, applied after the
//! level settings, so no setting can lift them.

use lambda_runtime::tracing::subscriber;
use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};

use crate::config::env::{AWS_LAMBDA_LOG_FORMAT, AWS_LAMBDA_LOG_LEVEL, RUST_LOG, process};
use crate::log_caps::CAPS;
use subscriber::filter::{LevelFilter, Targets};
use subscriber::fmt::MakeWriter;
use subscriber::layer::{Context, Layer, SubscriberExt};
use subscriber::util::SubscriberInitExt;

/// Everything passes but what [`CAPS`] holds back.
pub fn dependency_caps() -> Targets {
    CAPS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, (target, cap)| t.with_target(*target, *cap),
    )
}

/// What `RUST_LOG`'s directives let through, as `EnvFilter::builder().with_default_directive(level)
/// .from_env_lossy()` would for static directives: `default` for every target when it holds none.
pub fn levels(rust_log: Option<&str>, default: LevelFilter) -> Targets {
    let mut levels = Targets::new();
    let mut any = false;
    for directive in rust_log.unwrap_or_default().split(',').map(str::trim) {
        if directive.is_empty() {
            continue;
        }
        match directive.parse::<Targets>() {
            Ok(parsed) => {
                any = true;
                if let Some(level) = parsed.default_level() {
                    levels = levels.with_default(level);
                }
                for (target, level) in parsed {
                    levels = levels.with_target(target, level);
                }
            }
            // As `EnvFilter`'s lossy reading: the directive is skipped, and said so on stderr.
            Err(e) => eprintln!("ignoring `{directive}`: {e}"),
        }
    }
    if any {
        levels
    } else {
        Targets::new().with_default(default)
    }
}

/// The caps as a layer with no level of its own to hint. `Targets` hints the most it lets through
/// (TRACE, for our own targets), and a stack of layers hints the highest of its layers' hints, so
/// the caps as such would set the process's maximum level to TRACE whatever the level settings
/// say: every SDK `debug!` and `trace!` site would then be registered with the subscriber (and
/// judged disabled) the first time it runs, a cold start's worth of them. Without a hint of its
/// own, the maximum is the level settings' ([`levels`]), which the caps only ever lower.
struct Caps(Targets);

impl<S: Subscriber> Layer<S> for Caps {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        Layer::<S>::register_callsite(&self.0, metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>, ctx: Context<'_, S>) -> bool {
        Layer::<S>::enabled(&self.0, metadata, ctx)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        None
    }
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
    let rust_log = process(RUST_LOG);
    let level = process(AWS_LAMBDA_LOG_LEVEL).or_else(|| rust_log.clone());
    let json = process(AWS_LAMBDA_LOG_FORMAT).is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let level = level
        .as_deref()
        .and_then(|l| l.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let levels = levels(rust_log.as_deref(), level);
    let registry = subscriber::registry()
        .with(levels)
        .with(Caps(dependency_caps()));
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
    fn rust_log_reads_as_env_filter_reads_static_directives() {
        use tracing::Level;
        let on = |levels: &Targets, target: &str, level: Level| levels.would_enable(target, &level);
        // None, blank or nothing usable: the default for everything.
        for rust_log in [None, Some(""), Some(" , "), Some("a[span{x=1}]=trace")] {
            let read = levels(rust_log, LevelFilter::DEBUG);
            assert!(on(&read, "password_reset", Level::DEBUG), "{rust_log:?}");
            assert!(!on(&read, "password_reset", Level::TRACE), "{rust_log:?}");
        }
        let read = levels(
            Some("warn,password_reset=trace,hyper=debug"),
            LevelFilter::ERROR,
        );
        assert!(on(&read, "password_reset::usecases", Level::TRACE));
        assert!(on(&read, "hyper::client", Level::DEBUG));
        assert!(!on(&read, "h2", Level::INFO));
        assert!(on(&read, "h2", Level::WARN));
        // Targets only: the others are off, as with EnvFilter.
        let read = levels(Some("aws_smithy_runtime=trace"), LevelFilter::INFO);
        assert!(on(&read, "aws_smithy_runtime::client", Level::TRACE));
        assert!(!on(&read, "password_reset", Level::ERROR));
        // A bare level in any case; a bad directive skipped, the rest kept.
        let read = levels(
            Some("INFO,nonsense=loud,lambda_runtime=debug"),
            LevelFilter::ERROR,
        );
        assert!(on(&read, "password_reset", Level::INFO));
        assert!(on(&read, "lambda_runtime", Level::DEBUG));
    }

    #[test]
    fn the_caps_leave_the_maximum_level_to_the_level_settings() {
        use tracing::Subscriber as _;
        for (directives, max) in [
            ("info", LevelFilter::INFO),
            ("warn,password_reset=debug", LevelFilter::DEBUG),
            ("trace", LevelFilter::TRACE),
        ] {
            let stack = subscriber::registry()
                .with(levels(Some(directives), LevelFilter::ERROR))
                .with(Caps(dependency_caps()))
                .with(subscriber::fmt::layer().with_writer(std::io::sink));
            assert_eq!(stack.max_level_hint(), Some(max), "{directives}");
        }
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn the_runtime_and_sdk_bodies_are_dropped_and_our_trace_kept() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = subscriber::registry()
            .with(levels(
                Some("trace,lambda_runtime=trace,aws_smithy_runtime=trace,aws_sdk_dynamodb=trace"),
                LevelFilter::INFO,
            ))
            .with(Caps(dependency_caps()))
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
