//! The code store on the codes table. Each operation is one conditional write (or, for a confirm,
//! one transaction with the password change); a failed condition returns the item as it was
//! (ReturnValuesOnConditionCheckFailure=ALL_OLD), which tells why without another read.
//!
//! The request window is a shift register of `max_requests` slots, newest first: an issue shifts
//! every slot down and writes `now` in slot 0, on condition that the last slot (the oldest request
//! still remembered) is empty or has left the window. The item never grows, and no read is needed.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use crate::domain::code::{CodeDigest, CodePolicy, LiveCode, Redemption};
use crate::domain::delivery::DeliveryMedium;
use crate::domain::time::UnixTime;
use crate::ports::{CodeStore, Issued, PasswordChange, StoreError};

use super::DynamoStore;
use super::errors::{is_throttling, malformed, sdk_error};
use super::schema::*;
use super::users::Item;

/// Rounds of confirm before giving up when the item keeps changing under it (a new code issued,
/// a concurrent transaction).
const REDEEM_ROUNDS: usize = 4;

/// Expression attribute names and values, registered as they are used (DynamoDB refuses unused ones).
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    fn name(&mut self, attribute: &str) -> String {
        let placeholder = format!("#{attribute}");
        self.names
            .insert(placeholder.clone(), attribute.to_string());
        placeholder
    }

    fn value(&mut self, name: &str, value: AttributeValue) -> String {
        let placeholder = format!(":{name}");
        self.values.insert(placeholder.clone(), value);
        placeholder
    }
}

fn number(n: u64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn medium_name(medium: DeliveryMedium) -> &'static str {
    match medium {
        DeliveryMedium::Email => "EMAIL",
        DeliveryMedium::Sms => "SMS",
    }
}

/// The live-code part of a codes item, as far as a confirm needs it.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    digest: Option<CodeDigest>,
    expires_at: UnixTime,
    failed_attempts: u32,
}

impl Snapshot {
    fn read(table: &str, key: &str, item: &Item) -> Result<Self, StoreError> {
        let digest = match item.get(CODES_DIGEST) {
            None => None,
            Some(AttributeValue::B(blob)) => Some(CodeDigest(
                blob.as_ref()
                    .try_into()
                    .map_err(|_| malformed(table, key, CODES_DIGEST))?,
            )),
            Some(_) => return Err(malformed(table, key, CODES_DIGEST)),
        };
        let num = |field: &str| -> Result<Option<u64>, StoreError> {
            match item.get(field) {
                None => Ok(None),
                Some(AttributeValue::N(n)) => n
                    .parse()
                    .map(Some)
                    .map_err(|_| malformed(table, key, field)),
                Some(_) => Err(malformed(table, key, field)),
            }
        };
        let expires_at = num(CODES_EXPIRES_AT)?;
        if digest.is_some() && expires_at.is_none() {
            return Err(malformed(table, key, CODES_EXPIRES_AT));
        }
        let failed_attempts = num(CODES_FAILED_ATTEMPTS)?.unwrap_or(0);
        Ok(Snapshot {
            digest,
            expires_at: UnixTime(expires_at.unwrap_or(0)),
            failed_attempts: u32::try_from(failed_attempts)
                .map_err(|_| malformed(table, key, CODES_FAILED_ATTEMPTS))?,
        })
    }

    /// Why a confirm's condition failed, in the domain's order (see `CodeRecord::redeem`).
    fn refusal(&self, attempt: &CodeDigest, now: UnixTime, policy: &CodePolicy) -> Refusal {
        let Some(digest) = &self.digest else {
            return Refusal::Final(Redemption::NoCode);
        };
        if self.failed_attempts >= policy.max_failed_attempts {
            return Refusal::Final(Redemption::Exhausted);
        }
        if now >= self.expires_at {
            return Refusal::Final(Redemption::Expired);
        }
        if digest.matches(attempt) {
            Refusal::Matches
        } else {
            Refusal::Mismatch(*digest)
        }
    }
}

enum Refusal {
    Final(Redemption),
    /// The code would be accepted now (the item changed since the condition was evaluated).
    Matches,
    /// A wrong code: count it against the live code with this digest.
    Mismatch(CodeDigest),
}

impl DynamoStore {
    fn code_key(key: &str) -> (String, AttributeValue) {
        (CODES_KEY.to_string(), AttributeValue::S(key.to_string()))
    }

