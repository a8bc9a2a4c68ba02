//! The one AWS SDK configuration every process loads (the functions, the runner and its tools,
//! `doctor`): region, credentials and endpoint from the environment (`AWS_ENDPOINT_URL` and the
//! per-service `AWS_ENDPOINT_URL_*`, as the tests point it at emulators), with bounded calls.

#[cfg(feature = "aws-sdk")]
pub use aws_config::SdkConfig;

/// The process's AWS configuration for the adapters' builders: loaded once, and only when an
/// adapter chosen calls AWS (`Wiring::needs_aws`).
pub struct Aws {
    #[cfg(feature = "aws-sdk")]
    config: Option<SdkConfig>,
}

impl Aws {
    pub async fn load(needed: bool) -> Self {
        #[cfg(feature = "aws-sdk")]
        let config = if needed {
            Some(load_sdk_config().await)
        } else {
            None
        };
        #[cfg(not(feature = "aws-sdk"))]
        let _ = needed;
        Self {
            #[cfg(feature = "aws-sdk")]
            config,
        }
    }

    /// The configuration, for the adapter `setting` chose.
    #[cfg(feature = "aws-sdk")]
    pub fn config(&self, setting: &str) -> Result<&SdkConfig, crate::config::ConfigError> {
        self.config
            .as_ref()
            .ok_or_else(|| crate::config::ConfigError::new(setting, "no AWS configuration"))
    }
}

#[cfg(feature = "aws-sdk")]
/// The environment's AWS configuration, every call bounded by `timeouts` and retried at most
/// three times in all.
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts())
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

/// Every AWS call's bounds: the SDK has none by default, so a stalled connection would hold a
/// function until Lambda kills it (10 s), with no answer and nothing logged. Each call (its
/// retries included) ends within 3 s, each attempt within 2 s; the calls that must not be retried
/// or that retry on their own deadline (the reset's password change and sign-out) set their own.
#[cfg(feature = "aws-sdk")]
fn timeouts() -> aws_config::timeout::TimeoutConfig {
    use std::time::Duration;
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(3))
        .build()
}
