//! The Cognito errors a caller can see, with the messages Cognito is seen to use.
//! Internal detail never goes in here: it is logged where it happens.

use serde::Serialize;

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
    #[error("Attempt limit exceeded, please try after some time.")]
    LimitExceeded,
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
    #[error("{0}")]
    UnknownOperation(String),
    #[error("{0}")]
    Serialization(String),
    #[error("Internal server error.")]
    InternalError,
}

/// The JSON body every AWS SDK reads an error from.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    #[serde(rename = "__type")]
    pub kind: &'a str,
    pub message: String,
}

impl CognitoError {
    /// The error's type name, as in `__type` and `x-amzn-ErrorType`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidParameter(_) => "InvalidParameterException",
            Self::NotAuthorized(_) => "NotAuthorizedException",
            Self::ResourceNotFound(_) => "ResourceNotFoundException",
            Self::UserNotFound => "UserNotFoundException",
            Self::UserNotConfirmed => "UserNotConfirmedException",
            Self::LimitExceeded => "LimitExceededException",
            Self::TooManyRequests(_) => "TooManyRequestsException",
            Self::TooManyFailedAttempts => "TooManyFailedAttemptsException",
            Self::CodeMismatch => "CodeMismatchException",
            Self::ExpiredCode => "ExpiredCodeException",
            Self::InvalidPassword(_) => "InvalidPasswordException",
            Self::PasswordHistoryPolicyViolation(_) => "PasswordHistoryPolicyViolationException",
            Self::CodeDeliveryFailure(_) => "CodeDeliveryFailureException",
            Self::UserLambdaValidation { .. } => "UserLambdaValidationException",
            Self::InvalidLambdaResponse(_) => "InvalidLambdaResponseException",
            Self::UnknownOperation(_) => "UnknownOperationException",
            Self::Serialization(_) => "SerializationException",
            Self::InternalError => "InternalErrorException",
        }
    }

    /// HTTP status: 500 for InternalErrorException, 400 for everything else.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::InternalError => 500,
            _ => 400,
        }
    }

    pub fn body(&self) -> ErrorBody<'static> {
        ErrorBody {
            kind: self.kind(),
            message: self.to_string(),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "__type": self.kind(), "message": self.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_of_an_error() {
        let e = CognitoError::CodeMismatch;
        assert_eq!(e.http_status(), 400);
        assert_eq!(
            e.to_json(),
            serde_json::json!({"__type": "CodeMismatchException",
                "message": "Invalid verification code provided, please try again."})
        );
        assert_eq!(CognitoError::InternalError.http_status(), 500);
        let lambda = CognitoError::UserLambdaValidation {
            trigger: "CustomMessage".into(),
            message: "boom".into(),
        };
        assert_eq!(lambda.to_string(), "CustomMessage failed with error boom.");
    }
}
