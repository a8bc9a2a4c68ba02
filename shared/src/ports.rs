//! The narrow traits the use cases need. Each adapter implements what it can do atomically.

use async_trait::async_trait;

use crate::domain::caller::CallerLimit;
use crate::domain::code::{Attempt, CodeDigest, CodePolicy, LiveCode, Redemption};
use crate::domain::delivery::DeliveryMedium;
use crate::domain::message::RenderedMessage;
use crate::domain::pool::AppClient;
use crate::domain::time::UnixTime;
use crate::domain::user::User;

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

/// Why a password change did not (certainly) happen, sorted by what the code may do after it.
/// `Refused`, `RecentlyUsed` and `NotApplied` answer the one attempt that was made and say it did
/// not apply: the password is unchanged, so the code can be given back. `Unknown` and
/// `SessionsNotEnded` leave a password that may be (or is) new: the code must stay spent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordChangeError {
    /// The directory's password policy refused the password: the message is safe to show.
    #[error("{0}")]
    Refused(String),
    /// The directory's password history refused it (a recent password): the message is safe
    /// to show.
    #[error("{0}")]
    RecentlyUsed(String),
    /// A failure answered to the one attempt, before anything was changed (a throttle, a 4xx).
    #[error(transparent)]
    NotApplied(#[from] StoreError),
    /// The change may have applied: a timeout, a connection lost after the request was sent, a
    /// 5xx. The sessions are ended all the same (the password may be new).
    #[error("the password change may have applied: {0}")]
    Unknown(String),
    /// The password changed, and the sessions from before it could not be ended (`end_sessions`).
    #[error("the password changed and the sessions were not ended: {0}")]
    SessionsNotEnded(String),
}

impl PasswordChangeError {
    /// Whether the password is certainly unchanged, so the code may be given back.
    pub fn is_definite(&self) -> bool {
        matches!(
            self,
            Self::Refused(_) | Self::RecentlyUsed(_) | Self::NotApplied(_)
        )
    }
}

/// What `UserDirectory::create` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Created,
    /// A user with that username exists already: nothing was changed.
    Exists,
}

/// What a counted window (`CodeStore::issue`, `CodeStore::admit_caller`) did with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// The request limit (per user, or per caller) is reached: nothing was changed. The window
    /// admits again at `retry_at`, read from the request times the store keeps.
    LimitReached {
        retry_at: UnixTime,
    },
}

/// Who exists, with what attributes and status, and their password: the user pool (`cognito`),
/// a DynamoDB table, or memory.
#[async_trait]
pub trait UserDirectory: Send + Sync {
    /// Finds a user by username, by the email or phone_number alias a login of that form
    /// (`domain::login::LoginForm`) names, or by `sub`. Every directory keeps this much; the user
    /// pool and the memory directory also resolve a `preferred_username` alias, which the port
    /// does not promise (the DynamoDB users table has no index for it, and a scan per lookup is
    /// not an option).
    async fn find(&self, login: &str) -> Result<Option<User>, StoreError>;
    /// Adds a user imported from a migration source; never replaces an existing one.
    async fn create(&self, user: &User) -> Result<Created, StoreError>;
    /// Makes `password` the user's permanent password (status CONFIRMED). An error says whether
    /// the password is certainly unchanged (`is_definite`): an adapter that cannot tell answers
    /// `Unknown`, never a refusal.
    async fn set_password(&self, username: &str, password: &str)
    -> Result<(), PasswordChangeError>;
    /// Marks the user's email verified (`email_verified=true`): a reset through that email proved
    /// its owner controls it. Only asked when `StuckUsers::unverified_email` is on.
    async fn mark_email_verified(&self, _username: &str) -> Result<(), StoreError> {
        Err(StoreError::Unavailable(
            "this directory cannot mark an email verified".into(),
        ))
    }
    /// Ends every session from before a password change (or a change that may have applied),
    /// where the directory keeps sessions; a directory without sessions has none to end.
    async fn end_sessions(&self, _username: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The pool's app clients: a fixed list, or the pool's own (`DescribeUserPoolClient`).
#[async_trait]
pub trait AppClients: Send + Sync {
    /// The app client `client_id` with its secret when it has one; `None` when the pool has no
    /// such client.
    async fn find(&self, client_id: &str) -> Result<Option<AppClient>, StoreError>;
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
    ) -> Result<Admission, StoreError>;

    /// Atomically: counts a request in the window of the caller item `key` (a `caller#` key),
    /// refusing at `limit`. Nothing is ever given back: a caller's quota measures the work it
    /// asked for, whatever became of it.
    async fn admit_caller(
        &self,
        key: &str,
        now: UnixTime,
        limit: &CallerLimit,
    ) -> Result<Admission, StoreError>;

    /// Undoes an issue after a failed delivery: the code dies and the request is given back.
    async fn revoke(&self, key: &str, digest: &CodeDigest) -> Result<(), StoreError>;

    /// Atomically: counts `attempt` against the live code, then judges it, so that at most
    /// `max_failed_attempts` attempts are ever judged per issued code whatever the concurrency.
    /// The attempt is compared with its digest under the key the code was issued under; a code
    /// whose key the attempt does not carry (retired) is refused as expired, uncounted.
    /// `Accepted` leaves the code claimed: dead to every other attempt until `release`. A claimed
    /// (spent) code is still counted and judged: the right code answers `Expired`.
    async fn redeem(
        &self,
        key: &str,
        attempt: &Attempt,
        now: UnixTime,
        policy: &CodePolicy,
    ) -> Result<Redemption, StoreError>;

    /// Gives back a code claimed by an accepted attempt whose password change did not happen, so
    /// the user can try again with it. A newer code, or none, is left alone.
    async fn release(&self, key: &str, attempt: &Attempt) -> Result<(), StoreError>;
}

/// What `ClaimWithPassword::judge` made of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    /// The right code, counted and unclaimed: its stored digest.
    Right(CodeDigest),
    /// Anything else, as `CodeStore::redeem` answers it (never `Accepted`).
    Refused(Redemption),
}

