//! The pool's own app clients (DescribeUserPoolClient), cached for the life of the container: a
//! client found is kept (a client's id and secret do not change; a deleted client stays
//! accepted until the container is recycled), a miss is believed for `client_miss_recheck`, so
//! repeated unknown ids cost one call each per interval rather than one per request. Ids never
//! seen draw on one token bucket per process (`MISS_BURST`, refilled at `MISS_REFILL_PER_SECOND`):
//! a flood of distinct random ids costs the account's DescribeUserPoolClient quota a
//! bounded rate per container, and is answered TooManyRequests past it.
//!
//! A client found is shared with the other containers like the pool's description
//! (`describe.rs`): an item `pool#<pool>#client#<id>` in the codes table, read before asking
//! Cognito, taken when younger than `FRESH`, and when older still the answer if Cognito cannot
//! give one (throttled, failing, or this container's bucket empty). The item is sealed
//! (`sealed_client.rs`): one that does not open is asked of Cognito again. A miss is never shared.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use aws_sdk_cognitoidentityprovider::operation::describe_user_pool_client::DescribeUserPoolClientError;

use async_trait::async_trait;

use crate::domain::pool::AppClient;
use crate::ports::{AppClients, StoreError};

use super::CognitoPool;
use super::describe::{FRESH, retryable};
use crate::adapters::aws_errors::COGNITO;

/// Misses remembered at most; past it, expired misses are dropped, and then all of them, so a
/// flood of random ids cannot grow the cache without bound.
const MAX_MISSES: usize = 4096;

/// DescribeUserPoolClient calls for ids not in the cache: at most this many at once...
const MISS_BURST: f64 = 10.0;
/// ...and this many per second after.
const MISS_REFILL_PER_SECOND: f64 = 1.0;

pub(super) struct ClientCache {
    found: Mutex<HashMap<String, AppClient>>,
    /// When each unknown id was last asked about.
    missing: Mutex<HashMap<String, Instant>>,
    lookups: Mutex<TokenBucket>,
}

impl Default for ClientCache {
    fn default() -> Self {
        Self {
            found: Mutex::default(),
            missing: Mutex::default(),
            lookups: Mutex::new(TokenBucket::full(MISS_BURST, MISS_REFILL_PER_SECOND)),
        }
    }
}

/// A token bucket: `capacity` tokens, refilled continuously at `per_second`.
struct TokenBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    fn full(capacity: f64, per_second: f64) -> Self {
        Self {
            capacity,
            per_second,
            tokens: capacity,
            at: Instant::now(),
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps hold no invariant a panic could break halfway.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait]
impl AppClients for CognitoPool {
    async fn find(&self, client_id: &str) -> Result<Option<AppClient>, StoreError> {
        if let Some(client) = locked(&self.clients.found).get(client_id) {
            return Ok(Some(client.clone()));
        }
        let recheck = self.options.client_miss_recheck;
        let believed_missing = locked(&self.clients.missing)
            .get(client_id)
            .is_some_and(|at| at.elapsed() < recheck);
        if believed_missing {
            return Ok(None);
        }
        let pool = &self.description.user_pool_id;
        let stale = match self.shared_client(client_id).await {
            Some((client, age)) if age < FRESH => {
                tracing::info!(pool = %pool, age_s = age.as_secs(),
                    "app client shared by another container");
                return Ok(Some(self.keep(client)));
            }
            Some((client, _)) => Some(client),
            None => None,
        };
        if !locked(&self.clients.lookups).take(Instant::now()) {
            if let Some(client) = stale {
                tracing::warn!("too many unknown app client ids: the stale shared client serves");
                return Ok(Some(self.keep(client)));
            }
            tracing::warn!("too many unknown app client ids: DescribeUserPoolClient not asked");
            return Err(StoreError::Throttled);
        }
        let described = self
            .client
            .describe_user_pool_client()
            .user_pool_id(pool)
            .client_id(client_id)
            .send()
            .await;
        match described {
            Ok(out) => {
                let Some(found) = out.user_pool_client() else {
                    return Err(COGNITO.malformed(pool, client_id, "UserPoolClient"));
                };
                let client = AppClient {
                    client_id: client_id.to_string(),
                    client_secret: found.client_secret().map(str::to_string),
                    client_name: found.client_name().map(str::to_string),
                };
                self.share_client(&client).await;
                Ok(Some(self.keep(client)))
            }
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(DescribeUserPoolClientError::ResourceNotFoundException(_))
                ) =>
            {
                let mut missing = locked(&self.clients.missing);
                if missing.len() >= MAX_MISSES {
                    missing.retain(|_, at| at.elapsed() < recheck);
                    if missing.len() >= MAX_MISSES {
                        missing.clear();
                    }
                }
                missing.insert(client_id.to_string(), Instant::now());
                Ok(None)
            }
            Err(e) => {
                let serves_stale = retryable(&e);
                let failure = COGNITO.store_error("DescribeUserPoolClient", pool, e);
                match stale {
                    Some(client) if serves_stale => {
                        tracing::warn!(pool = %pool, error = %failure,
                            "DescribeUserPoolClient failed; the stale shared client serves");
                        Ok(Some(self.keep(client)))
                    }
                    _ => Err(failure),
                }
            }
        }
    }
}

impl CognitoPool {
    /// Remembers `client` for the life of the container.
    fn keep(&self, client: AppClient) -> AppClient {
        locked(&self.clients.missing).remove(&client.client_id);
        locked(&self.clients.found).insert(client.client_id.clone(), client.clone());
        client
    }

    fn client_fact(&self, client_id: &str) -> String {
        format!("{}#client#{client_id}", self.description.user_pool_id)
    }

    /// The client another container shared, and its age; `None` when nothing is shared, or
    /// what is does not open under this container's seal.
    async fn shared_client(&self, client_id: &str) -> Option<(AppClient, std::time::Duration)> {
        let (table, seal) = (self.shared.as_ref()?, self.client_seal.get()?);
        let name = self.client_fact(client_id);
        let fact = table.read(&name).await?;
        let opened = seal.open(&table.item_key(&name), client_id, &fact.json);
        if opened.is_none() {
            tracing::warn!("the shared app client does not open (another code key?); ignored");
        }
        opened.map(|client| (client, fact.age))
    }

    /// Shares `client` with the other containers, sealed.
    async fn share_client(&self, client: &AppClient) {
        let (Some(table), Some(seal)) = (self.shared.as_ref(), self.client_seal.get()) else {
            return;
        };
        let name = self.client_fact(&client.client_id);
        if let Some(json) = seal.seal(&table.item_key(&name), client) {
            table.write(&name, json).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_bucket_allows_a_burst_then_its_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::full(3.0, 2.0);
        bucket.at = start;
        assert!((0..3).all(|_| bucket.take(start)));
        assert!(!bucket.take(start));
        // Half a second refills one token at two per second.
        let later = start + Duration::from_millis(500);
        assert!(bucket.take(later));
        assert!(!bucket.take(later));
        // Never more than the burst, however long it rested.
        let much_later = later + Duration::from_secs(3600);
        assert_eq!((0..10).filter(|_| bucket.take(much_later)).count(), 3);
    }
}
