//! Amazon Cognito's ForgotPassword / ConfirmForgotPassword, as a library.
//!
//! `domain` is pure (time and randomness are passed in), `ports` are the narrow traits the use cases
//! need, `usecases` are the operations, `adapters` implement the ports, `entry` holds the edges (the
//! Lambda glue, Cognito's JSON wire format, the reset page) and `config` reads the settings once at start.

pub mod adapters;
pub mod assembly;
/// The one AWS SDK configuration loader.
pub mod aws_sdk;
pub mod config;
pub mod domain;
pub mod embedded;
pub mod entry;
/// The most each dependency may log (the SDK's and the runtime's bodies never reach a log).
pub mod log_caps;
pub mod metrics;
pub mod ports;
pub mod usecases;

pub use domain::error::CognitoError;
pub use usecases::ResetService;

/// A CSPRNG for one request: ChaCha seeded from the thread's OS-seeded generator. It is `Send`, so
/// a request future holding it can move between worker threads.
pub fn request_rng() -> rand::rngs::StdRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::from_rng(&mut rand::rng())
}