/// What `ClaimWithPassword::claim_and_set_password` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimedReset {
    /// The code is claimed by this confirm and the password is set (by this send or an earlier
    /// one of the same write).
    Done,
    /// Another confirm claimed the code, or a newer code replaced it: nothing was changed.
    Spent,
}

/// A code store and a directory one write spans (the DynamoDB codes and users tables, in one
/// TransactWriteItems): the code's claim and the new password are applied together or not at
/// all, and the write sent again after an answer lost on the way is applied once and answered as
/// applied, so a lost answer never spends a code. Where it is wired, a confirm for a real user runs on it instead
/// of `CodeStore::redeem`, `release` and `UserDirectory::set_password`.
#[async_trait]
pub trait ClaimWithPassword: Send + Sync {
    /// Counts `attempt` and judges it as `CodeStore::redeem` does (at most `max_failed_attempts`
    /// judged per code, a resent count counted once, a claimed code `Expired`), but claims nothing.
    async fn judge(
        &self,
        key: &str,
        attempt: &Attempt,
        now: UnixTime,
        policy: &CodePolicy,
    ) -> Result<Judged, StoreError>;

    /// Atomically: claims the code whose digest is `code` (still the live one, and unclaimed) for
    /// this confirm and makes `password` the permanent password of `username` (status CONFIRMED),
    /// sending the one write again until it answers for sure. An error is `NotApplied` when
    /// nothing changed, `Unknown` when the write may have applied.
    async fn claim_and_set_password(
        &self,
        key: &str,
        code: &CodeDigest,
        username: &str,
        password: &str,
    ) -> Result<ClaimedReset, PasswordChangeError>;
}

/// Sign-outs still owed after a password change: recorded durably when the directory could not
/// end the sessions within the request, and retried outside any request until they succeed.
#[async_trait]
pub trait OwedSignOuts: Send + Sync {
    /// Records that the sessions of `username` from before a password change must still be
    /// ended. `Ok` only once the record is durable.
    async fn record(&self, username: &str) -> Result<(), StoreError>;
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
    /// The checks `send_email` makes before sending (a sandbox's account and recipient), alone,
    /// so they can run beside other work; their answers are kept, so the send repeats no call.
    async fn check_email(&self, _to: &str) -> Result<(), DeliveryError> {
        Ok(())
    }
    /// Reads what `check_email` needs that no request changes (a sandbox's account), kept for
    /// the process's life, so the first request does not wait for it. Never fails: a read that
    /// fails is logged and leaves the service to decide, as on first use.
    async fn prepare_email(&self) {}
}

