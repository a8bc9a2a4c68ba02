//! The DynamoDB migration source against moto (MOTO_ENDPOINT, started by scripts/test): lookups by
//! key and by email index, the attribute mapping, malformed items, and the migration on top.

#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType,
};
use password_reset::adapters::migration_source::dynamodb::{DynamoDbSourceUsers, SourceTable};
use password_reset::domain::delivery::DeliveryMedium;
use password_reset::domain::recovery::AccountRecovery;
use password_reset::domain::user::UserStatus;
use password_reset::ports::{MigrationSource, StoreError};
use password_reset::usecases::migrate_user;
use test_support::moto::{self, Calls};
use test_support::unique;

const BCRYPT: &str = "$2b$10$ZETsWQzqXUbfW1ira0Dqb.fDtCbquWvQ/ARYWZe.2ix76soES1GS.";

async fn client() -> Client {
    moto::dynamodb(&Calls::default())
}

/// A source table shaped the way an old system might have it: `login` key, `mail` column, an
/// email index; unique name per test, since tests run in parallel.
async fn source_table(client: &Client) -> String {
    let name = unique("source-users");
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let hash = |n: &str| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(KeyType::Hash)
            .build()
            .unwrap()
    };
    client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("login"))
        .attribute_definitions(attr("mail"))
        .key_schema(hash("login"))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by-mail")
                .key_schema(hash("mail"))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let put = |item: Vec<(&str, AttributeValue)>| {
        client
            .put_item()
            .table_name(&name)
            .set_item(Some(
                item.into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<HashMap<_, _>>(),
            ))
            .send()
    };
    put(vec![
        ("login", AttributeValue::S("lena".into())),
        ("mail", AttributeValue::S("lena@legacy.example.com".into())),
        ("full_name", AttributeValue::S("Lena".into())),
        ("password_hash", AttributeValue::S(BCRYPT.into())),
    ])
    .await
    .unwrap();
    put(vec![
        ("login", AttributeValue::S("broken".into())),
        ("password_hash", AttributeValue::N("42".into())),
    ])
    .await
    .unwrap();
    name
}

fn mapping(table: &str) -> SourceTable {
    let env: HashMap<&str, String> = [
        ("SOURCE_TABLE", table.to_string()),
        ("SOURCE_KEY", "login".into()),
        (
            "SOURCE_ATTRIBUTES",
            r#"{"email": "mail", "name": "full_name"}"#.into(),
        ),
        ("SOURCE_EMAIL_INDEX", "by-mail".into()),
        ("SOURCE_ASSUME_VERIFIED", "true".into()),
    ]
    .into_iter()
    .collect();
    SourceTable::from_env(&|k: &str| env.get(k).cloned()).unwrap()
}

#[tokio::test]
async fn lookups_by_key_and_by_email_with_the_mapping() {
    let client = client().await;
    let table = source_table(&client).await;
    let source = DynamoDbSourceUsers::new(client, mapping(&table));
    for login in ["lena", "lena@legacy.example.com"] {
        let user = source.find(login).await.unwrap().unwrap();
        assert_eq!(user.username, "lena");
        assert_eq!(
            user.attributes.get("email"),
            Some("lena@legacy.example.com")
        );
        assert_eq!(user.attributes.get("email_verified"), Some("true"));
        assert_eq!(user.attributes.get("name"), Some("Lena"));
        assert_eq!(user.password_hash.as_deref(), Some(BCRYPT));
    }
    assert!(source.find("nobody").await.unwrap().is_none());
    assert!(
        source
            .find("nobody@legacy.example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        source.find("broken").await.unwrap_err(),
        StoreError::Malformed {
            key: format!("{table}/login"),
            field: "password_hash".into()
        }
    );
}

#[tokio::test]
async fn migrations_read_from_the_table() {
    let client = client().await;
    let table = source_table(&client).await;
    let source = DynamoDbSourceUsers::new(client, mapping(&table));
    let recovery = AccountRecovery::Legacy;
    let reset = migrate_user::for_forgot_password(&source, &recovery, "lena")
        .await
        .unwrap();
    assert_eq!(reset.final_user_status, UserStatus::ResetRequired);
    assert_eq!(reset.desired_delivery_mediums, vec![DeliveryMedium::Email]);
    let sign_in = migrate_user::for_sign_in(&source, &recovery, "lena", "Legacy-Passw0rd!")
        .await
        .unwrap();
    assert_eq!(sign_in.final_user_status, UserStatus::Confirmed);
    let wrong = migrate_user::for_sign_in(&source, &recovery, "lena", "nope")
        .await
        .unwrap_err();
    assert_eq!(wrong.to_string(), "Incorrect username or password.");
}

#[tokio::test]
async fn a_missing_table_is_unavailable_not_unknown() {
    let client = client().await;
    let source = DynamoDbSourceUsers::new(client, mapping("no-such-source-table"));
    assert!(matches!(
        source.find("lena").await,
        Err(StoreError::Unavailable(_))
    ));
}
