//! The embedded code store: code records and caller windows behind one lock, so issue, revoke,
//! redeem and release are each one atomic step, whatever the concurrency. Each step is the
//! domain's transition (`CodeRecord`, `CallerWindow`) applied in place.
//!
//! Bounded: a flood of distinct logins or callers (each unknown login gets a decoy record) must
//! not grow memory for ever. Whenever a map has doubled since its last sweep, a new entry first
//! sweeps out what no longer changes an answer (`CodeRecord::forgettable`,
//! `CallerWindow::forgettable`): what the DynamoDB store's TTL deletes. Amortized O(1) per
//! insert; a map holds at most about twice what is live in one window.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::caller::{CallerLimit, CallerWindow};
use crate::domain::code::{Attempt, CodeDigest, CodePolicy, CodeRecord, LiveCode, Redemption};
use crate::domain::time::UnixTime;
use crate::ports::{Admission, CodeStore, StoreError};

#[derive(Default)]
struct State {
    codes: Swept<CodeRecord>,
    callers: Swept<CallerWindow>,
}

/// The size below which a map is never swept: small maps cost nothing to keep.
const SWEEP_FLOOR: usize = 1024;

/// A map swept of forgettable entries whenever it has doubled since the last sweep.
struct Swept<V> {
    map: HashMap<String, V>,
    sweep_at: usize,
}

impl<V> Default for Swept<V> {
    fn default() -> Self {
        Self {
            map: HashMap::new(),
            sweep_at: SWEEP_FLOOR,
        }
    }
}

impl<V: Default> Swept<V> {
    /// The entry at `key`, created empty if absent (after a sweep, when one is due).
    fn entry(&mut self, key: &str, forgettable: impl Fn(&V) -> bool) -> &mut V {
        if !self.map.contains_key(key) && self.map.len() >= self.sweep_at {
            self.map.retain(|_, v| !forgettable(v));
            self.sweep_at = (self.map.len() * 2).max(SWEEP_FLOOR);
        }
        self.map.entry(key.to_string()).or_default()
    }
}

#[derive(Default)]
pub struct MemoryCodes {
    state: Mutex<State>,
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Unavailable("memory code store lock poisoned".into())
}

/// A window's verdict: the next state when admitted, nothing changed when refused.
fn admitted<T, E>(slot: &mut T, next: Result<T, E>, retry_at: impl Fn(E) -> UnixTime) -> Admission {
    match next {
        Ok(next) => {
            *slot = next;
            Admission::Admitted
        }
        Err(refused) => Admission::LimitReached {
            retry_at: retry_at(refused),
        },
    }
}

impl MemoryCodes {
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of a user's code record, for inspection in tests and tools.
    pub fn code_record(&self, key: &str) -> Option<CodeRecord> {
        self.state.lock().ok()?.codes.map.get(key).cloned()
    }

    /// How many code records and caller windows are held (tests: memory stays bounded).
    pub fn len(&self) -> (usize, usize) {
        self.state
            .lock()
            .map(|s| (s.codes.map.len(), s.callers.map.len()))
            .unwrap_or_default()
    }

    /// Applies `change` to the record at `key`, if there is one.
    fn change(
        &self,
        key: &str,
        change: impl FnOnce(&CodeRecord) -> CodeRecord,
    ) -> Result<(), StoreError> {
        let mut state = self.state.lock().map_err(poisoned)?;
        if let Some(record) = state.codes.map.get_mut(key) {
            *record = change(record);
        }
        Ok(())
    }
}

#[async_trait]
impl CodeStore for MemoryCodes {
    async fn issue(
        &self,
        key: &str,
        code: LiveCode,
        policy: &CodePolicy,
    ) -> Result<Admission, StoreError> {
        let mut state = self.state.lock().map_err(poisoned)?;
        let now = code.issued_at;
        let record = state.codes.entry(key, |r| r.forgettable(now, policy));
        let next = record.issue(code, policy);
        Ok(admitted(record, next, |r| r.retry_at))
    }

    async fn admit_caller(
        &self,
        key: &str,
        now: UnixTime,
        limit: &CallerLimit,
    ) -> Result<Admission, StoreError> {
        let mut state = self.state.lock().map_err(poisoned)?;
        let window = state.callers.entry(key, |w| w.forgettable(now, limit));
        let next = window.admit(now, limit);
        Ok(admitted(window, next, |r| r.retry_at))
    }

