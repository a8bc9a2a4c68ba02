//! App clients shared between containers through the codes table (moto's DynamoDB and
//! cognito-idp, through the real SDK): what one container described costs the next no
//! DescribeUserPoolClient, the table never holds the secret in the clear, an item sealed under
//! another code key is asked again, and a stale item answers when Cognito throttles.

#![cfg(feature = "dynamodb")]

use super::*;
use aws_sdk_dynamodb::types::AttributeValue;
use password_reset::adapters::directory::cognito::SharedTable;
use password_reset::adapters::dynamodb_tables::create_tables;
use password_reset::adapters::dynamodb_tables::schema::CODES_KEY;
use password_reset::domain::code::CodeKeys;
use test_support::dynamo::unique_tables;
use test_support::fault_proxy::{Fault, FaultProxy};

const DESCRIBE_CLIENT: &str = "DescribeUserPoolClient";

/// The codes table, fresh, as the containers' shared place.
struct Shared {
    dynamodb: aws_sdk_dynamodb::Client,
    table_name: String,
    table: SharedTable,
}

async fn shared_table(test: &str) -> Shared {
    let tables = unique_tables(test);
    let dynamodb = moto::dynamodb(&Calls::default());
    create_tables(&dynamodb, &tables).await.unwrap();
    Shared {
        table: SharedTable::new(dynamodb.clone(), tables.codes.clone()),
        dynamodb,
        table_name: tables.codes,
    }
}

impl Shared {
    fn key(pool: &str, client: &str) -> String {
        format!("pool#{pool}#client#{client}")
    }

    /// The item as DynamoDB holds it, every attribute.
    async fn raw(&self, pool: &str, client: &str) -> Option<String> {
        let out = self
            .dynamodb
            .get_item()
            .table_name(&self.table_name)
            .key(CODES_KEY, AttributeValue::S(Self::key(pool, client)))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        out.item.map(|item| format!("{item:?}"))
    }

    /// Makes the item look learned `seconds` ago.
    async fn age(&self, pool: &str, client: &str, seconds: u64) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        self.dynamodb
            .update_item()
            .table_name(&self.table_name)
            .key(CODES_KEY, AttributeValue::S(Self::key(pool, client)))
            .update_expression("SET learned_at = :l")
            .condition_expression("attribute_exists(learned_at)")
            .expression_attribute_values(":l", AttributeValue::N((now - seconds).to_string()))
            .send()
            .await
            .unwrap();
    }
}

/// A new container on the pool through `cognito`, sharing through `shared` under `keys`.
async fn container(
    f: &Fixture,
    cognito: Client,
    shared: &Shared,
    keys: &CodeKeys,
) -> Arc<CognitoPool> {
    let pool = CognitoPool::connect_sharing(
        cognito,
        f.pool_id.clone(),
        CognitoOptions::default(),
        Some(&shared.table),
    )
    .await
    .unwrap();
    pool.share_clients_under(keys);
    Arc::new(pool)
}

fn other_keys() -> CodeKeys {
    CodeKey::from_bytes(&[9u8; 32]).unwrap().into()
}

#[tokio::test]
async fn a_client_one_container_described_costs_the_next_none_and_is_sealed() {
    let f = fixture(|b| b, CognitoOptions::default()).await;
    f.add("jane", &JANE, Some(OLD_PASSWORD)).await;
    let (app, secret) = app_client(&f.client, &f.pool_id, true).await;
    let secret = secret.unwrap();
    let shared = shared_table("shared-clients").await;
    let keys = CodeKeys::from(key());

    let first_calls = Calls::default();
    let first = container(&f, moto::cognito(&first_calls), &shared, &keys).await;
    first_calls.take();
    let found = AppClients::find(&*first, &app).await.unwrap().unwrap();
    assert_eq!(found.client_secret.as_deref(), Some(secret.as_str()));
    assert_eq!(first_calls.take(), counts(&[(DESCRIBE_CLIENT, 1)]));
    let item = shared
        .raw(&f.pool_id, &app)
        .await
        .expect("the client is shared");
    assert!(!item.contains(&secret), "the secret is sealed: {item}");
    // An unknown id is never shared as an answer.
    assert_eq!(
        AppClients::find(&*first, "unknownclient123").await.unwrap(),
        None
    );
    assert_eq!(shared.raw(&f.pool_id, "unknownclient123").await, None);

    let second_calls = Calls::default();
    let second = container(&f, moto::cognito(&second_calls), &shared, &keys).await;
    let (service, inbox) = service_on(
        second,
        Arc::new(MemoryCodes::new()),
        PreventUserExistenceErrors::Enabled,
        None,
    );
    let mut request = forgot(&app, "jane");
    request.secret_hash = Some(secret_hash::compute(&secret, "jane", &f.app).unwrap());
    let e = service
        .forgot_at(&request, T0, &mut rng())
        .await
        .unwrap_err();
    assert_eq!(
        e.kind(),
        "NotAuthorizedException",
        "another client's SecretHash"
    );
    request.secret_hash = Some(secret_hash::compute(&secret, "jane", &app).unwrap());
    service.forgot_at(&request, T0, &mut rng()).await.unwrap();
    assert_eq!(inbox.count(), 1);
    assert_eq!(
        second_calls.take(),
        counts(&[("AdminGetUser", 2)]),
        "neither the pool nor its client described again"
    );
}

