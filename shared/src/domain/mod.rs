//! Pure rules: no I/O, no clock, no RNG of their own.

pub mod caller;
pub mod code;
pub mod delivery;
pub mod error;
pub mod login;
pub mod mask;
pub mod message;
pub mod message_catalog;
pub mod migration;
pub mod operation;
pub mod owed_sign_out;
pub mod password;
pub mod password_blocklist;
pub mod pool;
pub mod recovery;
pub mod request;
pub mod reset;
pub mod secret_hash;
pub mod source_password;
pub mod time;
pub mod user;
