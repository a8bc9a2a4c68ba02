//! A legacy user source in memory: the pool file's `LegacyUsers`, `LEGACY_USERS_FILE`, tests.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::domain::migration::LegacyUser;
use crate::ports::{LegacyUserSource, StoreError};

pub struct MemoryLegacyUsers {
    users: HashMap<String, LegacyUser>,
}

impl MemoryLegacyUsers {
    pub fn new(users: impl IntoIterator<Item = LegacyUser>) -> Self {
        Self {
            users: users.into_iter().map(|u| (u.username.clone(), u)).collect(),
        }
    }
}

#[async_trait]
impl LegacyUserSource for MemoryLegacyUsers {
    /// By username, or by email (case-insensitive), as a legacy system keyed either way would.
    async fn find(&self, login: &str) -> Result<Option<LegacyUser>, StoreError> {
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
