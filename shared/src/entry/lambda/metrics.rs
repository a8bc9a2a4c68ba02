//! The functions' metrics recorder: every count of `crate::metrics` collected in the container and
//! written to stdout as CloudWatch Embedded Metric Format after each invocation, so CloudWatch
//! Logs turns the function's own log stream into metrics (no PutMetricData call, no permission, no
//! latency on the request). Flushed before the answer goes back, while the container still runs.

use std::future::Future;
use std::sync::OnceLock;

use metrics_cloudwatch_embedded::Builder;
use metrics_cloudwatch_embedded::Collector;

use crate::metrics;

static COLLECTOR: OnceLock<&'static Collector> = OnceLock::new();

/// Installs the recorder and counts this container's cold start. Call once, after `lambda_log::init`.
/// A recorder already installed (a test harness) stays; the counts then go to it.
pub fn init(function: &'static str) {
    match Builder::new()
        .cloudwatch_namespace(metrics::NAMESPACE)
        .init()
    {
        Ok(collector) => {
            let _ = COLLECTOR.set(collector);
        }
        Err(e) => tracing::warn!(error = %e, "metrics recorder not installed"),
    }
    metrics::describe();
    metrics::cold_start(function);
}

/// Runs one invocation, then writes what it counted (one EMF document per dimension set).
pub async fn flushed<T>(invocation: impl Future<Output = T>) -> T {
    let answer = invocation.await;
    flush(std::io::stdout().lock());
    answer
}

/// Writes the counts since the last flush to `out`.
pub fn flush(out: impl std::io::Write) {
    if let Some(collector) = COLLECTOR.get()
        && let Err(e) = collector.flush(out)
    {
        tracing::warn!(error = %e, "metrics not written");
    }
}
