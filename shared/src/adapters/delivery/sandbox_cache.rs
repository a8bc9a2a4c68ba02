//! What a sender learns about its account's sandbox, kept for the container's life, for SES and
//! SMS alike: the account, read once (and logged with what it means); and each recipient's
//! verdict, so a sandbox check costs a round trip once per container. A verified recipient stays
//! verified; a refusal is re-checked after a short while, so someone who verifies their address
//! and tries again is not turned away by a stale answer. How an account is read and what
//! "verified" means are each sender's.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

/// How long "not verified" is believed.
pub const NEGATIVE_TTL: Duration = Duration::from_secs(60);
/// Recipients come from the user store, but a cache must not grow without bound.
const MAX_ENTRIES: usize = 10_000;

/// A sending account with a sandbox, as its service describes it.
pub trait SandboxAccount {
    /// The account as logs name it, with the operations that read it.
    const NAME: &'static str;
    /// What lets the function read the account.
    const READ_REMEDIATION: &'static str;
    /// `Some(true)` in the sandbox, `Some(false)` out of it, `None` when the account does not say.
    fn in_sandbox(&self) -> Option<bool>;
    /// Logs what the account means for sending (once per container).
    fn log(&self, region: &str);
}

/// What a sender knows of its account: what the service said, or why it could not be read (no
/// permission, an emulator without the operation): then there is no pre-check, the service
/// decides and its refusals are mapped as usual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountState<A> {
    Known(A),
    Unknown(String),
}

impl<A: SandboxAccount> AccountState<A> {
    pub fn in_sandbox(&self) -> Option<bool> {
        match self {
            Self::Known(account) => account.in_sandbox(),
            Self::Unknown(_) => None,
        }
    }

    fn log(&self, region: &str) {
        match self {
            Self::Known(account) => account.log(region),
            Self::Unknown(detail) => {
                tracing::warn!(region, %detail, remediation = A::READ_REMEDIATION,
                    "could not read {}: no sandbox pre-check, refusals are reported as they come", A::NAME);
            }
        }
    }
}

/// One sender's sandbox knowledge about its account `A`.
#[derive(Debug)]
pub struct SandboxCache<A> {
    region: String,
    account: OnceCell<AccountState<A>>,
    verdicts: VerifiedCache,
}

impl<A: SandboxAccount> SandboxCache<A> {
    /// `region`: the client's, named in refusals and logs.
    pub fn new(region: Option<impl std::fmt::Display>) -> Self {
        Self {
            region: region.map_or_else(|| "the configured region".into(), |r| r.to_string()),
            account: OnceCell::new(),
            verdicts: VerifiedCache::default(),
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The account state: `read` on first use, then logged, kept for the life of the container.
    pub async fn account(&self, read: impl Future<Output = AccountState<A>>) -> &AccountState<A> {
        self.account
            .get_or_init(|| async {
                let state = read.await;
                state.log(&self.region);
                state
            })
            .await
    }

    /// What is known and still believed of `recipient`, without asking.
    pub fn known(&self, recipient: &str) -> Option<bool> {
        self.verdicts.get(recipient)
    }

    /// Whether `recipient` is verified: known, or asked once by `check` and remembered.
    pub async fn verified(
        &self,
        recipient: &str,
        check: impl Future<Output = Result<bool, String>>,
    ) -> Result<bool, String> {
        if let Some(known) = self.verdicts.get(recipient) {
            return Ok(known);
        }
        let verified = check.await?;
        self.verdicts.put(recipient, verified);
        Ok(verified)
    }
}

/// Each recipient's verdict and when it was learnt.
#[derive(Debug)]
struct VerifiedCache {
    entries: Mutex<HashMap<String, (bool, Instant)>>,
    negative_ttl: Duration,
}

impl Default for VerifiedCache {
    fn default() -> Self {
        Self::new(NEGATIVE_TTL)
    }
}

impl VerifiedCache {
    fn new(negative_ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            negative_ttl,
        }
    }

    /// `Some(verdict)` when known and still believed.
    fn get(&self, key: &str) -> Option<bool> {
        let entries = self.entries.lock().ok()?;
        let (verified, at) = *entries.get(key)?;
        (verified || at.elapsed() < self.negative_ttl).then_some(verified)
    }

    fn put(&self, key: &str, verified: bool) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.retain(|_, (v, _)| *v);
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(key.to_string(), (verified, Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positives_stay_negatives_expire() {
        let cache = VerifiedCache::new(Duration::ZERO);
        assert_eq!(cache.get("a"), None);
        cache.put("a", true);
        cache.put("b", false);
        assert_eq!(cache.get("a"), Some(true));
        assert_eq!(cache.get("b"), None, "a zero TTL forgets refusals at once");
        let cache = VerifiedCache::new(Duration::from_secs(60));
        cache.put("b", false);
        assert_eq!(cache.get("b"), Some(false));
    }
}
