//! The use cases, the same code for Lambda, the local runner and the tests.
//!
//! Cognito's two API operations are methods of `ResetService` (`service.rs`: its fields, ports and
//! constructor), each in a file of its own (`forgot_password.rs`, `confirm_forgot_password.rs`),
//! both admitted by `admission.rs` (caller windows, app client, decoy record). The
//! triggers' operations need no service and are plain functions: `custom_message::custom_message`,
//! `migrate_user::for_forgot_password` and `migrate_user::for_sign_in`. Every mapping to a Cognito
//! error is in `errors.rs`.

mod admission;
mod confirm_forgot_password;
pub mod custom_message;
pub mod custom_sender;
mod errors;
mod forgot_password;
pub mod migrate_user;
mod owed_sign_out;
pub mod pool_triggers;
mod service;
pub mod timing;

pub use confirm_forgot_password::CONFIRM_DEADLINE;
pub use forgot_password::ForgotPasswordResponse;
pub use service::{Ports, ResetService};
pub use timing::DeliveryTiming;
