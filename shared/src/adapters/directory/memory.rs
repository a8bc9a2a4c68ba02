//! The embedded store: users and code records behind one lock, so issue, revoke, redeem and
//! release are each one atomic step, whatever the concurrency.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::caller::{CallerLimit, CallerWindow};
use crate::domain::code::{Attempt, CodeDigest, CodePolicy, CodeRecord, LiveCode, Redemption};
use crate::domain::time::UnixTime;
use crate::domain::user::User;
use crate::domain::user::UserStatus;
use crate::ports::{CodeStore, Created, Issued, PasswordChangeError, StoreError, UserDirectory};

#[derive(Default)]
struct State {
    users: HashMap<String, User>,
    codes: HashMap<String, CodeRecord>,
    callers: HashMap<String, CallerWindow>,
}

#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Unavailable("memory store lock poisoned".into())
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_users(users: impl IntoIterator<Item = User>) -> Self {
        let store = Self::default();
        if let Ok(mut state) = store.state.lock() {
            state.users = users.into_iter().map(|u| (u.username.clone(), u)).collect();
        }
        store
    }

    /// A copy of a user's code record, for inspection in tests and tools.
    pub fn code_record(&self, key: &str) -> Option<CodeRecord> {
        self.state.lock().ok()?.codes.get(key).cloned()
    }

    /// Writes a user, replacing any with the same username (tests and tools; the port's
    /// `create` never replaces).
    pub fn put_user(&self, user: User) {
        if let Ok(mut state) = self.state.lock() {
            state.users.insert(user.username.clone(), user);
        }
    }

    pub fn user(&self, username: &str) -> Option<User> {
        self.state.lock().ok()?.users.get(username).cloned()
    }
}

fn is_login_of(user: &User, login: &str) -> bool {
    let alias = |name: &str, case_insensitive: bool| {
        user.attributes.get(name).is_some_and(|v| {
            if case_insensitive {
                v.eq_ignore_ascii_case(login)
            } else {
                v == login
            }
        })
    };
    user.sub == login
        || alias("email", true)
        || alias("phone_number", false)
        || alias("preferred_username", true)
}

#[async_trait]
impl UserDirectory for MemoryStore {
    async fn find(&self, login: &str) -> Result<Option<User>, StoreError> {
        let state = self.state.lock().map_err(poisoned)?;
        if let Some(user) = state.users.get(login) {
            return Ok(Some(user.clone()));
        }
        Ok(state
            .users
            .values()
            .find(|u| is_login_of(u, login))
            .cloned())
    }

    async fn create(&self, user: &User) -> Result<Created, StoreError> {
        let mut state = self.state.lock().map_err(poisoned)?;
        if state.users.contains_key(&user.username) {
            return Ok(Created::Exists);
        }
        state.users.insert(user.username.clone(), user.clone());
        Ok(Created::Created)
    }

    async fn set_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(), PasswordChangeError> {
        // Hashed before taking the lock: argon2 takes tens of milliseconds.
        let hash = super::password_hashing::hash(password).await?;
        let mut state = self.state.lock().map_err(poisoned)?;
        let user = state.users.get_mut(username).ok_or_else(|| {
            StoreError::Unavailable(format!("user {username} disappeared during a reset"))
        })?;
        user.password_hash = Some(hash);
        user.status = UserStatus::Confirmed;
        Ok(())
    }
}

#[async_trait]
impl CodeStore for MemoryStore {
    async fn issue(
        &self,
        key: &str,
        code: LiveCode,
        policy: &CodePolicy,
    ) -> Result<Issued, StoreError> {
        let mut state = self.state.lock().map_err(poisoned)?;
        let record = state.codes.entry(key.to_string()).or_default();
        match record.issue(code, policy) {
            Ok(next) => {
                *record = next;
                Ok(Issued::Admitted)
            }
            Err(_) => Ok(Issued::LimitReached),
        }
    }

    async fn admit_caller(
        &self,
        key: &str,
        now: UnixTime,
        limit: &CallerLimit,
    ) -> Result<Issued, StoreError> {
        let mut state = self.state.lock().map_err(poisoned)?;
        let window = state.callers.entry(key.to_string()).or_default();
        match window.admit(now, limit) {
            Ok(next) => {
                *window = next;
                Ok(Issued::Admitted)
            }
            Err(_) => Ok(Issued::LimitReached),
        }
    }

    async fn revoke(&self, key: &str, digest: &CodeDigest) -> Result<(), StoreError> {
        let mut state = self.state.lock().map_err(poisoned)?;
        if let Some(record) = state.codes.get_mut(key) {
            *record = record.revoke(digest);
        }
        Ok(())
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
        let mut state = self.state.lock().map_err(poisoned)?;
        if let Some(record) = state.codes.get_mut(key) {
            *record = record.release(attempt);
        }
        Ok(())
    }
}
