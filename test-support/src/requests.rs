//! The two requests the use-case suites send, from the demo pool's public app client.

use password_reset::domain::request::{ConfirmForgotPasswordRequest, ForgotPasswordRequest};

/// The demo pool's app client without a secret.
pub const CLIENT: &str = "38fjsnc484p94kpqsnet7mpld0";
/// The new password every confirmation sets.
pub const PASSWORD: &str = "N3w-Passw0rd!";

pub fn forgot(user: &str) -> ForgotPasswordRequest {
    ForgotPasswordRequest {
        client_id: CLIENT.into(),
        username: user.into(),
        ..Default::default()
    }
}

pub fn confirm(user: &str, code: &str) -> ConfirmForgotPasswordRequest {
    ConfirmForgotPasswordRequest {
        client_id: CLIENT.into(),
        username: user.into(),
        confirmation_code: code.into(),
        password: PASSWORD.into(),
        ..Default::default()
    }
}
