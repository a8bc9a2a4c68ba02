//! The embedded directory: users behind one lock, looked up as the DynamoDB directory looks them
//! up (by username, by the alias the login's form names, or by sub). It can keep a password
//! history the way a user pool on the Essentials plan does (`with_password_history`), so the
//! refusal a pool answers with is tested without one.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::login::LoginForm;
use crate::domain::user::{User, UserStatus};
use crate::ports::{Created, PasswordChangeError, StoreError, UserDirectory};

#[derive(Default)]
pub struct MemoryDirectory {
    users: Mutex<HashMap<String, User>>,
    /// How many recent passwords a user may not reuse (the current one included), as the pool's
    /// `PasswordHistorySize`; 0 keeps no history.
    history_size: usize,
    /// Each user's earlier password hashes, newest first (the current one is the user's own).
    history: Mutex<HashMap<String, VecDeque<String>>>,
}

/// The refusal's message (Cognito does not publish its wording).
pub const PASSWORD_RECENTLY_USED: &str = "The password has been used recently; choose another one.";

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Unavailable("memory directory lock poisoned".into())
}

impl MemoryDirectory {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_users(users: impl IntoIterator<Item = User>) -> Self {
        Self {
            users: Mutex::new(users.into_iter().map(|u| (u.username.clone(), u)).collect()),
            ..Self::default()
        }
    }

    /// Refuses a user's `size` most recent passwords (the current one included), as a pool with
    /// `PasswordHistorySize` does: `PasswordChangeError::RecentlyUsed`, nothing changed.
    pub fn with_password_history(mut self, size: usize) -> Self {
        self.history_size = size;
        self
    }

    /// Writes a user, replacing any with the same username (tests and tools; the port's
    /// `create` never replaces).
    pub fn put_user(&self, user: User) {
        if let Ok(mut users) = self.users.lock() {
            users.insert(user.username.clone(), user);
        }
    }

    pub fn user(&self, username: &str) -> Option<User> {
        self.users.lock().ok()?.get(username).cloned()
    }
}

/// Whether `login`, not `user`'s username, names `user`: the email alias (any case) for an email,
/// the phone_number alias for a phone number, the sub or the `preferred_username` alias (any case,
/// as a user pool resolves it) for anything else.
fn is_login_of(user: &User, login: &str) -> bool {
    match LoginForm::of(login) {
        LoginForm::Email => user
            .attributes
            .get("email")
            .is_some_and(|v| v.eq_ignore_ascii_case(login)),
        LoginForm::Phone => user.attributes.get("phone_number") == Some(login),
        LoginForm::Username => {
            user.sub == login
                || user
                    .attributes
                    .get("preferred_username")
                    .is_some_and(|v| v.eq_ignore_ascii_case(login))
        }
    }
}

#[async_trait]
impl UserDirectory for MemoryDirectory {
    async fn find(&self, login: &str) -> Result<Option<User>, StoreError> {
        let users = self.users.lock().map_err(poisoned)?;
        if let Some(user) = users.get(login) {
            return Ok(Some(user.clone()));
        }
        Ok(users.values().find(|u| is_login_of(u, login)).cloned())
    }

    async fn create(&self, user: &User) -> Result<Created, StoreError> {
        let mut users = self.users.lock().map_err(poisoned)?;
        if users.contains_key(&user.username) {
            return Ok(Created::Exists);
        }
        users.insert(user.username.clone(), user.clone());
        Ok(Created::Created)
    }

    async fn mark_email_verified(&self, username: &str) -> Result<(), StoreError> {
        let mut users = self.users.lock().map_err(poisoned)?;
        let user = users
            .get_mut(username)
            .ok_or_else(|| StoreError::Unavailable(format!("user {username} disappeared")))?;
        user.attributes.set("email_verified", "true");
        Ok(())
    }

