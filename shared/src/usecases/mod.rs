//! The operations, as methods of `ResetService` over the ports: the same code for Lambda, the
//! local runner and the tests.

mod caller_limit;
mod confirm_forgot_password;
pub mod custom_message;
mod forgot_password;
pub mod migrate_user;
mod outcome;
pub mod timing;

use std::sync::Arc;

use crate::domain::code::CodeKeys;
use crate::domain::pool::PoolSettings;
use crate::ports::{AppClients, CodeStore, EmailSender, MigrationSource, SmsSender, UserDirectory};

pub use forgot_password::ForgotPasswordResponse;
pub use timing::DeliveryTiming;

/// Everything the operations need, built once at start and borrowed by every request.
pub struct ResetService {
    pub pool: PoolSettings,
    /// The code keys: the current one issues, each verifies its own codes, the decoy key derives
    /// decoys.
    pub key: CodeKeys,
    pub users: Arc<dyn UserDirectory>,
    pub clients: Arc<dyn AppClients>,
    pub codes: Arc<dyn CodeStore>,
    pub email: Arc<dyn EmailSender>,
    pub sms: Arc<dyn SmsSender>,
    /// When set, a login the directory does not know is looked up here and migrated, as
    /// Cognito's UserMigration_ForgotPassword trigger does.
    pub migration_source: Option<Arc<dyn MigrationSource>>,
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
    pub migration_source: Option<Arc<dyn MigrationSource>>,
}

impl ResetService {
    pub fn new(pool: PoolSettings, key: impl Into<CodeKeys>, ports: Ports) -> Self {
        let Ports {
            users,
            clients,
            codes,
            email,
            sms,
            migration_source,
        } = ports;
        Self {
            pool,
            key: key.into(),
            users,
            clients,
            codes,
            email,
            sms,
            migration_source,
            timing: DeliveryTiming::default(),
        }
    }
}
