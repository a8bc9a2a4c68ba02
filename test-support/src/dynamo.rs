//! The DynamoDB suites' fixture: the real SDK against moto, fresh tables per test holding the demo
//! pool's users, the requests counted per operation, and the service on top.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use password_reset::ResetService;
use password_reset::adapters::dynamodb::{DynamoStore, Tables, create_tables};
use password_reset::config::Settings;

use crate::inbox::Inbox;
use crate::moto::{self, Calls};
use crate::unique;

/// Table names no other test uses.
pub fn unique_tables(test: &str) -> Tables {
    let id = unique(test);
    Tables {
        users: format!("users-{id}"),
        codes: format!("codes-{id}"),
    }
}

/// The demo pool's settings, as a file, with `edit` applied to its JSON first (no outbox).
pub fn settings(edit: impl FnOnce(&mut serde_json::Value)) -> Settings {
    let mut pool: serde_json::Value =
        serde_json::from_str(include_str!("../../config/demo-pool.json")).unwrap();
    pool.as_object_mut().unwrap().remove("Outbox");
    edit(&mut pool);
    Settings::from_json(&pool.to_string()).expect("pool settings")
}

/// New tables on `client` holding `users`, and the store on them.
pub async fn store_with(client: &Client, tables: &Tables, settings: &Settings) -> Arc<DynamoStore> {
    create_tables(client, tables).await.unwrap();
    let store = Arc::new(DynamoStore::new(
        client.clone(),
        tables.clone(),
        &settings.pool.codes,
    ));
    for user in &settings.users {
        store.put_user(user).await.unwrap();
    }
    store
}

pub struct Fixture {
    pub service: Arc<ResetService>,
    pub store: Arc<DynamoStore>,
    pub inbox: Arc<Inbox>,
    pub calls: Calls,
    pub client: Client,
    pub tables: Tables,
}

/// Fresh tables holding the pool's users, and the service on them, its deliveries recorded.
pub async fn fixture(test: &str, settings: Settings) -> Fixture {
    let calls = Calls::default();
    let client = moto::dynamodb(&calls);
    let tables = unique_tables(test);
    let store = store_with(&client, &tables, &settings).await;
    let embedded =
        password_reset::embedded::assemble(&settings, &mut password_reset::request_rng(), false);
    let inbox = Arc::new(Inbox::default());
    let mut service = embedded.service;
    service.users = store.clone();
    service.codes = store.clone();
    service.email = inbox.clone();
    service.sms = inbox.clone();
    calls.take();
    Fixture {
        service: Arc::new(service),
        store,
        inbox,
        calls,
        client,
        tables,
    }
}