    async fn set_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(), PasswordChangeError> {
        if self.history_size > 0 && self.recently_used(username, password).await? {
            return Err(PasswordChangeError::RecentlyUsed(
                PASSWORD_RECENTLY_USED.into(),
            ));
        }
        // Hashed before taking the lock: argon2 takes tens of milliseconds.
        let hash = super::password_hashing::hash(password).await?;
        let mut users = self.users.lock().map_err(poisoned)?;
        let user = users.get_mut(username).ok_or_else(|| {
            StoreError::Unavailable(format!("user {username} disappeared during a reset"))
        })?;
        let previous = user.password_hash.replace(hash);
        user.status = UserStatus::Confirmed;
        if let (Some(previous), Some(keep)) = (previous, self.history_size.checked_sub(1)) {
            let mut history = self.history.lock().map_err(poisoned)?;
            let earlier = history.entry(username.to_string()).or_default();
            earlier.push_front(previous);
            earlier.truncate(keep);
        }
        Ok(())
    }
}

impl MemoryDirectory {
    /// Whether `password` is the user's current one or among the `history_size - 1` before it.
    async fn recently_used(&self, username: &str, password: &str) -> Result<bool, StoreError> {
        let mut recent: Vec<String> = {
            let users = self.users.lock().map_err(poisoned)?;
            users
                .get(username)
                .and_then(|u| u.password_hash.clone())
                .into_iter()
                .collect()
        };
        if let Some(earlier) = self.history.lock().map_err(poisoned)?.get(username) {
            recent.extend(earlier.iter().cloned());
        }
        recent.truncate(self.history_size);
        let password = password.to_string();
        // argon2 verifies take tens of milliseconds each: off the async threads.
        tokio::task::spawn_blocking(move || {
            recent
                .iter()
                .any(|phc| crate::domain::password::verify(&password, phc))
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("password history check failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::domain::user::Attributes;

    fn jane() -> User {
        User {
            username: "jane".into(),
            sub: "7d8e2f10-1b3c-4c5d-9e6f-0a1b2c3d4e5f".into(),
            status: UserStatus::Confirmed,
            enabled: true,
            attributes: Attributes::from_iter([
                ("email", "Jane@Example.com"),
                ("phone_number", "+12065550142"),
                ("preferred_username", "JaneD"),
            ]),
            password_hash: None,
            mfa: None,
        }
    }

    #[tokio::test]
    async fn a_user_is_found_by_username_each_alias_and_sub() {
        let directory = MemoryDirectory::with_users([jane()]);
        for login in [
            "jane",
            "jane@example.com",
            "+12065550142",
            "janed",
            "JaneD",
            "7d8e2f10-1b3c-4c5d-9e6f-0a1b2c3d4e5f",
        ] {
            let found = directory.find(login).await.unwrap();
            assert_eq!(found.map(|u| u.username), Some("jane".into()), "{login}");
        }
        for login in ["jan", "+12065550143", "other@example.com", "Jane"] {
            assert!(directory.find(login).await.unwrap().is_none(), "{login}");
        }
    }

    #[tokio::test]
    async fn a_password_history_refuses_the_recent_passwords_only() {
        let directory = MemoryDirectory::with_users([jane()]).with_password_history(2);
        directory
            .set_password("jane", "First-Passw0rd!")
            .await
            .unwrap();
        directory
            .set_password("jane", "Second-Passw0rd!")
            .await
            .unwrap();
        let hash = directory.user("jane").unwrap().password_hash;
        for recent in ["Second-Passw0rd!", "First-Passw0rd!"] {
            assert_eq!(
                directory.set_password("jane", recent).await,
                Err(PasswordChangeError::RecentlyUsed(
                    PASSWORD_RECENTLY_USED.into()
                )),
                "{recent}"
            );
        }
        assert_eq!(
            directory.user("jane").unwrap().password_hash,
            hash,
            "unchanged"
        );
        directory
            .set_password("jane", "Third-Passw0rd!")
            .await
            .unwrap();
        // Two back now: out of a history of two.
        directory
            .set_password("jane", "First-Passw0rd!")
            .await
            .unwrap();
        // No history: any password, the current one included.
        let plain = MemoryDirectory::with_users([jane()]);
        plain.set_password("jane", "First-Passw0rd!").await.unwrap();
        plain.set_password("jane", "First-Passw0rd!").await.unwrap();
    }
}
