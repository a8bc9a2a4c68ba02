//! argon2id for the directories that keep password hashes themselves (memory, DynamoDB).
//!
//! Each hash takes tens of milliseconds and 19 MiB: it runs on a blocking thread, at most one per
//! core at a time, so a burst of confirms queues instead of spawning a thread and a buffer each.

use std::sync::OnceLock;

use rand::Rng;
use tokio::sync::Semaphore;

use crate::domain::password;
use crate::ports::StoreError;

fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
    })
}

/// The PHC string of `password` under a fresh random salt.
pub async fn hash(password: &str) -> Result<String, StoreError> {
    let mut salt = [0u8; 16];
    crate::request_rng().fill_bytes(&mut salt);
    let _permit = permits()
        .acquire()
        .await
        .map_err(|e| StoreError::Unavailable(format!("password hashing closed: {e}")))?;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || password::hash(&password, &salt))
        .await
        .map_err(|e| StoreError::Unavailable(format!("password hashing task failed: {e}")))?
        .map_err(|_| StoreError::Unavailable("password hashing failed".into()))
}
