//! The user directory on the DynamoDB users table (feature `dynamodb`; the table in
//! `dynamodb_tables::schema`): item mapping and the one-read lookup. A lookup is one read: GetItem
//! by username, or one Query on the index the login's form names (email, phone number; a
//! sub-shaped login both GetItem and the sub Query, whatever either finds); an email or phone
//! matches only where it is verified. A password change is one conditional UpdateItem,
//! sent once.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::adapters::aws_errors::DYNAMODB;
use crate::adapters::dynamodb_tables::Item;
use crate::adapters::dynamodb_tables::schema::*;
use crate::domain::login::{LoginForm, looks_like_sub};
use crate::domain::user::{Attributes, MfaChannel, User, UserStatus};
use crate::ports::{Created, PasswordChangeError, StoreError, UserDirectory};

/// `UserDirectory` on the users table. Built once per process; cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct DynamoDbDirectory {
    client: Client,
    /// The users table's name.
    table: String,
}

impl DynamoDbDirectory {
    pub fn new(client: Client, users_table: impl Into<String>) -> Self {
        Self {
            client,
            table: users_table.into(),
        }
    }
}

/// A user as the users table stores it. Alias keys are copies kept for the indexes.
pub struct UserItem(pub Item);

impl From<&User> for UserItem {
    fn from(user: &User) -> Self {
        let s = |v: &str| AttributeValue::S(v.to_string());
        let mut item = Item::new();
        item.insert(USERS_KEY.into(), s(&user.username));
        item.insert(USERS_SUB.into(), s(&user.sub));
        item.insert(USERS_STATUS.into(), s(user.status.as_str()));
        item.insert(USERS_ENABLED.into(), AttributeValue::Bool(user.enabled));
        let attributes = user
            .attributes
            .0
            .iter()
            .map(|(k, v)| (k.clone(), s(v)))
            .collect();
        item.insert(USERS_ATTRIBUTES.into(), AttributeValue::M(attributes));
        if let Some(hash) = &user.password_hash {
            item.insert(USERS_PASSWORD_HASH.into(), s(hash));
        }
        if let Some(mfa) = user.mfa {
            item.insert(USERS_MFA.into(), s(mfa_name(mfa)));
        }
        // Index keys cannot be empty strings: an absent alias is an absent key.
        if let Some(email) = user.email() {
            item.insert(USERS_EMAIL_KEY.into(), s(&email.to_lowercase()));
        }
        if let Some(phone) = user.phone_number() {
            item.insert(USERS_PHONE_KEY.into(), s(phone));
        }
        UserItem(item)
    }
}

fn mfa_name(mfa: MfaChannel) -> &'static str {
    match mfa {
        MfaChannel::Sms => "SMS",
        MfaChannel::Email => "EMAIL",
        MfaChannel::SoftwareToken => "SOFTWARE_TOKEN",
    }
}

/// Reads a user item; `table` names the table in errors.
pub struct FromTable<'a>(pub &'a str, pub Item);

impl TryFrom<FromTable<'_>> for User {
    type Error = StoreError;

    fn try_from(FromTable(table, item): FromTable<'_>) -> Result<Self, StoreError> {
        let username = match item.get(USERS_KEY) {
            Some(AttributeValue::S(u)) => u.clone(),
            _ => return Err(DYNAMODB.malformed(table, "?", USERS_KEY)),
        };
        let bad = |field: &str| DYNAMODB.malformed(table, &username, field);
        let string = |field: &str| match item.get(field) {
            Some(AttributeValue::S(v)) => Ok(Some(v.clone())),
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(_) => Err(bad(field)),
        };
        let sub = string(USERS_SUB)?.ok_or_else(|| bad(USERS_SUB))?;
        let status = string(USERS_STATUS)?
            .and_then(|s| serde_json::from_value::<UserStatus>(serde_json::Value::String(s)).ok())
            .ok_or_else(|| bad(USERS_STATUS))?;
        let enabled = match item.get(USERS_ENABLED) {
            None => true,
            Some(AttributeValue::Bool(b)) => *b,
            Some(_) => return Err(bad(USERS_ENABLED)),
        };
        let mut attributes = BTreeMap::new();
        match item.get(USERS_ATTRIBUTES) {
            None => {}
            Some(AttributeValue::M(map)) => {
                for (name, value) in map {
                    let value = match value {
                        AttributeValue::S(v) => v.clone(),
                        AttributeValue::Bool(b) => b.to_string(),
                        AttributeValue::N(n) => n.clone(),
                        _ => return Err(bad(&format!("{USERS_ATTRIBUTES}.{name}"))),
                    };
                    attributes.insert(name.clone(), value);
                }
            }
            Some(_) => return Err(bad(USERS_ATTRIBUTES)),
        }
        let password_hash = string(USERS_PASSWORD_HASH)?;
        let mfa = match string(USERS_MFA)? {
            None => None,
            Some(name) => Some(
                serde_json::from_value::<MfaChannel>(serde_json::Value::String(name))
                    .map_err(|_| bad(USERS_MFA))?,
            ),
        };
        Ok(User {
            username,
            sub,
            status,
            enabled,
            attributes: Attributes(attributes),
            password_hash,
            mfa,
        })
    }
}

