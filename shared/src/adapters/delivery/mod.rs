//! How codes and notices reach people (`EmailSender`, `SmsSender`): the outbox (a file, for the
//! local runner and tests), or Amazon SES and AWS End User Messaging SMS.

#[cfg(all(feature = "ses", feature = "sms"))]
pub mod aws;
pub mod outbox;
#[cfg(any(feature = "ses", feature = "sms"))]
pub mod redact;
#[cfg(any(feature = "ses", feature = "sms"))]
pub mod sandbox_cache;
#[cfg(feature = "ses")]
pub mod ses;
#[cfg(feature = "sms")]
pub mod sms;
