//! AWS SDK failures as store errors, once for every service: a throttle (one of the service's
//! throttling codes, or HTTP 429 when a proxy answered without a code) is the caller's to retry
//! later; anything else is an internal failure naming the operation and the resource, its detail
//! for the log.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::ports::StoreError;

/// A service as its failures are judged: its name in logs and the codes it sheds load with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AwsService {
    pub name: &'static str,
    pub throttling: &'static [&'static str],
}

impl AwsService {
    pub fn is_throttling(&self, code: Option<&str>) -> bool {
        code.is_some_and(|c| self.throttling.contains(&c))
    }

    /// A throttle by its code, or by HTTP 429.
    pub fn throttled<E: ProvideErrorMetadata>(&self, e: &SdkError<E, HttpResponse>) -> bool {
        self.is_throttling(e.code()) || e.raw_response().is_some_and(|r| r.status().as_u16() == 429)
    }

    /// `operation` on `resource` (a table, a pool) failed with `e`.
    pub fn store_error<E>(
        &self,
        operation: &str,
        resource: &str,
        e: SdkError<E, HttpResponse>,
    ) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        if self.throttled(&e) {
            tracing::warn!(operation, resource, "{} throttled the request", self.name);
            return StoreError::Throttled;
        }
        StoreError::Unavailable(format!(
            "{operation} on {resource}: {}",
            DisplayErrorContext(&e)
        ))
    }
}
