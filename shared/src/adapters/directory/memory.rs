//! The embedded directory: users behind one lock, looked up as the DynamoDB directory looks them
//! up (by username, by the alias the login's form names, or by sub).

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::login::LoginForm;
use crate::domain::user::{User, UserStatus};
use crate::ports::{Created, PasswordChangeError, StoreError, UserDirectory};

#[derive(Default)]
pub struct MemoryDirectory {
    users: Mutex<HashMap<String, User>>,
}

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
        }
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

    async fn set_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(), PasswordChangeError> {
        // Hashed before taking the lock: argon2 takes tens of milliseconds.
        let hash = super::password_hashing::hash(password).await?;
        let mut users = self.users.lock().map_err(poisoned)?;
        let user = users.get_mut(username).ok_or_else(|| {
            StoreError::Unavailable(format!("user {username} disappeared during a reset"))
        })?;
        user.password_hash = Some(hash);
        user.status = UserStatus::Confirmed;
        Ok(())
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
}