#[tokio::test]
async fn a_client_sealed_under_another_key_or_for_another_client_is_asked_again() {
    let f = fixture(|b| b, CognitoOptions::default()).await;
    let (app, secret) = app_client(&f.client, &f.pool_id, true).await;
    let (other_app, other_secret) = app_client(&f.client, &f.pool_id, true).await;
    let shared = shared_table("sealed-clients").await;
    let keys = CodeKeys::from(key());
    let first = container(&f, moto::cognito(&Calls::default()), &shared, &keys).await;
    AppClients::find(&*first, &app).await.unwrap().unwrap();
    // Younger than 5 minutes, yet older than any write to come, which replaces it.
    shared.age(&f.pool_id, &app, 60).await;

    let calls = Calls::default();
    let rotated = container(&f, moto::cognito(&calls), &shared, &other_keys()).await;
    calls.take();
    let found = AppClients::find(&*rotated, &app).await.unwrap().unwrap();
    assert_eq!(found.client_secret, secret);
    assert_eq!(
        calls.take(),
        counts(&[(DESCRIBE_CLIENT, 1)]),
        "not opened: asked again"
    );
    let next = container(&f, moto::cognito(&calls), &shared, &other_keys()).await;
    calls.take();
    AppClients::find(&*next, &app).await.unwrap().unwrap();
    assert_eq!(calls.take(), counts(&[]), "shared again under the new key");

    // The sealed item copied under another client's key does not open there.
    let moved = shared
        .dynamodb
        .get_item()
        .table_name(&shared.table_name)
        .key(CODES_KEY, AttributeValue::S(Shared::key(&f.pool_id, &app)))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let mut moved = moved;
    moved.insert(
        CODES_KEY.into(),
        AttributeValue::S(Shared::key(&f.pool_id, &other_app)),
    );
    shared
        .dynamodb
        .put_item()
        .table_name(&shared.table_name)
        .set_item(Some(moved))
        .send()
        .await
        .unwrap();
    let last = container(&f, moto::cognito(&calls), &shared, &other_keys()).await;
    calls.take();
    let found = AppClients::find(&*last, &other_app).await.unwrap().unwrap();
    assert_eq!(found.client_id, other_app);
    assert_eq!(found.client_secret, other_secret);
    assert_eq!(calls.take(), counts(&[(DESCRIBE_CLIENT, 1)]));
}

#[tokio::test]
async fn a_stale_shared_client_answers_when_cognito_throttles() {
    let f = fixture(|b| b, CognitoOptions::default()).await;
    let (app, secret) = app_client(&f.client, &f.pool_id, true).await;
    let (never_shared, _) = app_client(&f.client, &f.pool_id, true).await;
    let shared = shared_table("stale-clients").await;
    let keys = CodeKeys::from(key());
    let first = container(&f, moto::cognito(&Calls::default()), &shared, &keys).await;
    AppClients::find(&*first, &app).await.unwrap().unwrap();
    shared.age(&f.pool_id, &app, 3600).await;

    let proxy = FaultProxy::start(&moto::endpoint()).await;
    let throttled = container(
        &f,
        moto::cognito_at(&proxy.endpoint(), &Calls::default()),
        &shared,
        &keys,
    )
    .await;
    proxy.break_operation(DESCRIBE_CLIENT, Fault::Throttle, None);
    let found = AppClients::find(&*throttled, &app).await.unwrap().unwrap();
    assert_eq!(found.client_secret, secret);
    assert!(
        proxy.broken(DESCRIBE_CLIENT) >= 1,
        "a stale item is asked again first"
    );
    // Without a shared item, the throttle is the answer.
    let e = AppClients::find(&*throttled, &never_shared)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Throttled), "{e:?}");
}
