//! What a sandbox check learnt about a recipient, so it costs a round trip once per container.
//! A verified recipient stays verified; a refusal is re-checked after a short while, so someone
//! who verifies their address and tries again is not turned away by a stale answer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long "not verified" is believed.
pub const NEGATIVE_TTL: Duration = Duration::from_secs(60);
/// Recipients come from the user store, but a cache must not grow without bound.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug)]
pub struct VerifiedCache {
    entries: Mutex<HashMap<String, (bool, Instant)>>,
    negative_ttl: Duration,
}

impl Default for VerifiedCache {
    fn default() -> Self {
        Self::new(NEGATIVE_TTL)
    }
}

impl VerifiedCache {
    pub fn new(negative_ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            negative_ttl,
        }
    }

    /// `Some(verdict)` when known and still believed.
    pub fn get(&self, key: &str) -> Option<bool> {
        let entries = self.entries.lock().ok()?;
        let (verified, at) = *entries.get(key)?;
        (verified || at.elapsed() < self.negative_ttl).then_some(verified)
    }

    pub fn put(&self, key: &str, verified: bool) {
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
