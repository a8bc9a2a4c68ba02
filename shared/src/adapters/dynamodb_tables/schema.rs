//! The two tables, defined once: names of keys, indexes and attributes, and their creation. Table
//! creation (`create_tables`, the local runner's `create-tables`) and the SAM template read these.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

use crate::ports::StoreError;

use crate::adapters::aws_errors::DYNAMODB;

/// The users table: one item per user, keyed by username.
pub const USERS_KEY: &str = "username";
/// Global secondary index on `sub`.
pub const USERS_SUB_INDEX: &str = "sub-index";
pub const USERS_SUB: &str = "sub";
/// Global secondary index on the lowercased email (email logins are case-insensitive).
pub const USERS_EMAIL_INDEX: &str = "email-index";
pub const USERS_EMAIL_KEY: &str = "email_key";
/// Global secondary index on the phone number as stored (E.164).
pub const USERS_PHONE_INDEX: &str = "phone-index";
pub const USERS_PHONE_KEY: &str = "phone_key";
pub const USERS_STATUS: &str = "status";
pub const USERS_ENABLED: &str = "enabled";
pub const USERS_ATTRIBUTES: &str = "attributes";
pub const USERS_PASSWORD_HASH: &str = "password_hash";
pub const USERS_MFA: &str = "mfa";

/// The codes table: one item per user key (a username, or a decoy key for logins with no user).
pub const CODES_KEY: &str = "user_key";
/// HMAC-SHA256 of the live code (Binary, 32 bytes); absent when there is no live code.
pub const CODES_DIGEST: &str = "digest";
/// The id of the code key the digest was made with (String); a code item with a digest and no key
/// id (issued before key ids) is refused as expired.
pub const CODES_KEY_ID: &str = "key_id";
pub const CODES_ISSUED_AT: &str = "issued_at";
/// When the live code stops being accepted (Unix seconds), checked in code on every confirm.
pub const CODES_EXPIRES_AT: &str = "expires_at";
/// Attempts judged against the live code, counted before the compare (see `CodeStore::redeem`).
pub const CODES_ATTEMPTS: &str = "attempts";
/// Set by versions before `tried` when an attempt was accepted; still read, so a code claimed
/// then stays spent. No longer written (a new code or a revoke removes it).
pub const CODES_CLAIMED_AT: &str = "claimed_at";
/// The keyed digests each counted attempt at the live code appended (List of 32-byte Binary, one
/// per code key the attempt carried), in the order the writes applied: the code is claimed by the
/// first attempt with its digest, dead to every other until released (see `CodeStore::redeem`).
pub const CODES_TRIED: &str = "tried";
/// The sends that counted an attempt at the live code (String Set of per-confirm nonces): a
/// resent count whose first send applied finds its nonce here and is not counted twice.
pub const CODES_COUNTED: &str = "counted";
/// The token of the confirm that claimed the code together with its password change
/// (`ClaimWithPassword`, the users table's directory): a SHA-256 of the new password's hash, the
/// same for every send of that transaction, so a resend finds its own claim.
pub const CODES_CLAIMED_BY: &str = "claimed_by";
pub const CODES_MEDIUM: &str = "medium";
/// The table's TTL attribute: max(code expiry, newest request + window). Deletion is lazy, so
/// expiry is never inferred from the item's presence.
pub const CODES_TTL: &str = "purge_at";
/// Request times in the window, newest first: `req_0`, `req_1`, ... one slot per allowed request.
pub const CODES_REQUEST_SLOT_PREFIX: &str = "req_";
/// The largest request limit the fixed-slot window supports.
pub const MAX_REQUEST_SLOTS: u32 = 50;
/// Caller items (`caller#ip#...`, `caller#device#...`, see `domain::caller`) in the same table: the
/// caller's request times, newest first, `c_0`, `c_1`, ... one slot per allowed request (at most
/// `domain::caller::MAX_CALLER_REQUESTS`), and the TTL attribute `purge_at` = newest + window.
pub const CODES_CALLER_SLOT_PREFIX: &str = "c_";

/// The two table names a deployment uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub users: String,
    pub codes: String,
}

pub fn request_slot(i: u32) -> String {
    format!("{CODES_REQUEST_SLOT_PREFIX}{i}")
}

pub fn caller_slot(i: u32) -> String {
    format!("{CODES_CALLER_SLOT_PREFIX}{i}")
}

fn key(name: &str) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(KeyType::Hash)
        .build()
        .map_err(|e| StoreError::Unavailable(format!("key schema {name}: {e}")))
}

fn string_attribute(name: &str) -> Result<AttributeDefinition, StoreError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| StoreError::Unavailable(format!("attribute {name}: {e}")))
}

fn index(name: &str, attribute: &str) -> Result<GlobalSecondaryIndex, StoreError> {
    // ALL: a lookup by alias or sub returns the whole user in the one read.
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key(attribute)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(|e| StoreError::Unavailable(format!("index {name}: {e}")))
}

/// Creates both tables (on-demand billing) and turns on TTL for the codes table. Tables that
/// already exist are left as they are.
pub async fn create_tables(client: &Client, tables: &Tables) -> Result<(), StoreError> {
    let users = client
        .create_table()
        .table_name(&tables.users)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(USERS_KEY)?)
        .attribute_definitions(string_attribute(USERS_KEY)?)
        .attribute_definitions(string_attribute(USERS_SUB)?)
        .attribute_definitions(string_attribute(USERS_EMAIL_KEY)?)
        .attribute_definitions(string_attribute(USERS_PHONE_KEY)?)
        .global_secondary_indexes(index(USERS_SUB_INDEX, USERS_SUB)?)
        .global_secondary_indexes(index(USERS_EMAIL_INDEX, USERS_EMAIL_KEY)?)
        .global_secondary_indexes(index(USERS_PHONE_INDEX, USERS_PHONE_KEY)?)
        .send()
        .await;
    created(users, &tables.users)?;
    let codes = client
        .create_table()
        .table_name(&tables.codes)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(CODES_KEY)?)
        .attribute_definitions(string_attribute(CODES_KEY)?)
        .send()
        .await;
    created(codes, &tables.codes)?;
    for table in [&tables.users, &tables.codes] {
        client
            .wait_until_table_exists()
            .table_name(table)
            .wait(std::time::Duration::from_secs(120))
            .await
            .map_err(|e| StoreError::Unavailable(format!("waiting for table {table}: {e}")))?;
    }
    client
        .update_time_to_live()
        .table_name(&tables.codes)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(CODES_TTL)
                .build()
                .map_err(|e| StoreError::Unavailable(format!("TTL specification: {e}")))?,
        )
        .send()
        .await
        .map(|_| ())
        .or_else(|e| {
            // Asking again for the TTL already in place is refused: that is success here.
            let detail = aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string();
            if detail.contains("already enabled") {
                Ok(())
            } else {
                Err(DYNAMODB.store_error("UpdateTimeToLive", &tables.codes, e))
            }
        })
}

fn created<T, E>(
    result: Result<T, aws_sdk_dynamodb::error::SdkError<E>>,
    table: &str,
) -> Result<(), StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    match result {
        Ok(_) => {
            tracing::info!(table, "table created");
            Ok(())
        }
        Err(e) if e.code() == Some("ResourceInUseException") => {
            tracing::info!(table, "table exists");
            Ok(())
        }
        Err(e) => Err(DYNAMODB.store_error("CreateTable", table, e)),
    }
}
