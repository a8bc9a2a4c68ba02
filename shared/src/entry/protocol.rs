//! Cognito's JSON protocol: `X-Amz-Target` names the operation, the body is the request, errors
//! are `{"__type", "message"}` with `x-amzn-ErrorType` and a 400/500 status (the wire form of a
//! `CognitoError`), and `HttpReply::into_response` the one HTTP answer the runner and the Lambda
//! entry point send.

use rand::CryptoRng;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::caller::Caller;
use crate::domain::error::CognitoError;
use crate::domain::request::{ConfirmForgotPasswordRequest, ForgotPasswordRequest};
use crate::domain::time::UnixTime;
use crate::metrics;
use crate::usecases::ResetService;

pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
pub const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
/// The request id every HTTP answer carries (and its log lines), as the SDKs read it.
pub const REQUEST_ID: &str = "x-amzn-requestid";
/// The error's type name on an error answer, as the SDKs read it.
pub const ERROR_TYPE: &str = "x-amzn-errortype";
/// On a LimitExceededException: seconds until the window admits again (RFC 9110's header).
pub const RETRY_AFTER: &str = "retry-after";

/// The wire form of an error.
impl CognitoError {
    /// HTTP status: 500 for InternalErrorException, 403 for ForbiddenException (as Cognito's),
    /// 400 for everything else.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::InternalError => 500,
            Self::Forbidden(_) => 403,
            _ => 400,
        }
    }

    /// The JSON body every AWS SDK reads an error from.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "__type": self.kind(), "message": self.to_string() })
    }
}

/// The domain's operations, with what the wire and the deployment say of them.
pub use crate::domain::operation::Operation;

impl Operation {
    /// The Lambda function that serves it (its crate, and its `Function` in the metrics).
    pub fn function(self) -> &'static str {
        match self {
            Self::ForgotPassword => "forgot-password",
            Self::ConfirmForgotPassword => "confirm-forgot-password",
        }
    }

    /// Its name in the metrics.
    pub fn metric(self) -> metrics::Operation {
        metrics::Operation::Api(self)
    }

    /// Counts a request of this operation refused before it reached the use case (a body that
    /// is not its JSON, an event that is not a request): `measure` never saw it.
    pub fn rejected(self, e: CognitoError) -> CognitoError {
        metrics::count(self.metric(), metrics::Outcome::Rejected);
        e
    }

    /// The operation an `X-Amz-Target` header names; anything else is UnknownOperationException.
    pub fn from_target(target: Option<&str>) -> Result<Self, CognitoError> {
        let Some(target) = target else {
            return Err(CognitoError::UnknownOperation(
                "Missing X-Amz-Target header.".into(),
            ));
        };
        match target.strip_prefix(TARGET_PREFIX) {
            Some("ForgotPassword") => Ok(Self::ForgotPassword),
            Some("ConfirmForgotPassword") => Ok(Self::ConfirmForgotPassword),
            _ => Err(CognitoError::UnknownOperation(format!(
                "Operation {target} is not supported: this endpoint serves {TARGET_PREFIX}ForgotPassword and \
                 {TARGET_PREFIX}ConfirmForgotPassword."
            ))),
        }
    }
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, CognitoError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body)
        .map_err(|e| CognitoError::Serialization(format!("Malformed request body: {e}")))
}

fn encode<T: Serialize>(value: &T) -> Result<serde_json::Value, CognitoError> {
    serde_json::to_value(value).map_err(|e| {
        tracing::error!(error = %e, "response encoding failed");
        CognitoError::InternalError
    })
}

/// Runs one operation on a raw JSON body and returns the response body.
pub async fn execute<R: CryptoRng + Send>(
    service: &ResetService,
    operation: Operation,
    body: &[u8],
    caller: &Caller,
    now: UnixTime,
    rng: &mut R,
) -> Result<serde_json::Value, CognitoError> {
    let result = async {
        match operation {
            Operation::ForgotPassword => {
                let request: ForgotPasswordRequest =
                    decode(body).map_err(|e| operation.rejected(e))?;
                encode(&service.forgot_password(&request, caller, now, rng).await?)
            }
            Operation::ConfirmForgotPassword => {
                let request: ConfirmForgotPasswordRequest =
                    decode(body).map_err(|e| operation.rejected(e))?;
                service
                    .confirm_forgot_password(&request, caller, now)
                    .await?;
                Ok(serde_json::json!({}))
            }
        }
    }
    .await;
    if let Err(e) = &result {
        tracing::info!(
            operation = operation.name(),
            error = e.kind(),
            "request refused"
        );
    }
    result
}

/// An HTTP answer in Cognito's wire form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    /// `x-amzn-ErrorType`, on errors.
    pub error_type: Option<&'static str>,
    /// `Retry-After`, in seconds, on an error that knows when to retry.
    pub retry_after: Option<u64>,
    pub body: String,
}

impl From<Result<serde_json::Value, CognitoError>> for HttpReply {
    fn from(result: Result<serde_json::Value, CognitoError>) -> Self {
        match result {
            Ok(value) => HttpReply {
                status: 200,
                error_type: None,
                retry_after: None,
                body: value.to_string(),
            },
            Err(e) => HttpReply {
                status: e.http_status(),
                error_type: Some(e.kind()),
                retry_after: e.retry_after(),
                body: e.to_json().to_string(),
            },
        }
    }
}

impl HttpReply {
    /// The HTTP answer: the status, Cognito's content type and, on an error, `x-amzn-ErrorType`.
    pub fn into_response(self) -> http::Response<String> {
        let mut response = http::Response::new(self.body);
        *response.status_mut() = http::StatusCode::from_u16(self.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(CONTENT_TYPE),
        );
        if let Some(kind) = self.error_type {
            headers.insert(ERROR_TYPE, http::HeaderValue::from_static(kind));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, http::HeaderValue::from(seconds));
        }
        response
    }
}

/// The whole HTTP exchange: target header and body in, reply out.
pub async fn serve<R: CryptoRng + Send>(
    service: &ResetService,
    target: Option<&str>,
    body: &[u8],
    caller: &Caller,
    now: UnixTime,
    rng: &mut R,
) -> HttpReply {
    let result = match Operation::from_target(target) {
        Ok(operation) => execute(service, operation, body, caller, now, rng).await,
        Err(e) => Err(e),
    };
    HttpReply::from(result)
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
    }

    #[test]
    fn a_limit_answer_says_when_to_retry_and_keeps_cognitos_message() {
        let e = CognitoError::limit_exceeded(UnixTime(1_000), UnixTime(1_754));
        let reply = HttpReply::from(Err(e)).into_response();
        assert_eq!(reply.headers()[RETRY_AFTER], "754");
        assert_eq!(reply.headers()[ERROR_TYPE], "LimitExceededException");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(reply.body()).unwrap(),
            serde_json::json!({"__type": "LimitExceededException",
                "message": "Attempt limit exceeded, please try after some time."})
        );
        let other = HttpReply::from(Err(CognitoError::CodeMismatch)).into_response();
        assert!(other.headers().get(RETRY_AFTER).is_none());
    }
}
