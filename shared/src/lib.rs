//! Amazon Cognito's ForgotPassword / ConfirmForgotPassword, as a library.
//!
//! `domain` is pure (time and randomness are passed in), `ports` are the narrow traits the use cases
//! need, `usecases` are the operations, `adapters` implement the ports, `protocol` speaks Cognito's
//! JSON wire format and `config` reads the settings once at start.

pub mod adapters;
pub mod assembly;
/// The one AWS SDK configuration loader.
pub mod aws_sdk;
pub mod config;
/// The CORS settings of the runner and the HTTP API.
pub mod cors;
pub mod domain;
pub mod embedded;
#[cfg(feature = "lambda")]
pub mod lambda;
/// The functions' failures as the Lambda runtime reports them.
#[cfg(feature = "lambda-log")]
pub mod lambda_errors;
/// The Lambda functions' log subscriber, with the runtime's raw-event logging shut off.
#[cfg(feature = "lambda-log")]
pub mod lambda_log;
/// The functions' metrics: CloudWatch Embedded Metric Format on stdout.
#[cfg(feature = "lambda-log")]
pub mod lambda_metrics;
/// A failed start reported to the Runtime API, so the invoker shows why.
#[cfg(feature = "lambda-log")]
pub mod lambda_start;
/// The most each dependency may log (the SDK's and the runtime's bodies never reach a log).
pub mod log_caps;
pub mod metrics;
pub mod ports;
pub mod protocol;
pub mod reset_page;
pub mod usecases;

pub use domain::error::CognitoError;
pub use usecases::ResetService;

/// A CSPRNG for one request: ChaCha seeded from the thread's OS-seeded generator. It is `Send`, so
/// a request future holding it can move between worker threads.
pub fn request_rng() -> rand::rngs::StdRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::from_rng(&mut rand::rng())
}
