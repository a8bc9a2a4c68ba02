//! What one container learned from the pool, shared with the others through the codes table the
//! stack already has: one item per fact, keyed `pool#<pool id>` (a key no code record can take:
//! theirs are hex digests), holding the fact's JSON and when it was learned. Every container
//! reads it before asking Cognito, so a surge of cold starts costs the account's shared quota a
//! few calls, not one per container. DynamoDB's TTL (`purge_at`) removes an item a day after it
//! was written: until then a stale one is still an answer when Cognito throttles.
//!
//! Best effort: a read or write that fails is logged and taken as a miss, never a failure.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::adapters::aws_errors::DYNAMODB;
use crate::adapters::dynamodb_tables::schema::{CODES_KEY, CODES_TTL};

/// The fact's JSON.
const FACT: &str = "fact";
/// When it was learned, Unix seconds.
const LEARNED_AT: &str = "learned_at";
/// How long past its learning an item is kept for a throttled container to fall back on.
const KEPT: Duration = Duration::from_secs(24 * 3600);

/// A fact as read back: its JSON and its age.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SharedFact {
    pub json: String,
    pub age: Duration,
}

/// The codes table, as the place containers share what they learned.
#[derive(Debug, Clone)]
pub struct SharedTable {
    client: Client,
    table: String,
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl SharedTable {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    fn key(name: &str) -> String {
        format!("pool#{name}")
    }

    /// The table key of the fact `name` (what a sealed fact is bound to).
    pub(super) fn item_key(&self, name: &str) -> String {
        Self::key(name)
    }

    /// The fact `name`, if a container wrote it and DynamoDB has not purged it.
    pub(super) async fn read(&self, name: &str) -> Option<SharedFact> {
        let key = Self::key(name);
        let got = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(CODES_KEY, AttributeValue::S(key.clone()))
            .projection_expression("#f, #l")
            .expression_attribute_names("#f", FACT)
            .expression_attribute_names("#l", LEARNED_AT)
            .send()
            .await;
        let item = match got {
            Ok(out) => out.item?,
            Err(e) => {
                let e = DYNAMODB.store_error("GetItem", &self.table, e);
                tracing::warn!(error = %e, "the shared pool item could not be read");
                return None;
            }
        };
        let json = item.get(FACT)?.as_s().ok()?.clone();
        let learned: u64 = item.get(LEARNED_AT)?.as_n().ok()?.parse().ok()?;
        let age = Duration::from_secs(now_seconds().saturating_sub(learned));
        Some(SharedFact { json, age })
    }

    /// Writes the fact `name`, unless a container wrote a newer one meanwhile.
    pub(super) async fn write(&self, name: &str, json: String) {
        let now = now_seconds();
        let written = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(CODES_KEY, AttributeValue::S(Self::key(name)))
            .update_expression("SET #f = :f, #l = :l, #p = :p")
            .condition_expression("attribute_not_exists(#l) OR #l < :l")
            .expression_attribute_names("#f", FACT)
            .expression_attribute_names("#l", LEARNED_AT)
            .expression_attribute_names("#p", CODES_TTL)
            .expression_attribute_values(":f", AttributeValue::S(json))
            .expression_attribute_values(":l", AttributeValue::N(now.to_string()))
            .expression_attribute_values(
                ":p",
                AttributeValue::N((now + KEPT.as_secs()).to_string()),
            )
            .send()
            .await;
        if let Err(e) = written {
            let newer = e
                .as_service_error()
                .is_some_and(|s| s.is_conditional_check_failed_exception());
            if !newer {
                let e = DYNAMODB.store_error("UpdateItem", &self.table, e);
                tracing::warn!(error = %e, "the shared pool item could not be written");
            }
        }
    }
}
