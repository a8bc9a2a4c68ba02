//! A source user table in DynamoDB: one GetItem by the configured key (and, when configured, one
//! Query on an email index for a login that looks like an email). Names are configurable, so an
//! existing table is read as it is.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::adapters::aws_errors::DYNAMODB;
use crate::domain::migration::SourceUser;
use crate::domain::user::Attributes;
use crate::ports::{MigrationSource, StoreError};

pub use crate::config::source_table::SourceTable;

impl SourceTable {
    /// An item as a source user; a key or hash of the wrong type is a malformed item.
    fn read(&self, item: &HashMap<String, AttributeValue>) -> Result<SourceUser, StoreError> {
        // Before the username is read, the item is named by its key attribute.
        let malformed = |field: &str| DYNAMODB.malformed(&self.table, &self.key, field);
        let username = match item.get(&self.key) {
            Some(AttributeValue::S(s)) if !s.is_empty() => s.clone(),
            _ => return Err(malformed(&self.key)),
        };
        let password_hash = match item.get(&self.password_hash) {
            None | Some(AttributeValue::Null(_)) => None,
            Some(AttributeValue::S(s)) => Some(s.clone()),
            Some(_) => return Err(malformed(&self.password_hash)),
        };
        let mut attributes = Attributes::default();
        for (cognito, column) in &self.attributes {
            let value = match item.get(column) {
                Some(AttributeValue::S(s)) => s.clone(),
                Some(AttributeValue::Bool(b)) => b.to_string(),
                Some(AttributeValue::N(n)) => n.clone(),
                _ => continue,
            };
            attributes.set(cognito, value);
        }
        if self.assume_verified {
            for (attr, flag) in [
                ("email", "email_verified"),
                ("phone_number", "phone_number_verified"),
            ] {
                if attributes.get(attr).is_some() && attributes.get(flag).is_none() {
                    attributes.set(flag, "true");
                }
            }
        }
        Ok(SourceUser {
            username,
            attributes,
            password_hash,
        })
    }
}

pub struct DynamoDbSourceUsers {
    client: Client,
    table: SourceTable,
}

impl DynamoDbSourceUsers {
    pub fn new(client: Client, table: SourceTable) -> Self {
        Self { client, table }
    }

    /// On a client of `sdk`, the process's one AWS configuration.
    pub fn connect(sdk: &crate::aws_sdk::SdkConfig, table: SourceTable) -> Self {
        Self::new(Client::new(sdk), table)
    }
}

#[async_trait]
impl MigrationSource for DynamoDbSourceUsers {
    async fn find(&self, login: &str) -> Result<Option<SourceUser>, StoreError> {
        let t = &self.table;
        let got = self
            .client
            .get_item()
            .table_name(&t.table)
            .key(&t.key, AttributeValue::S(login.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| DYNAMODB.store_error("GetItem", &t.table, e))?;
        if let Some(item) = got.item() {
            return t.read(item).map(Some);
        }
        let (Some(index), Some(email_column)) = (&t.email_index, t.attributes.get("email")) else {
            return Ok(None);
        };
        if !login.contains('@') {
            return Ok(None);
        }
        let found = self
            .client
            .query()
            .table_name(&t.table)
            .index_name(index)
            .key_condition_expression("#e = :e")
            .expression_attribute_names("#e", email_column)
            .expression_attribute_values(":e", AttributeValue::S(login.to_string()))
            .limit(2)
            .send()
            .await
            .map_err(|e| DYNAMODB.store_error("Query", &t.table, e))?;
        match found.items() {
            [item] => t.read(item).map(Some),
            [] => Ok(None),
            _ => {
                // Two source accounts share the address: migrating either would be a guess.
                tracing::warn!("source email index holds the address more than once");
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::test_env as env;

    #[test]
    fn settings_and_item_mapping() {
        assert!(
            SourceTable::from_env(&env(&[]))
                .unwrap_err()
                .to_string()
                .contains("SOURCE_TABLE")
        );
        assert!(
            SourceTable::from_env(&env(&[("SOURCE_TABLE", "t"), ("SOURCE_ATTRIBUTES", "[1]")]))
                .unwrap_err()
                .to_string()
                .contains("SOURCE_ATTRIBUTES")
        );
        let t = SourceTable::from_env(&env(&[
            ("SOURCE_TABLE", "old_users"),
            ("SOURCE_KEY", "login"),
            (
                "SOURCE_ATTRIBUTES",
                r#"{"email": "mail", "custom:plan": "plan"}"#,
            ),
            ("SOURCE_ASSUME_VERIFIED", "true"),
        ]))
        .unwrap();
        let item: HashMap<String, AttributeValue> = [
            ("login", AttributeValue::S("lee".into())),
            ("mail", AttributeValue::S("lee@legacy.example.com".into())),
            ("plan", AttributeValue::N("3".into())),
            ("phone_number", AttributeValue::S("+14255550100".into())),
            ("phone_number_verified", AttributeValue::Bool(false)),
            ("password_hash", AttributeValue::S("$2b$04$x".into())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let u = t.read(&item).unwrap();
        assert_eq!(u.username, "lee");
        assert_eq!(u.attributes.get("email"), Some("lee@legacy.example.com"));
        assert_eq!(u.attributes.get("email_verified"), Some("true"));
        assert_eq!(u.attributes.get("phone_number_verified"), Some("false"));
        assert_eq!(u.attributes.get("custom:plan"), Some("3"));
        let mut broken = item.clone();
        broken.insert("password_hash".into(), AttributeValue::N("1".into()));
        assert_eq!(
            t.read(&broken).unwrap_err(),
            StoreError::Malformed {
                key: "old_users/login".into(),
                field: "password_hash".into()
            }
        );
    }
}
