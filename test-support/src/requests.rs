//! The two requests the use-case suites send, from the demo pool's public app client, and the
//! two operations called as most of them call them.

use password_reset::domain::caller::Caller;
use password_reset::domain::request::{ConfirmForgotPasswordRequest, ForgotPasswordRequest};
use password_reset::domain::time::UnixTime;
use password_reset::usecases::ForgotPasswordResponse;
use password_reset::{CognitoError, ResetService};
use rand::CryptoRng;

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

/// The operations as the tests call them: `*_at` from a caller with no address and no device
/// (`Caller::unknown()`), `*_direct` as a direct invocation without one (`Caller::direct_invoke()`).
pub trait Operations {
    fn forgot_at<R: CryptoRng + Send>(
        &self,
        request: &ForgotPasswordRequest,
        now: UnixTime,
        rng: &mut R,
    ) -> impl Future<Output = Result<ForgotPasswordResponse, CognitoError>> + Send;

    fn confirm_at(
        &self,
        request: &ConfirmForgotPasswordRequest,
        now: UnixTime,
    ) -> impl Future<Output = Result<(), CognitoError>> + Send;

    fn forgot_direct<R: CryptoRng + Send>(
        &self,
        request: &ForgotPasswordRequest,
        now: UnixTime,
        rng: &mut R,
    ) -> impl Future<Output = Result<ForgotPasswordResponse, CognitoError>> + Send;

    fn confirm_direct(
        &self,
        request: &ConfirmForgotPasswordRequest,
        now: UnixTime,
    ) -> impl Future<Output = Result<(), CognitoError>> + Send;
}

impl Operations for ResetService {
    async fn forgot_at<R: CryptoRng + Send>(
        &self,
        request: &ForgotPasswordRequest,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<ForgotPasswordResponse, CognitoError> {
        self.forgot_password(request, &Caller::unknown(), now, rng)
            .await
    }

    async fn confirm_at(
        &self,
        request: &ConfirmForgotPasswordRequest,
        now: UnixTime,
    ) -> Result<(), CognitoError> {
        self.confirm_forgot_password(request, &Caller::unknown(), now)
            .await
    }

    async fn forgot_direct<R: CryptoRng + Send>(
        &self,
        request: &ForgotPasswordRequest,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<ForgotPasswordResponse, CognitoError> {
        self.forgot_password(request, &Caller::direct_invoke(), now, rng)
            .await
    }

    async fn confirm_direct(
        &self,
        request: &ConfirmForgotPasswordRequest,
        now: UnixTime,
    ) -> Result<(), CognitoError> {
        self.confirm_forgot_password(request, &Caller::direct_invoke(), now)
            .await
    }
}

/// `request` sent as the AWS SDKs send it (standard mode): up to 3 attempts, the next one after an
/// answer they retry (InternalErrorException, a 5xx; TooManyRequestsException, a throttle).
pub async fn as_an_sdk_retries<T, F, Fut>(mut request: F) -> Result<T, CognitoError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CognitoError>>,
{
    let mut attempts = 1;
    loop {
        match request().await {
            Err(CognitoError::InternalError | CognitoError::TooManyRequests(_)) if attempts < 3 => {
                attempts += 1;
            }
            answer => return answer,
        }
    }
}
