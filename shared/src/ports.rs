//! The narrow traits the use cases need. Each adapter implements what it can do atomically.

use async_trait::async_trait;

use crate::domain::code::{CodeDigest, CodePolicy, LiveCode, Redemption};
use crate::domain::message::RenderedMessage;
use crate::domain::time::UnixTime;
use crate::domain::user::{User, UserStatus};

/// A store failure. Detail stays in the log; the caller sees a Cognito error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the store is throttling requests")]
    Throttled,
    #[error("malformed item {key}: {field}")]
    Malformed { key: String, field: String },
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// The password change applied in the same atomic step that consumes a code.
#[derive(Clone)]
pub struct PasswordChange {
    pub username: String,
    pub password_hash: String,
    pub status: UserStatus,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChange")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    Admitted,
    /// The per-user request limit is reached: nothing was changed.
    LimitReached,
}

#[async_trait]
pub trait UserDirectory: Send + Sync {
    /// Finds a user by username, alias (email, phone_number, preferred_username) or `sub`.
    async fn find(&self, login: &str) -> Result<Option<User>, StoreError>;
    /// Creates or replaces a user (imports, migration).
    async fn put(&self, user: User) -> Result<(), StoreError>;
}

#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Atomically: counts a request in the user's window (refusing at the limit) and makes `code`
    /// the live code, superseding any earlier one.
    async fn issue(
        &self,
        key: &str,
        code: LiveCode,
        policy: &CodePolicy,
    ) -> Result<Issued, StoreError>;

    /// Undoes an issue after a failed delivery: the code dies and the request is given back.
    async fn revoke(&self, key: &str, digest: &CodeDigest) -> Result<(), StoreError>;

    /// Atomically: checks `attempt` against the live code and consumes it, applying `change` in the
    /// same step when it is accepted; a wrong code counts a failed attempt.
    async fn redeem(
        &self,
        key: &str,
        attempt: &CodeDigest,
        now: UnixTime,
        policy: &CodePolicy,
        change: Option<&PasswordChange>,
    ) -> Result<Redemption, StoreError>;
}

/// A delivery that did not happen, with what the caller should be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Refused by policy (sandbox, unverified recipient, opted out...): the reason is safe to show.
    #[error("{0}")]
    Refused(String),
    #[error("the delivery service is throttling requests")]
    Throttled,
    /// Anything else; the detail is logged, not shown.
    #[error("delivery failed: {0}")]
    Failed(String),
}

#[async_trait]
pub trait EmailSender: Send + Sync {
    async fn send_email(&self, to: &str, message: &RenderedMessage) -> Result<(), DeliveryError>;
}

#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send_sms(&self, to: &str, message: &RenderedMessage) -> Result<(), DeliveryError>;
}

/// A legacy user store the UserMigration logic imports users from.
#[async_trait]
pub trait LegacyUserSource: Send + Sync {
    /// The legacy user known by `login` (as typed at sign-in or ForgotPassword), if any.
    async fn find(
        &self,
        login: &str,
    ) -> Result<Option<crate::domain::migration::LegacyUser>, StoreError>;
}
