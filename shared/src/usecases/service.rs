//! `ResetService`, the whole of it: its fields, its constructor and the signature of every
//! operation it offers. Each operation's body is a file of its own.

use std::sync::Arc;

use rand::CryptoRng;

use crate::domain::caller::Caller;
use crate::domain::code::CodeKeys;
use crate::domain::delivery::DeliveryMedium;
use crate::domain::error::CognitoError;
use crate::domain::message::RenderedMessage;
use crate::domain::pool::PoolSettings;
use crate::domain::request::{ConfirmForgotPasswordRequest, ForgotPasswordRequest};
use crate::domain::time::UnixTime;
use crate::metrics::{self, Operation};
use crate::ports::{
    AppClients, CodeStore, DeliveryError, EmailSender, MigrationSource, SmsSender, UserDirectory,
    send_by,
};

use super::forgot_password::ForgotPasswordResponse;
use super::timing::DeliveryTiming;
use super::{confirm_forgot_password, forgot_password};

/// Everything the operations need, built once at start and borrowed by every request.
pub struct ResetService {
    pub pool: PoolSettings,
    /// The code keys: the current one issues, each verifies its own codes, the decoy key derives
    /// decoys.
    pub key: CodeKeys,
    pub ports: Ports,
    /// Real delivery times, which simulated requests wait out (PreventUserExistenceErrors).
    pub timing: DeliveryTiming,
}

/// The adapters a service runs on, chosen by the composition root.
pub struct Ports {
    pub users: Arc<dyn UserDirectory>,
    pub clients: Arc<dyn AppClients>,
    pub codes: Arc<dyn CodeStore>,
    pub email: Arc<dyn EmailSender>,
    pub sms: Arc<dyn SmsSender>,
    /// When set, a login the directory does not know is looked up here and migrated, as
    /// Cognito's UserMigration_ForgotPassword trigger does.
    pub migration_source: Option<Arc<dyn MigrationSource>>,
}

impl Ports {
    /// `message` to `to`, by this service's sender of `medium`.
    pub(super) async fn send(
        &self,
        medium: DeliveryMedium,
        to: &str,
        message: &RenderedMessage,
    ) -> Result<(), DeliveryError> {
        send_by(medium, self.email.as_ref(), self.sms.as_ref(), to, message).await
    }
}

impl ResetService {
    /// The service on `ports`, waiting out default delivery times until it has seen real ones.
    pub fn new(pool: PoolSettings, key: impl Into<CodeKeys>, ports: Ports) -> Self {
        Self {
            pool,
            key: key.into(),
            ports,
            timing: DeliveryTiming::default(),
        }
    }

    /// ForgotPassword: a code issued and sent to the user's recovery channel.
    pub async fn forgot_password<R: CryptoRng + Send>(
        &self,
        request: &ForgotPasswordRequest,
        caller: &Caller,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<ForgotPasswordResponse, CognitoError> {
        metrics::measure(Operation::ForgotPassword, async {
            forgot_password::run(self, request, caller, now, rng).await
        })
        .await
    }

    /// ConfirmForgotPassword: the code judged, then the new password set in the directory.
    pub async fn confirm_forgot_password<R: CryptoRng + Send>(
        &self,
        request: &ConfirmForgotPasswordRequest,
        caller: &Caller,
        now: UnixTime,
        // Unused since the directory hashes (or the pool keeps) the password; it stays so every
        // operation has the same shape.
        _rng: &mut R,
    ) -> Result<(), CognitoError> {
        metrics::measure(Operation::ConfirmForgotPassword, async {
            confirm_forgot_password::run(self, request, caller, now).await
        })
        .await
    }
}