impl DynamoDbDirectory {
    async fn get_user(&self, username: &str) -> Result<Option<User>, StoreError> {
        let table = &self.table;
        let out = self
            .client
            .get_item()
            .table_name(table)
            .key(USERS_KEY, AttributeValue::S(username.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| DYNAMODB.store_error("GetItem", table, e))?;
        out.item
            .map(|item| User::try_from(FromTable(table, item)))
            .transpose()
    }

    async fn query_user(
        &self,
        index: &str,
        attribute: &str,
        value: &str,
    ) -> Result<Option<User>, StoreError> {
        let table = &self.table;
        let out = self
            .client
            .query()
            .table_name(table)
            .index_name(index)
            .key_condition_expression("#k = :v")
            .expression_attribute_names("#k", attribute)
            .expression_attribute_values(":v", AttributeValue::S(value.to_string()))
            .send()
            .await
            .map_err(|e| DYNAMODB.store_error("Query", table, e))?;
        let mut users = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| User::try_from(FromTable(table, item)))
            .collect::<Result<Vec<_>, _>>()?;
        // An email or phone number is a login only where its user verified it, as in Cognito;
        // the sub is always one.
        let flag = match index {
            USERS_EMAIL_INDEX => Some("email_verified"),
            USERS_PHONE_INDEX => Some("phone_number_verified"),
            _ => None,
        };
        users.retain(|u| flag.is_none_or(|flag| u.attributes.is_true(flag)));
        if users.len() > 1 {
            // Cognito keeps a verified alias to one user; two mean no login to trust.
            tracing::warn!(
                index,
                count = users.len(),
                "alias verified by several users; none is used"
            );
            return Ok(None);
        }
        Ok(users.pop())
    }

    /// Writes a user, replacing any with the same username: the import tool's write (the port's
    /// `create` never replaces).
    pub async fn put_user(&self, user: &User) -> Result<(), StoreError> {
        let table = &self.table;
        self.client
            .put_item()
            .table_name(table)
            .set_item(Some(UserItem::from(user).0))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| DYNAMODB.store_error("PutItem", table, e))
    }
}

#[async_trait]
impl UserDirectory for DynamoDbDirectory {
    async fn find(&self, login: &str) -> Result<Option<User>, StoreError> {
        match LoginForm::of(login) {
            LoginForm::Email => {
                self.query_user(USERS_EMAIL_INDEX, USERS_EMAIL_KEY, &login.to_lowercase())
                    .await
            }
            LoginForm::Phone => {
                self.query_user(USERS_PHONE_INDEX, USERS_PHONE_KEY, login)
                    .await
            }
            // A sub-shaped login costs both reads whether or not a username matched: the
            // calls never depend on who exists.
            LoginForm::Username if looks_like_sub(login) => {
                let by_name = self.get_user(login).await?;
                let by_sub = self.query_user(USERS_SUB_INDEX, USERS_SUB, login).await?;
                Ok(by_name.or(by_sub))
            }
            LoginForm::Username => self.get_user(login).await,
        }
    }

