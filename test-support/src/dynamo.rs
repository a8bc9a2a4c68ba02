//! The DynamoDB suites' fixture: the real SDK against moto, fresh tables per test holding the demo
//! pool's users, the requests counted per operation, and the service on top.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use password_reset::adapters::codes::dynamodb::DynamoDbCodes;
use password_reset::adapters::codes::dynamodb::claim_with_password::DynamoDbClaims;
use password_reset::adapters::directory::dynamodb::DynamoDbDirectory;
use password_reset::adapters::dynamodb_tables::{Tables, create_tables};
use password_reset::config::Settings;
use password_reset::domain::caller::Caller;
use password_reset::domain::time::UnixTime;
use password_reset::ports::UserDirectory;
use password_reset::usecases::ForgotPasswordResponse;
use password_reset::{CognitoError, ResetService};

use crate::inbox::Inbox;
use crate::moto::{self, Calls};
use crate::requests::{Operations, confirm, forgot};
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

/// New tables on `client`, the users table holding `settings`' users: the directory on them.
pub async fn store_with(
    client: &Client,
    tables: &Tables,
    settings: &Settings,
) -> Arc<DynamoDbDirectory> {
    create_tables(client, tables).await.unwrap();
    let store = Arc::new(DynamoDbDirectory::new(client.clone(), &tables.users));
    for user in &settings.users {
        store.put_user(user).await.unwrap();
    }
    store
}

pub struct Fixture {
    pub service: Arc<ResetService>,
    pub store: Arc<DynamoDbDirectory>,
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
    service.ports.users = store.clone();
    let codes = DynamoDbCodes::new(client.clone(), &tables.codes, &settings.pool.codes);
    service.ports.codes = Arc::new(codes.clone());
    // As deployed: the claim and the password in one transaction over both tables.
    service.ports.claims = Some(Arc::new(DynamoDbClaims::new(codes, &tables.users)));
    service.ports.email = inbox.clone();
    service.ports.sms = inbox.clone();
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

impl Fixture {
    /// ForgotPassword for `login` from an unknown caller at `now`.
    pub async fn ask(
        &self,
        login: &str,
        now: UnixTime,
    ) -> Result<ForgotPasswordResponse, CognitoError> {
        self.service
            .forgot_at(&forgot(login), now, &mut password_reset::request_rng())
            .await
    }

    /// ConfirmForgotPassword for `login` with `code` from an unknown caller at `now`.
    pub async fn confirm(
        &self,
        login: &str,
        code: &str,
        now: UnixTime,
    ) -> Result<(), CognitoError> {
        self.service.confirm_at(&confirm(login, code), now).await
    }

    /// The code a ForgotPassword for jane at `now` sends her, which must be sent.
    pub async fn janes_code(&self, now: UnixTime) -> String {
        self.ask("jane", now).await.unwrap();
        self.inbox.last_code("jane@example.com")
    }

    /// One ForgotPassword per login, all at once, from `caller` at `now`: the results as they end.
    pub async fn forgot_burst(
        &self,
        logins: impl IntoIterator<Item = String>,
        caller: Caller,
        now: UnixTime,
    ) -> Vec<Result<ForgotPasswordResponse, CognitoError>> {
        let mut tasks = tokio::task::JoinSet::new();
        for login in logins {
            let s = self.service.clone();
            tasks.spawn(async move {
                s.forgot_password(
                    &forgot(&login),
                    &caller,
                    now,
                    &mut password_reset::request_rng(),
                )
                .await
            });
        }
        tasks.join_all().await
    }

    /// One ConfirmForgotPassword for jane per code, all at once, at `now`: the results as they end.
    pub async fn confirm_burst(
        &self,
        codes: impl IntoIterator<Item = String>,
        now: UnixTime,
    ) -> Vec<Result<(), CognitoError>> {
        let mut tasks = tokio::task::JoinSet::new();
        for code in codes {
            let s = self.service.clone();
            tasks.spawn(async move { s.confirm_at(&confirm("jane", &code), now).await });
        }
        tasks.join_all().await
    }

    /// The stored password hash of `user`, who must exist.
    pub async fn password_hash(&self, user: &str) -> Option<String> {
        self.store.find(user).await.unwrap().unwrap().password_hash
    }
}
