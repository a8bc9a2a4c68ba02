//! What every Lambda function of the stack starts with, and the API functions' handler.

/// The API functions' handler: direct-invoke and HTTP API events.
#[cfg(feature = "lambda")]
pub mod api;
/// The functions' failures as the Lambda runtime reports them.
pub mod errors;
/// The Lambda functions' log subscriber, with the runtime's raw-event logging shut off.
pub mod log;
/// The functions' metrics: CloudWatch Embedded Metric Format on stdout.
pub mod metrics;
/// The confirm function's handler of the sign-out retry queue's messages.
#[cfg(all(feature = "lambda", feature = "sqs"))]
pub mod owed_sign_outs;
/// A failed start reported to the Runtime API, so the invoker shows why.
pub mod start;
