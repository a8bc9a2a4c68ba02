//! The Cognito errors a caller can see, with the messages Cognito is seen to use.
//! Internal detail never goes in here: it is logged where it happens.

use super::time::{UnixTime, seconds_until};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CognitoError {
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    NotAuthorized(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("Username/client id combination not found.")]
    UserNotFound,
    #[error("User is not confirmed.")]
    UserNotConfirmed,
    /// A full request window: Cognito's words, and (ours) when it admits again, in whole seconds,
    /// for the `Retry-After` header.
    #[error("Attempt limit exceeded, please try after some time.")]
    LimitExceeded { retry_after: u64 },
    #[error("{0}")]
    TooManyRequests(String),
    #[error("Too many failed attempts for this code. Request a new code with ForgotPassword.")]
    TooManyFailedAttempts,
    #[error("Invalid verification code provided, please try again.")]
    CodeMismatch,
    #[error("Invalid code provided, please request a code again.")]
    ExpiredCode,
    #[error("Password does not conform to policy: {0}")]
    InvalidPassword(String),
    /// A recent password, refused by the pool's password history: the code stays usable.
    #[error("{0}")]
    PasswordHistoryPolicyViolation(String),
    #[error("{0}")]
    CodeDeliveryFailure(String),
    #[error("{trigger} failed with error {message}.")]
    UserLambdaValidation { trigger: String, message: String },
    #[error("{0}")]
    InvalidLambdaResponse(String),
    /// A trigger's function could not be run (timed out, throttled, denied).
    #[error("{0}")]
    UnexpectedLambda(String),
    #[error("{0}")]
    UnknownOperation(String),
    #[error("{0}")]
    Serialization(String),
    #[error("Internal server error.")]
    InternalError,
    /// A request the edge's firewall did not send (Cognito's answer when AWS WAF refuses one).
    #[error("{0}")]
    Forbidden(String),
}

impl CognitoError {
    /// A full window's refusal at `now`, admitting again at `retry_at`.
    pub fn limit_exceeded(now: UnixTime, retry_at: UnixTime) -> Self {
        Self::LimitExceeded {
            retry_after: seconds_until(now, retry_at),
        }
    }

    /// How many seconds until a retry can be admitted, when the error says.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::LimitExceeded { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// The error's type name, as in `__type` and `x-amzn-ErrorType`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidParameter(_) => "InvalidParameterException",
            Self::NotAuthorized(_) => "NotAuthorizedException",
            Self::ResourceNotFound(_) => "ResourceNotFoundException",
            Self::UserNotFound => "UserNotFoundException",
            Self::UserNotConfirmed => "UserNotConfirmedException",
            Self::LimitExceeded { .. } => "LimitExceededException",
            Self::TooManyRequests(_) => "TooManyRequestsException",
            Self::TooManyFailedAttempts => "TooManyFailedAttemptsException",
            Self::CodeMismatch => "CodeMismatchException",
            Self::ExpiredCode => "ExpiredCodeException",
            Self::InvalidPassword(_) => "InvalidPasswordException",
            Self::PasswordHistoryPolicyViolation(_) => "PasswordHistoryPolicyViolationException",
            Self::CodeDeliveryFailure(_) => "CodeDeliveryFailureException",
            Self::UserLambdaValidation { .. } => "UserLambdaValidationException",
            Self::InvalidLambdaResponse(_) => "InvalidLambdaResponseException",
            Self::UnexpectedLambda(_) => "UnexpectedLambdaException",
            Self::UnknownOperation(_) => "UnknownOperationException",
            Self::Serialization(_) => "SerializationException",
            Self::InternalError => "InternalErrorException",
            Self::Forbidden(_) => "ForbiddenException",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trigger_failure_names_the_trigger() {
        let lambda = CognitoError::UserLambdaValidation {
            trigger: "CustomMessage".into(),
            message: "boom".into(),
        };
        assert_eq!(lambda.to_string(), "CustomMessage failed with error boom.");
    }
}
