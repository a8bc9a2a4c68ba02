//! The functions' failures as the Lambda runtime reports them (`Diagnostic`): the error type (what
//! failed, Cognito's exception name where Cognito reads it, for metrics and alarms too) and the
//! message. One conversion per error, for every function.

use lambda_runtime::Diagnostic;

use crate::domain::error::CognitoError;
use crate::usecases::custom_sender::SendError;
use crate::usecases::migrate_user::MigrationError;

fn diagnostic(error_type: &str, error: &impl std::fmt::Display) -> Diagnostic {
    Diagnostic {
        error_type: error_type.to_string(),
        error_message: error.to_string(),
    }
}

impl From<CognitoError> for Diagnostic {
    fn from(error: CognitoError) -> Self {
        diagnostic(error.kind(), &error)
    }
}

/// What Cognito turns into UserLambdaValidationException ("User does not exist." for an unknown
/// user).
impl From<MigrationError> for Diagnostic {
    fn from(error: MigrationError) -> Self {
        let kind = match &error {
            MigrationError::UnknownUser => "UserNotFoundException",
            MigrationError::IncorrectCredentials => "NotAuthorizedException",
            MigrationError::Refused(inner)
            | MigrationError::Threw(inner)
            | MigrationError::Unusable(inner) => inner.kind(),
            MigrationError::Store(_) => "InternalErrorException",
        };
        diagnostic(kind, &error)
    }
}

impl From<SendError> for Diagnostic {
    fn from(error: SendError) -> Self {
        diagnostic(error.kind(), &error)
    }
}
