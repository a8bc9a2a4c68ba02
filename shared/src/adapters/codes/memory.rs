//! The embedded code store: code records and caller windows behind one lock, so issue, revoke,
//! redeem and release are each one atomic step, whatever the concurrency. Each step is the
//! domain's transition (`CodeRecord`, `CallerWindow`) applied in place.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::caller::{CallerLimit, CallerWindow};
use crate::domain::code::{Attempt, CodeDigest, CodePolicy, CodeRecord, LiveCode, Redemption};
use crate::domain::time::UnixTime;
use crate::ports::{CodeStore, Issued, StoreError};

#[derive(Default)]
struct State {
    codes: HashMap<String, CodeRecord>,
    callers: HashMap<String, CallerWindow>,
}

#[derive(Default)]
pub struct MemoryCodes {
    state: Mutex<State>,
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Unavailable("memory code store lock poisoned".into())
}

/// A window's verdict: the next state when admitted, nothing changed when refused.
fn admitted<T, E>(slot: &mut T, next: Result<T, E>) -> Issued {
    match next {
        Ok(next) => {
            *slot = next;
            Issued::Admitted
        }
        Err(_) => Issued::LimitReached,
    }
}

impl MemoryCodes {
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of a user's code record, for inspection in tests and tools.
    pub fn code_record(&self, key: &str) -> Option<CodeRecord> {
        self.state.lock().ok()?.codes.get(key).cloned()
    }

    /// Applies `change` to the record at `key`, if there is one.
    fn change(
        &self,
        key: &str,
        change: impl FnOnce(&CodeRecord) -> CodeRecord,
    ) -> Result<(), StoreError> {
        let mut state = self.state.lock().map_err(poisoned)?;
        if let Some(record) = state.codes.get_mut(key) {
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
    ) -> Result<Issued, StoreError> {
        let mut state = self.state.lock().map_err(poisoned)?;
        let record = state.codes.entry(key.to_string()).or_default();
        let next = record.issue(code, policy);
        Ok(admitted(record, next))
    }

    async fn admit_caller(
        &self,
        key: &str,
        now: UnixTime,
        limit: &CallerLimit,
    ) -> Result<Issued, StoreError> {
        let mut state = self.state.lock().map_err(poisoned)?;
        let window = state.callers.entry(key.to_string()).or_default();
        let next = window.admit(now, limit);
        Ok(admitted(window, next))
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
        let Some(record) = state.codes.get_mut(key) else {
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
