//! The pool's own app clients (DescribeUserPoolClient), cached for the life of the container: a
//! client found is kept (a client's id and secret do not change; a deleted client stays
//! accepted until the container is recycled), a miss is believed for `client_miss_recheck`, so
//! repeated unknown ids cost one call each per interval rather than one per request.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use aws_sdk_cognitoidentityprovider::operation::describe_user_pool_client::DescribeUserPoolClientError;

use crate::domain::pool::AppClient;
use crate::ports::StoreError;

use super::CognitoPool;
use crate::adapters::aws_errors::COGNITO;

/// Misses remembered at most; past it, expired misses are dropped, and then all of them, so a
/// flood of random ids cannot grow the cache without bound.
const MAX_MISSES: usize = 4096;

#[derive(Default)]
pub(super) struct ClientCache {
    found: Mutex<HashMap<String, AppClient>>,
    /// When each unknown id was last asked about.
    missing: Mutex<HashMap<String, Instant>>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps hold no invariant a panic could break halfway.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl CognitoPool {
    pub(super) async fn find_client(
        &self,
        client_id: &str,
    ) -> Result<Option<AppClient>, StoreError> {
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
                };
                locked(&self.clients.missing).remove(client_id);
                locked(&self.clients.found).insert(client_id.to_string(), client.clone());
                Ok(Some(client))
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
            Err(e) => Err(COGNITO.store_error("DescribeUserPoolClient", pool, e)),
        }
    }
}