    async fn create(&self, user: &User) -> Result<Created, StoreError> {
        let table = &self.table;
        let result = self
            .client
            .put_item()
            .table_name(table)
            .set_item(Some(UserItem::from(user).0))
            // A migration never replaces a user who exists meanwhile.
            .condition_expression("attribute_not_exists(#u)")
            .expression_attribute_names("#u", USERS_KEY)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Created::Created),
            Err(SdkError::ServiceError(service))
                if matches!(
                    service.err(),
                    PutItemError::ConditionalCheckFailedException(_)
                ) =>
            {
                Ok(Created::Exists)
            }
            Err(e) => Err(DYNAMODB.store_error("PutItem", table, e)),
        }
    }

    /// One UpdateItem on the user's attribute map, on condition that the user exists.
    async fn mark_email_verified(&self, username: &str) -> Result<(), StoreError> {
        let table = &self.table;
        self.client
            .update_item()
            .table_name(table)
            .key(USERS_KEY, AttributeValue::S(username.to_string()))
            .update_expression("SET #a.#v = :t")
            .condition_expression("attribute_exists(#u)")
            .expression_attribute_names("#a", USERS_ATTRIBUTES)
            .expression_attribute_names("#v", "email_verified")
            .expression_attribute_names("#u", USERS_KEY)
            .expression_attribute_values(":t", AttributeValue::S("true".into()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| DYNAMODB.store_error("UpdateItem", table, e))
    }

    /// One conditional UpdateItem, one attempt (no SDK retry, so a refusal answers the request
    /// that was made): a 4xx changed nothing; a 5xx, a timeout or a lost connection may have.
    async fn set_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(), PasswordChangeError> {
        let hash = crate::adapters::directory::password_hashing::hash(password).await?;
        let table = &self.table;
        let sent = self
            .client
            .update_item()
            .table_name(table)
            .key(USERS_KEY, AttributeValue::S(username.to_string()))
            .update_expression("SET #h = :h, #s = :s")
            .condition_expression("attribute_exists(#u)")
            .expression_attribute_names("#h", USERS_PASSWORD_HASH)
            .expression_attribute_names("#s", USERS_STATUS)
            .expression_attribute_names("#u", USERS_KEY)
            .expression_attribute_values(":h", AttributeValue::S(hash))
            .expression_attribute_values(
                ":s",
                AttributeValue::S(UserStatus::Confirmed.as_str().to_string()),
            )
            .customize()
            .config_override(
                aws_sdk_dynamodb::config::Builder::default()
                    .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled()),
            )
            .send()
            .await;
        let Err(e) = sent else {
            return Ok(());
        };
        let answered = match &e {
            SdkError::ServiceError(service) => service.raw().status().as_u16() < 500,
            SdkError::ConstructionFailure(_) => true,
            _ => false,
        };
        let error = DYNAMODB.store_error("UpdateItem", table, e);
        if answered {
            Err(error.into())
        } else {
            Err(PasswordChangeError::Unknown(error.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jane() -> User {
        serde_json::from_value(serde_json::json!({
            "Username": "jane", "Sub": "7d8e2f10-1b3c-4c5d-9e6f-0a1b2c3d4e5f", "Status": "CONFIRMED",
            "Attributes": {"email": "Jane@Example.com", "email_verified": "true"},
            "PasswordHash": "$argon2id$x", "Mfa": "SOFTWARE_TOKEN"
        }))
        .unwrap()
    }

    #[test]
    fn a_user_survives_the_round_trip_through_an_item() {
        let item = UserItem::from(&jane()).0;
        assert_eq!(
            item.get(USERS_EMAIL_KEY),
            Some(&AttributeValue::S("jane@example.com".into()))
        );
        assert!(!item.contains_key(USERS_PHONE_KEY));
        let back = User::try_from(FromTable("users", item)).unwrap();
        assert!(back == jane());
    }

    #[test]
    fn malformed_items_name_the_key_and_field() {
        let mut item = UserItem::from(&jane()).0;
        item.insert(USERS_STATUS.into(), AttributeValue::S("SLEEPING".into()));
        assert_eq!(
            User::try_from(FromTable("users", item.clone())).err(),
            Some(StoreError::Malformed {
                key: "users/jane".into(),
                field: USERS_STATUS.into()
            })
        );
        item.insert(USERS_STATUS.into(), AttributeValue::S("CONFIRMED".into()));
        item.insert(USERS_ENABLED.into(), AttributeValue::S("yes".into()));
        assert!(matches!(
            User::try_from(FromTable("users", item.clone())),
            Err(StoreError::Malformed { field, .. }) if field == USERS_ENABLED
        ));
        item.remove(USERS_KEY);
        assert!(matches!(
            User::try_from(FromTable("users", item)),
            Err(StoreError::Malformed { key, field }) if key == "users/?" && field == USERS_KEY
        ));
    }
}
