//! Harness for the DynamoDB tests: the real SDK against moto at `MOTO_ENDPOINT`, fresh tables per
//! test, an interceptor counting the requests sent per operation, and the service on top.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_dynamodb::error::BoxError;
use password_reset::ResetService;
use password_reset::adapters::codes::dynamodb::DynamoCodes;
use password_reset::adapters::directory::dynamodb::DynamoDirectory;
use password_reset::adapters::dynamodb_tables::{Tables, create_tables};
use password_reset::config::Settings;

pub fn moto_endpoint() -> String {
    std::env::var("MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "MOTO_ENDPOINT is not set: these tests need moto_server. Run them with scripts/test, \
             which starts it (or start `moto_server -H 127.0.0.1 -p PORT` and export \
             MOTO_ENDPOINT=http://127.0.0.1:PORT)."
        )
    })
}

/// Requests sent, by operation name (`GetItem`, `UpdateItem`, ...), retries included.
#[derive(Debug, Clone, Default)]
pub struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    pub fn take(&self) -> BTreeMap<String, usize> {
        let mut calls = self.0.lock().unwrap();
        let mut counts = BTreeMap::new();
        for op in calls.drain(..) {
            *counts.entry(op).or_insert(0) += 1;
        }
        counts
    }
}

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "CountCalls"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("?");
        let op = target.rsplit('.').next().unwrap_or(target).to_string();
        self.0.lock().unwrap().push(op);
        Ok(())
    }
}

pub fn client(calls: &Calls) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .endpoint_url(moto_endpoint())
        .interceptor(calls.clone())
        .build();
    Client::from_conf(config)
}

pub fn unique_tables(test: &str) -> Tables {
    static N: AtomicUsize = AtomicUsize::new(0);
    let id = format!(
        "{test}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    Tables {
        users: format!("users-{id}"),
        codes: format!("codes-{id}"),
    }
}

pub use crate::inbox::{Inbox, PASSWORD, confirm, forgot};

pub struct Fixture {
    pub service: Arc<ResetService>,
    pub store: Arc<DynamoDirectory>,
    pub inbox: Arc<Inbox>,
    pub calls: Calls,
    pub client: Client,
    pub tables: Tables,
}

/// The demo pool's settings, with `edit` applied to its JSON first.
pub fn settings(edit: impl FnOnce(&mut serde_json::Value)) -> Settings {
    let mut pool: serde_json::Value =
        serde_json::from_str(include_str!("../../config/demo-pool.json")).unwrap();
    pool.as_object_mut().unwrap().remove("Outbox");
    edit(&mut pool);
    Settings::from_json(&pool.to_string()).expect("pool settings")
}

/// Fresh tables holding the demo pool's users, and the service on them.
pub async fn fixture(test: &str, settings: Settings) -> Fixture {
    let calls = Calls::default();
    let client = client(&calls);
    let tables = unique_tables(test);
    create_tables(&client, &tables).await.unwrap();
    let store = Arc::new(DynamoDirectory::new(client.clone(), &tables.users));
    for user in &settings.users {
        store.put_user(user).await.unwrap();
    }
    let embedded =
        password_reset::embedded::assemble(&settings, &mut password_reset::request_rng(), false);
    let inbox = Arc::new(Inbox::default());
    let mut service = embedded.service;
    service.users = store.clone();
    service.codes = Arc::new(DynamoCodes::new(
        client.clone(),
        &tables.codes,
        &settings.pool.codes,
    ));
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
