//! `ClaimWithPassword` on the codes and users tables (feature `dynamodb`): the attempt counted and
//! judged as `redeem` does it, then the code's claim and the new password in one
//! TransactWriteItems, sent again until it answers for sure.
//!
//! The transaction is built once per confirm and every send is the same one: the password's
//! argon2id hash, and the claim's token (`claimed_by`, also the ClientRequestToken) derived from
//! that hash (its salt is fresh, so the token is this confirm's alone). DynamoDB answers a resent
//! applied transaction with its token as applied (for 10 minutes), and the claim's condition
//! admits its own token besides (past that, and on an emulator that ignores tokens), so a send
//! whose answer was lost never spends the code. Any other confirm, even one with the same code and
//! password, carries another token: the code changes the password once.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use sha2::{Digest, Sha256};

use super::{Counted, DynamoDbCodes};
use crate::adapters::aws_errors::DYNAMODB;
use crate::adapters::directory::password_hashing;
use crate::adapters::dynamodb_tables::schema::*;
use crate::domain::code::{Attempt, CodeDigest, CodePolicy, Redemption};
use crate::domain::time::UnixTime;
use crate::domain::user::UserStatus;
use crate::ports::{ClaimWithPassword, ClaimedReset, Judged, PasswordChangeError, StoreError};

/// Sends of one transaction before an ambiguous failure is the answer.
const TRANSACTION_SENDS: u32 = 5;

/// The codes table's store and the users table's name, in one account and Region (the stack's).
#[derive(Debug, Clone)]
pub struct DynamoDbClaims {
    codes: DynamoDbCodes,
    users_table: String,
}

impl DynamoDbClaims {
    pub fn new(codes: DynamoDbCodes, users_table: impl Into<String>) -> Self {
        Self {
            codes,
            users_table: users_table.into(),
        }
    }

    fn client(&self) -> &Client {
        &self.codes.client
    }
}

