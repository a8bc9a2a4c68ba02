//! The two API operations of a reset, named once: the caller windows, the reset rule, the
//! metrics and the wire protocol all speak of these.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    ForgotPassword,
    ConfirmForgotPassword,
}

impl Operation {
    /// Cognito's name for it (the `X-Amz-Target` suffix, the metrics' `Operation`).
    pub fn name(self) -> &'static str {
        match self {
            Self::ForgotPassword => "ForgotPassword",
            Self::ConfirmForgotPassword => "ConfirmForgotPassword",
        }
    }
}
