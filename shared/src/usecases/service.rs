//! `ResetService`: its fields, its ports and its constructor. Each operation's method is in the
//! operation's own file (`forgot_password.rs`, `confirm_forgot_password.rs`).

use std::sync::Arc;

use crate::domain::code::CodeKeys;
use crate::domain::delivery::DeliveryMedium;
use crate::domain::message::RenderedMessage;
use crate::domain::pool::PoolSettings;
use crate::ports::{
    AppClients, BreachedPasswords, ClaimWithPassword, CodeStore, DeliveryError, EmailSender,
    MigrationSource, OwedSignOuts, SmsSender, UserDirectory, check_by, send_by,
};

use super::pool_triggers::PoolTriggers;
use super::timing::DeliveryTiming;

/// Everything the operations need, built once at start and borrowed by every request.
pub struct ResetService {
    pub pool: PoolSettings,
    /// The code keys: the current one issues, each verifies its own codes, the decoy key derives
    /// decoys.
    pub code_keys: CodeKeys,
    pub ports: Ports,
    /// Real delivery times, which simulated requests wait out (PreventUserExistenceErrors).
    pub timing: DeliveryTiming,
    /// The pool's trigger functions to invoke as Cognito would; `None`: every trigger in-process.
    pub triggers: Option<PoolTriggers>,
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
    /// When set (`PWNED_PASSWORDS`), new passwords seen in breaches are refused.
    pub breached: Option<Arc<dyn BreachedPasswords>>,
    /// When set (the codes and the users on DynamoDB), a confirm claims the code and sets the
    /// password in one write instead of `codes.redeem` then `users.set_password`.
    pub claims: Option<Arc<dyn ClaimWithPassword>>,
    /// When set (`SIGN_OUT_RETRY_QUEUE_URL`), a sign-out that fails after a password change is
    /// recorded here and retried outside the request, and the reset answers success.
    pub owed_sign_outs: Option<Arc<dyn OwedSignOuts>>,
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

    /// The pre-checks of a send to `to` by this service's sender of `medium`.
    pub(super) async fn check(
        &self,
        medium: DeliveryMedium,
        to: &str,
    ) -> Result<(), DeliveryError> {
        check_by(medium, self.email.as_ref(), self.sms.as_ref(), to).await
    }
}

impl ResetService {
    /// The service on `ports`, waiting out default delivery times until it has seen real ones.
    pub fn new(pool: PoolSettings, code_keys: impl Into<CodeKeys>, ports: Ports) -> Self {
        Self {
            pool,
            code_keys: code_keys.into(),
            ports,
            timing: DeliveryTiming::default(),
            triggers: None,
        }
    }
}