    async fn revoke(&self, key: &str, digest: &CodeDigest) -> Result<(), StoreError> {
        self.change(key, |record| record.revoke(digest))
    }

    async fn redeem(
        &self,
        key: &str,
        attempt: &Attempt,
        now: UnixTime,
        policy: &CodePolicy,
    ) -> Result<Redemption, StoreError> {
        let mut state = self.state.lock().map_err(poisoned)?;
        let Some(record) = state.codes.map.get_mut(key) else {
            return Ok(Redemption::NoCode);
        };
        let (next, outcome) = record.redeem(attempt, now, policy);
        *record = next;
        Ok(outcome)
    }

    async fn release(&self, key: &str, attempt: &Attempt) -> Result<(), StoreError> {
        self.change(key, |record| record.release(attempt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::code::{CodeKey, CodeKeys, KeyId};

    const T0: UnixTime = UnixTime(1_800_000_000);

    #[tokio::test]
    async fn a_million_distinct_logins_and_callers_keep_memory_bounded() {
        let store = MemoryCodes::new();
        let keys = CodeKeys::from(CodeKey::from_bytes(&[7u8; 32]).unwrap());
        let policy = CodePolicy::default();
        let limit = CallerLimit {
            max_requests: 30,
            window_seconds: 3600,
        };
        // One new login and one new caller a second for eleven days, far past every window.
        let live = policy.window_seconds.max(policy.longest_ttl()) as usize;
        let mut most = (0, 0);
        // One digest for all: what the store keeps is the point, not what it hashes.
        let digest = keys.digest("user", "123456").1;
        for i in 0..1_000_000u64 {
            let now = T0.plus(i);
            let login = format!("user-{i}");
            let code = LiveCode {
                digest,
                key_id: KeyId::single(),
                issued_at: now,
                expires_at: now.plus(policy.ttl_seconds),
                attempts: 0,
                medium: None,
            };
            assert_eq!(
                store.issue(&login, code, &policy).await.unwrap(),
                Admission::Admitted
            );
            let caller = format!("caller-{i}");
            assert_eq!(
                store.admit_caller(&caller, now, &limit).await.unwrap(),
                Admission::Admitted
            );
            let (codes, callers) = store.len();
            most = (most.0.max(codes), most.1.max(callers));
        }
        // At most about twice what one window holds live, never the million.
        let bound = 2 * live + SWEEP_FLOOR;
        assert!(most.0 <= bound && most.1 <= bound, "{most:?} > {bound}");
        assert!(most.0 > live, "the live entries are kept: {most:?}");
    }

    #[tokio::test]
    async fn what_is_swept_is_only_what_no_longer_changes_an_answer() {
        let store = MemoryCodes::new();
        let keys = CodeKeys::from(CodeKey::from_bytes(&[7u8; 32]).unwrap());
        let policy = CodePolicy::default();
        let limit = CallerLimit {
            max_requests: 1,
            window_seconds: 3600,
        };
        let code = |login: &str, now: UnixTime| LiveCode {
            digest: keys.digest(login, "123456").1,
            key_id: KeyId::single(),
            issued_at: now,
            expires_at: now.plus(policy.ttl_seconds),
            attempts: 0,
            medium: None,
        };
        // A caller at its limit and a live code, then a flood that triggers sweeps within the window.
        store.admit_caller("busy", T0, &limit).await.unwrap();
        store
            .issue("jane", code("jane", T0), &policy)
            .await
            .unwrap();
        for i in 0..(4 * SWEEP_FLOOR as u64) {
            let now = T0.plus(1 + i / 4);
            store
                .admit_caller(&format!("c{i}"), now, &limit)
                .await
                .unwrap();
            store
                .issue(&format!("u{i}"), code("x", now), &policy)
                .await
                .unwrap();
        }
        let later = T0.plus(1 + SWEEP_FLOOR as u64);
        assert_eq!(
            store.admit_caller("busy", later, &limit).await.unwrap(),
            Admission::LimitReached {
                retry_at: T0.plus(3600)
            },
            "a full window survives the sweeps"
        );
        let attempt = keys.attempt("jane", "123456");
        assert_eq!(
            store
                .redeem("jane", &attempt, later, &policy)
                .await
                .unwrap(),
            Redemption::Accepted,
            "a live code survives the sweeps"
        );
    }
}