    /// The conditional update that consumes the code when `attempt` is its live, unexpired,
    /// not-exhausted code.
    fn consume(
        &self,
        key: &str,
        attempt: &CodeDigest,
        now: UnixTime,
        policy: &CodePolicy,
    ) -> Result<Update, StoreError> {
        let mut e = Expr::default();
        let condition = format!(
            "{d} = {a} AND {x} > {now} AND (attribute_not_exists({f}) OR {f} < {max})",
            d = e.name(CODES_DIGEST),
            a = e.value("attempt", AttributeValue::B(Blob::new(attempt.0.to_vec()))),
            x = e.name(CODES_EXPIRES_AT),
            now = e.value("now", number(now.0)),
            f = e.name(CODES_FAILED_ATTEMPTS),
            max = e.value("max", number(u64::from(policy.max_failed_attempts))),
        );
        // The request slots stay: a consumed code still counted as a request.
        let update = format!(
            "REMOVE {}, {}, {}, {}, {}",
            e.name(CODES_DIGEST),
            e.name(CODES_ISSUED_AT),
            e.name(CODES_EXPIRES_AT),
            e.name(CODES_FAILED_ATTEMPTS),
            e.name(CODES_MEDIUM),
        );
        let (k, v) = Self::code_key(key);
        Update::builder()
            .table_name(&self.tables.codes)
            .key(k, v)
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(e.names))
            .set_expression_attribute_values(Some(e.values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| StoreError::Unavailable(format!("building the confirm update: {e}")))
    }

    fn password_update(&self, change: &PasswordChange) -> Result<Update, StoreError> {
        let mut e = Expr::default();
        let update = format!(
            "SET {} = {}, {} = {}",
            e.name(USERS_PASSWORD_HASH),
            e.value("hash", AttributeValue::S(change.password_hash.clone())),
            e.name(USERS_STATUS),
            e.value("status", AttributeValue::S(change.status.as_str().into())),
        );
        let condition = format!("attribute_exists({})", e.name(USERS_KEY));
        Update::builder()
            .table_name(&self.tables.users)
            .key(USERS_KEY, AttributeValue::S(change.username.clone()))
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(e.names))
            .set_expression_attribute_values(Some(e.values))
            .build()
            .map_err(|e| StoreError::Unavailable(format!("building the password update: {e}")))
    }

    /// One transaction: consume the code and, when given, change the password. `Ok(None)` when it
    /// committed; otherwise what the code item held, or a retryable conflict.
    async fn try_consume(
        &self,
        key: &str,
        attempt: &CodeDigest,
        now: UnixTime,
        policy: &CodePolicy,
        change: Option<&PasswordChange>,
    ) -> Result<Option<Attempt>, StoreError> {
        let mut items = vec![
            TransactWriteItem::builder()
                .update(self.consume(key, attempt, now, policy)?)
                .build(),
        ];
        if let Some(change) = change {
            items.push(
                TransactWriteItem::builder()
                    .update(self.password_update(change)?)
                    .build(),
            );
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(SdkError::ServiceError(service)) => {
                let TransactWriteItemsError::TransactionCanceledException(cancelled) =
                    service.err()
                else {
                    return Err(sdk_error(
                        "TransactWriteItems",
                        &self.tables.codes,
                        SdkError::ServiceError(service),
                    ));
                };
                let reasons = cancelled.cancellation_reasons();
                let code = reasons.first().and_then(|r| r.code());
                let user = reasons.get(1).and_then(|r| r.code());
                if is_throttling(code) || is_throttling(user) {
                    tracing::warn!("DynamoDB throttled the confirm transaction");
                    return Err(StoreError::Throttled);
                }
                if code == Some("TransactionConflict") || user == Some("TransactionConflict") {
                    return Ok(Some(Attempt::Conflict));
                }
                if code == Some("ConditionalCheckFailed") {
                    let item = reasons
                        .first()
                        .and_then(|r| r.item())
                        .cloned()
                        .unwrap_or_default();
                    return Ok(Some(Attempt::Refused(item)));
                }
                if user == Some("ConditionalCheckFailed") {
                    // The user vanished: keep the code live rather than consume it for nothing.
                    return Err(StoreError::Unavailable(format!(
                        "user {} disappeared during a confirm",
                        change.map(|c| c.username.as_str()).unwrap_or("?")
                    )));
                }
                Err(StoreError::Unavailable(format!(
                    "confirm transaction cancelled: {:?}",
                    reasons.iter().map(|r| r.code()).collect::<Vec<_>>()
                )))
            }
            Err(e) => Err(sdk_error("TransactWriteItems", &self.tables.codes, e)),
        }
    }

    /// Counts one failed attempt against the live code `digest`, if it is still live, unexpired and
    /// has attempts left. `Ok(None)` when counted; otherwise the item as it now is.
    async fn count_failure(
        &self,
        key: &str,
        digest: &CodeDigest,
        now: UnixTime,
        policy: &CodePolicy,
    ) -> Result<Option<Item>, StoreError> {
        let mut e = Expr::default();
        let f = e.name(CODES_FAILED_ATTEMPTS);
        let update = format!(
            "SET {f} = if_not_exists({f}, {zero}) + {one}",
            zero = e.value("zero", number(0)),
            one = e.value("one", number(1)),
        );
        let condition = format!(
            "{d} = {old} AND {x} > {now} AND (attribute_not_exists({f}) OR {f} < {max})",
            d = e.name(CODES_DIGEST),
            old = e.value("old", AttributeValue::B(Blob::new(digest.0.to_vec()))),
            x = e.name(CODES_EXPIRES_AT),
            now = e.value("now", number(now.0)),
            max = e.value("max", number(u64::from(policy.max_failed_attempts))),
        );
        self.update_code_if(key, update, condition, e).await
    }

    /// One conditional UpdateItem on a codes item: `None` when it applied, `Some(item)` when the
    /// condition failed, with the item as it stood (empty when there is none).
    async fn update_code_if(
        &self,
        key: &str,
        update: String,
        condition: String,
        e: Expr,
    ) -> Result<Option<Item>, StoreError> {
        let (k, v) = Self::code_key(key);
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.codes)
            .key(k, v)
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(e.names))
            .set_expression_attribute_values(Some(e.values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(SdkError::ServiceError(service))
                if matches!(
                    service.err(),
                    UpdateItemError::ConditionalCheckFailedException(_)
                ) =>
            {
                let item = match service.err() {
                    UpdateItemError::ConditionalCheckFailedException(c) => {
                        c.item().cloned().unwrap_or_default()
                    }
                    _ => Item::new(),
                };
                Ok(Some(item))
            }
            Err(e) => Err(sdk_error("UpdateItem", &self.tables.codes, e)),
        }
    }
}