#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send_sms(&self, to: &str, message: &RenderedMessage) -> Result<(), DeliveryError>;
    /// As `EmailSender::check_email`, for `send_sms`.
    async fn check_sms(&self, _to: &str) -> Result<(), DeliveryError> {
        Ok(())
    }
    /// As `EmailSender::prepare_email`, for `check_sms`.
    async fn prepare_sms(&self) {}
}

/// `message` to `to`, by the sender of `medium`.
pub async fn send_by(
    medium: DeliveryMedium,
    email: &dyn EmailSender,
    sms: &dyn SmsSender,
    to: &str,
    message: &RenderedMessage,
) -> Result<(), DeliveryError> {
    match medium {
        DeliveryMedium::Email => email.send_email(to, message).await,
        DeliveryMedium::Sms => sms.send_sms(to, message).await,
    }
}

/// The pre-checks of a send to `to` by the sender of `medium`.
pub async fn check_by(
    medium: DeliveryMedium,
    email: &dyn EmailSender,
    sms: &dyn SmsSender,
    to: &str,
) -> Result<(), DeliveryError> {
    match medium {
        DeliveryMedium::Email => email.check_email(to).await,
        DeliveryMedium::Sms => sms.check_sms(to).await,
    }
}

/// Prepares the sender of each of `media` (`EmailSender::prepare_email`), all at once.
pub async fn prepare(media: &[DeliveryMedium], email: &dyn EmailSender, sms: &dyn SmsSender) {
    let email_too = media.contains(&DeliveryMedium::Email);
    let sms_too = media.contains(&DeliveryMedium::Sms);
    tokio::join!(
        async {
            if email_too {
                email.prepare_email().await;
            }
        },
        async {
            if sms_too {
                sms.prepare_sms().await;
            }
        }
    );
}

/// A migration source the UserMigration logic imports users from.
#[async_trait]
pub trait MigrationSource: Send + Sync {
    /// The source user known by `login` (as typed at sign-in or ForgotPassword), if any.
    async fn find(
        &self,
        login: &str,
    ) -> Result<Option<crate::domain::migration::SourceUser>, StoreError>;
}

/// Why the breach check gave no answer. Its text names no password, hash or range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the breached-password service gave no usable answer: {0}")]
pub struct BreachCheckError(pub String);

/// The passwords known from breaches (Have I Been Pwned's range API, by k-anonymity).
#[async_trait]
pub trait BreachedPasswords: Send + Sync {
    /// How many times `password` was seen in breaches; 0: never.
    async fn times_seen(&self, password: &str) -> Result<u64, BreachCheckError>;
}

/// Why a trigger's function gave no usable answer, as the Lambda Invoke API tells it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// The function ran and failed (`X-Amz-Function-Error`): its `errorMessage`.
    #[error("the function failed: {0}")]
    Function(String),
    /// The function was not run (throttled, denied, not found, the service failing): the error's
    /// name, as Cognito names it in UnexpectedLambdaException.
    #[error("the function was not run: {0}")]
    NotRun(String),
    /// The function answered something that is not JSON.
    #[error("the function's output is not JSON")]
    Unreadable,
}

/// Runs a user pool trigger's Lambda function, as Cognito does: synchronously, the event in, the
/// function's JSON out. Time limits and retries are the caller's (`usecases::pool_triggers`).
#[async_trait]
pub trait TriggerInvoker: Send + Sync {
    async fn invoke(
        &self,
        function: &str,
        event: &serde_json::Value,
    ) -> Result<serde_json::Value, InvokeError>;
}

/// Encrypts a code as Cognito hands it to a pool's own CustomEmailSender / CustomSMSSender: an
/// AWS Encryption SDK message under the pool's KMS key (`adapters::esdk::CodeEncryptor`), base64.
/// A failure is the delivery's (`DeliveryError`): the code cannot go out.
#[async_trait]
pub trait CodeEncryption: Send + Sync {
    /// `code`, bound to `context` (Cognito's: the pool's id), as the event's `request.code`.
    async fn encrypt(
        &self,
        code: &str,
        context: &std::collections::BTreeMap<String, String>,
    ) -> Result<String, DeliveryError>;
}
