//! A source user source in memory: the pool file's `SourceUsers`, `SOURCE_USERS_FILE`, tests.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::domain::migration::SourceUser;
use crate::ports::{MigrationSource, StoreError};

pub struct MemorySourceUsers {
    users: HashMap<String, SourceUser>,
}

impl MemorySourceUsers {
    pub fn new(users: impl IntoIterator<Item = SourceUser>) -> Self {
        Self {
            users: users.into_iter().map(|u| (u.username.clone(), u)).collect(),
        }
    }
}

#[async_trait]
impl MigrationSource for MemorySourceUsers {
    /// By username, or by email (case-insensitive), as an old system keyed either way would.
    async fn find(&self, login: &str) -> Result<Option<SourceUser>, StoreError> {
        if let Some(user) = self.users.get(login) {
            return Ok(Some(user.clone()));
        }
        Ok(self
            .users
            .values()
            .find(|u| {
                u.attributes
                    .get("email")
                    .is_some_and(|e| e.eq_ignore_ascii_case(login))
            })
            .cloned())
    }
}