enum Attempt {
    Refused(Item),
    Conflict,
}

#[async_trait]
impl CodeStore for DynamoStore {
    async fn issue(
        &self,
        key: &str,
        code: LiveCode,
        policy: &CodePolicy,
    ) -> Result<Issued, StoreError> {
        let slots = policy.max_requests;
        if slots == 0 || slots > MAX_REQUEST_SLOTS {
            return Err(StoreError::Unavailable(format!(
                "request limit {slots} outside 1..={MAX_REQUEST_SLOTS} for the DynamoDB store"
            )));
        }
        if slots != self.request_slots {
            return Err(StoreError::Unavailable(format!(
                "store built for a limit of {} requests, asked for {slots}",
                self.request_slots
            )));
        }
        let now = code.issued_at;
        let mut e = Expr::default();
        let zero = e.value("zero", number(0));
        let at = e.value("now", number(now.0));
        // Highest slot first, so an evaluator applying the assignments in order shifts correctly.
        let mut sets: Vec<String> = (1..slots)
            .rev()
            .map(|i| {
                let to = e.name(&request_slot(i));
                let from = e.name(&request_slot(i - 1));
                format!("{to} = if_not_exists({from}, {zero})")
            })
            .collect();
        sets.push(format!("{} = {at}", e.name(&request_slot(0))));
        let digest = e.value(
            "digest",
            AttributeValue::B(Blob::new(code.digest.0.to_vec())),
        );
        sets.push(format!("{} = {digest}", e.name(CODES_DIGEST)));
        sets.push(format!("{} = {at}", e.name(CODES_ISSUED_AT)));
        let expires = e.value("expires", number(code.expires_at.0));
        sets.push(format!("{} = {expires}", e.name(CODES_EXPIRES_AT)));
        sets.push(format!("{} = {zero}", e.name(CODES_FAILED_ATTEMPTS)));
        let purge = code.expires_at.max(now.plus(policy.window_seconds));
        let purge = e.value("purge", number(purge.0));
        sets.push(format!("{} = {purge}", e.name(CODES_TTL)));
        let mut update = match code.medium {
            Some(medium) => {
                let m = e.value("medium", AttributeValue::S(medium_name(medium).into()));
                sets.push(format!("{} = {m}", e.name(CODES_MEDIUM)));
                format!("SET {}", sets.join(", "))
            }
            None => format!("SET {}", sets.join(", ")),
        };
        if code.medium.is_none() {
            update.push_str(&format!(" REMOVE {}", e.name(CODES_MEDIUM)));
        }
        let oldest = e.name(&request_slot(slots - 1));
        let cutoff = e.value("cutoff", number(now.minus(policy.window_seconds).0));
        let condition = format!("attribute_not_exists({oldest}) OR {oldest} <= {cutoff}");
        match self.update_code_if(key, update, condition, e).await? {
            None => Ok(Issued::Admitted),
            Some(_) => Ok(Issued::LimitReached),
        }
    }

