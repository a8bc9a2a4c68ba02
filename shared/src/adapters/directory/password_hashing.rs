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

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst of resets hashes one password per core at a time, so argon2's 19 MiB buffers stay
    /// bounded by the cores, not by the burst (unbounded blocking threads kept one per request).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_burst_of_hashes_keeps_at_most_one_buffer_per_core() {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let burst: Vec<_> = (0..cores * 8 + 8)
            .map(|i| tokio::spawn(async move { hash(&format!("Passw0rd!{i}")).await }))
            .collect();
        for h in burst {
            assert!(h.await.unwrap().unwrap().starts_with("$argon2id$"));
        }
        // Other tests of this binary may verify a source hash meanwhile (a few buffers at most).
        assert!(
            password::pooled_buffers() <= cores + 4,
            "{} buffers kept for {cores} cores",
            password::pooled_buffers()
        );
    }
}
