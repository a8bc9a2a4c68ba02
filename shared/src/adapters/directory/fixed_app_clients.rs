//! App clients from settings (the pool file, `APP_CLIENTS`): the directories that are not a user pool.

use async_trait::async_trait;

use crate::domain::pool::AppClient;
use crate::ports::{AppClients, StoreError};

pub struct FixedAppClients(Vec<AppClient>);

impl FixedAppClients {
    pub fn new(clients: Vec<AppClient>) -> Self {
        Self(clients)
    }
}

#[async_trait]
impl AppClients for FixedAppClients {
    async fn find(&self, client_id: &str) -> Result<Option<AppClient>, StoreError> {
        Ok(self.0.iter().find(|c| c.client_id == client_id).cloned())
    }
}