    async fn revoke(&self, key: &str, digest: &CodeDigest) -> Result<(), StoreError> {
        let slots = self.request_slots;
        let mut e = Expr::default();
        let zero = e.value("zero", number(0));
        // Slot 0 holds this code's request (the digest condition proves no newer issue came
        // since): shift the others up over it, lowest slot first.
        let mut sets: Vec<String> = (0..slots.saturating_sub(1))
            .map(|i| {
                let to = e.name(&request_slot(i));
                let from = e.name(&request_slot(i + 1));
                format!("{to} = if_not_exists({from}, {zero})")
            })
            .collect();
        sets.push(format!(
            "{} = {zero}",
            e.name(&request_slot(slots.saturating_sub(1)))
        ));
        let update = format!(
            "SET {} REMOVE {}, {}, {}, {}, {}",
            sets.join(", "),
            e.name(CODES_DIGEST),
            e.name(CODES_ISSUED_AT),
            e.name(CODES_EXPIRES_AT),
            e.name(CODES_FAILED_ATTEMPTS),
            e.name(CODES_MEDIUM),
        );
        let condition = format!(
            "{} = {}",
            e.name(CODES_DIGEST),
            e.value("digest", AttributeValue::B(Blob::new(digest.0.to_vec())))
        );
        // Refused: a newer code or a consumed one, so nothing of this issue is left to undo.
        self.update_code_if(key, update, condition, e).await?;
        Ok(())
    }

    async fn redeem(
        &self,
        key: &str,
        attempt: &CodeDigest,
        now: UnixTime,
        policy: &CodePolicy,
        change: Option<&PasswordChange>,
    ) -> Result<Redemption, StoreError> {
        let table = &self.tables.codes;
        let mut round = 0;
        let mut consume = true;
        let mut item = Item::new();
        while round < REDEEM_ROUNDS {
            round += 1;
            if consume {
                match self.try_consume(key, attempt, now, policy, change).await? {
                    None => return Ok(Redemption::Accepted),
                    Some(Attempt::Conflict) => continue,
                    Some(Attempt::Refused(old)) => item = old,
                }
            }
            match Snapshot::read(table, key, &item)?.refusal(attempt, now, policy) {
                Refusal::Final(outcome) => return Ok(outcome),
                Refusal::Matches => consume = true,
                Refusal::Mismatch(digest) => {
                    match self.count_failure(key, &digest, now, policy).await? {
                        None => return Ok(Redemption::Mismatch),
                        // The code changed under us: judge the attempt against what is there now.
                        Some(now_item) => {
                            item = now_item;
                            consume = false;
                        }
                    }
                }
            }
        }
        Err(StoreError::Unavailable(format!(
            "confirm on {table}/{key} did not settle in {REDEEM_ROUNDS} rounds"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn refusals_follow_the_domain_order() {
        let p = CodePolicy::default();
        let right = CodeDigest([1; 32]);
        let wrong = CodeDigest([2; 32]);
        let live = |attempts: u64, expires: u64| {
            item(&[
                (CODES_DIGEST, AttributeValue::B(Blob::new(vec![1; 32]))),
                (CODES_EXPIRES_AT, number(expires)),
                (CODES_FAILED_ATTEMPTS, number(attempts)),
            ])
        };
        let judge = |i: &Item, a: &CodeDigest| match Snapshot::read("codes", "jane", i)
            .unwrap()
            .refusal(a, UnixTime(100), &p)
        {
            Refusal::Final(r) => Some(r),
            Refusal::Matches => None,
            Refusal::Mismatch(_) => Some(Redemption::Mismatch),
        };
        assert_eq!(judge(&Item::new(), &right), Some(Redemption::NoCode));
        assert_eq!(judge(&live(5, 200), &right), Some(Redemption::Exhausted));
        assert_eq!(judge(&live(0, 100), &right), Some(Redemption::Expired));
        assert_eq!(judge(&live(0, 200), &wrong), Some(Redemption::Mismatch));
        assert_eq!(judge(&live(4, 200), &right), None);
    }

    #[test]
    fn malformed_code_items_name_the_field() {
        let short = item(&[(CODES_DIGEST, AttributeValue::B(Blob::new(vec![1; 31])))]);
        assert_eq!(
            Snapshot::read("codes", "jane", &short).err(),
            Some(StoreError::Malformed {
                key: "codes/jane".into(),
                field: CODES_DIGEST.into()
            })
        );
        let text = item(&[
            (CODES_DIGEST, AttributeValue::B(Blob::new(vec![1; 32]))),
            (CODES_EXPIRES_AT, AttributeValue::S("soon".into())),
        ]);
        assert!(matches!(
            Snapshot::read("codes", "jane", &text),
            Err(StoreError::Malformed { field, .. }) if field == CODES_EXPIRES_AT
        ));
    }
}