/// The claim's token and ClientRequestToken (at most 36 characters): 128 bits of the hash's
/// SHA-256 (the hash's salt is fresh: the token is this confirm's), which tells nothing the stored
/// hash does not.
fn token(hash: &str) -> String {
    Sha256::digest(hash.as_bytes())[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

/// How a failed send is judged.
enum Failure {
    /// Answered before anything applied (a 4xx): the error is the answer.
    Definite(StoreError),
    /// Worth sending again: a throttle or a conflict (nothing applied), or a 5xx or a lost answer
    /// (`ambiguous`: it may have applied).
    Retry { error: StoreError, ambiguous: bool },
    /// A condition refused it: the code is spent (claimed by another, or replaced).
    Spent,
    /// The user is gone.
    NoUser,
}

fn judge_failure(table: &str, e: SdkError<TransactWriteItemsError>) -> Failure {
    if let Some(TransactWriteItemsError::TransactionCanceledException(canceled)) =
        e.as_service_error()
    {
        let reasons: Vec<Option<&str>> = canceled
            .cancellation_reasons()
            .iter()
            .map(|r| r.code())
            .collect();
        match reasons.as_slice() {
            [Some("ConditionalCheckFailed"), ..] => return Failure::Spent,
            [_, Some("ConditionalCheckFailed")] => return Failure::NoUser,
            _ => {}
        }
        return Failure::Retry {
            error: StoreError::Unavailable(format!(
                "TransactWriteItems on {table} canceled: {reasons:?}"
            )),
            ambiguous: false,
        };
    }
    let ambiguous =
        !matches!(&e, SdkError::ServiceError(service) if service.raw().status().as_u16() < 500);
    let answered = match &e {
        SdkError::ServiceError(service) => {
            service.raw().status().as_u16() < 500
                && !DYNAMODB.throttled(&e)
                && !matches!(
                    service.err(),
                    TransactWriteItemsError::TransactionInProgressException(_)
                )
                && e.code() != Some("TransactionConflictException")
        }
        SdkError::ConstructionFailure(_) => true,
        _ => false,
    };
    let code = e.code().map(str::to_string);
    let error = DYNAMODB.store_error("TransactWriteItems", table, e);
    if answered {
        tracing::error!(?code, "the claim and password change were refused");
        Failure::Definite(error)
    } else {
        Failure::Retry { error, ambiguous }
    }
}

#[async_trait]
impl ClaimWithPassword for DynamoDbClaims {
    async fn judge(
        &self,
        key: &str,
        attempt: &Attempt,
        now: UnixTime,
        policy: &CodePolicy,
    ) -> Result<Judged, StoreError> {
        let table = &self.codes.table;
        let counted = match self.codes.count(key, attempt, now, policy).await? {
            Counted::Refused(refused) => return Ok(Judged::Refused(refused)),
            Counted::Now(counted) | Counted::Before(counted) => counted,
        };
        if !counted.holds(table, key, attempt)? {
            return Ok(Judged::Refused(Redemption::Mismatch));
        }
        // Spent by another confirm's transaction, or by a claim of the two-write path (`redeem`).
        let claimed = counted.claimed_by.is_some() || counted.claimed_before_tried;
        match counted.digest {
            Some(digest) if !claimed => Ok(Judged::Right(digest)),
            Some(_) => Ok(Judged::Refused(Redemption::Expired)),
            None => Err(DYNAMODB.malformed(table, key, CODES_DIGEST)),
        }
    }

    async fn claim_and_set_password(
        &self,
        key: &str,
        code: &CodeDigest,
        username: &str,
        password: &str,
    ) -> Result<ClaimedReset, PasswordChangeError> {
        let hash = password_hashing::hash(password).await?;
        let token = token(&hash);
        let build = |e: aws_sdk_dynamodb::error::BuildError| {
            PasswordChangeError::NotApplied(StoreError::Unavailable(format!(
                "TransactWriteItems: {e}"
            )))
        };
        let claim = Update::builder()
            .table_name(&self.codes.table)
            .key(CODES_KEY, s(key))
            .update_expression("SET #c = :t")
            .condition_expression("#d = :d AND (attribute_not_exists(#c) OR #c = :t)")
            .expression_attribute_names("#c", CODES_CLAIMED_BY)
            .expression_attribute_names("#d", CODES_DIGEST)
            .expression_attribute_values(":t", s(&token))
            .expression_attribute_values(":d", AttributeValue::B(Blob::new(code.0.to_vec())))
            .build()
            .map_err(build)?;
        let password_set = Update::builder()
            .table_name(&self.users_table)
            .key(USERS_KEY, s(username))
            .update_expression("SET #h = :h, #s = :s")
            .condition_expression("attribute_exists(#u)")
            .expression_attribute_names("#h", USERS_PASSWORD_HASH)
            .expression_attribute_names("#s", USERS_STATUS)
            .expression_attribute_names("#u", USERS_KEY)
            .expression_attribute_values(":h", s(&hash))
            .expression_attribute_values(":s", s(UserStatus::Confirmed.as_str()))
            .build()
            .map_err(build)?;
        let items = [
            TransactWriteItem::builder().update(claim).build(),
            TransactWriteItem::builder().update(password_set).build(),
        ];
        let table = &self.codes.table;
        let mut pause = Duration::from_millis(50);
        let mut sends = 0;
        // Whether a send so far may have applied: a definite refusal after it is no longer one.
        let mut maybe_applied = false;
        loop {
            sends += 1;
            let sent = self
                .client()
                .transact_write_items()
                .set_transact_items(Some(items.to_vec()))
                .client_request_token(&token)
                .send()
                .await;
            let failure = match sent {
                Ok(_) => return Ok(ClaimedReset::Done),
                Err(e) => judge_failure(table, e),
            };
            match failure {
                Failure::Spent => return Ok(ClaimedReset::Spent),
                Failure::NoUser => {
                    return Err(PasswordChangeError::NotApplied(StoreError::Unavailable(
                        format!("{}: no user to set the password of", self.users_table),
                    )));
                }
                Failure::Definite(e) if !maybe_applied => return Err(e.into()),
                Failure::Definite(e) => return Err(PasswordChangeError::Unknown(e.to_string())),
                Failure::Retry { error, ambiguous } if sends >= TRANSACTION_SENDS => {
                    if !(maybe_applied || ambiguous) {
                        return Err(error.into());
                    }
                    tracing::error!(error = %error, "the claim and password change may have applied");
                    return Err(PasswordChangeError::Unknown(error.to_string()));
                }
                Failure::Retry { error, ambiguous } => {
                    maybe_applied |= ambiguous;
                    tracing::warn!(error = %error, "the claim and password change failed: sending them again");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(800));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_a_client_request_token() {
        let t = token("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
        assert_eq!(t.len(), 32);
        assert!(t.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
