//! The code store on the DynamoDB codes table (feature `dynamodb`; the table in
//! `dynamodb_tables::schema`). Each operation is one conditional write; a failed condition returns
//! the item as it was (ReturnValuesOnConditionCheckFailure=ALL_OLD), which tells why without
//! another read.
//!
//! A confirm counts before it compares, and claims in the same write: the write that admits an
//! attempt to judgment increments the attempts on condition that fewer than the limit were judged,
//! appends the attempt's keyed digests to the item's `tried` list, and returns the item (ALL_NEW).
//! The compare is then made here, in constant time: a wrong code is a mismatch; the right code is
//! accepted when no entry before this attempt's own holds it, and was claimed by that earlier
//! attempt (spent: `Expired`) otherwise. However many attempts arrive at once, DynamoDB serializes
//! the writes on the item, so at most `max_failed_attempts` of them are ever counted, and only a
//! counted attempt is compared: the right code among a burst is accepted only when its write is
//! among the first `max_failed_attempts`, wherever it is in the burst. A claim decided by a
//! compare inside DynamoDB's condition would skip that queue: wrong attempts refused by it are
//! compared uncounted, and the right one is accepted ahead of their counts.
//!
//! A counting write carries a nonce, added to the item's `counted` set on condition that it is not
//! there yet, and is sent again on any failure: a send whose earlier twin applied (its answer lost)
//! is refused and judges the item that twin left, so a lost answer never spends the code of the
//! attempt that claimed it. With the users table as the directory, the claim is instead the
//! transaction's (`claim_with_password`), made with the password or not at all.
//!
//! The request window is a shift register of `max_requests` slots, newest first: an issue shifts
//! every slot down and writes `now` in slot 0, on condition that the last slot (the oldest request
//! still remembered) is empty or has left the window. The item never grows, and no read is needed.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use crate::adapters::aws_errors::DYNAMODB;
use crate::adapters::dynamodb_tables::Item;
use crate::adapters::dynamodb_tables::schema::*;
use crate::domain::caller::{CallerLimit, MAX_CALLER_REQUESTS};
use crate::domain::code::{
    Attempt, CodeDigest, CodePolicy, CodeState, KeyId, LiveCode, Redemption,
};
use crate::domain::delivery::DeliveryMedium;
use crate::domain::time::{UnixTime, window_reopens};
use crate::ports::{Admission, CodeStore, StoreError};

pub mod claim_with_password;

/// `CodeStore` on the codes table. Built once per process; cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct DynamoDbCodes {
    client: Client,
    /// The codes table's name.
    table: String,
    /// The request limit of the pool this store serves: the number of window slots per code item.
    request_slots: u32,
}

impl DynamoDbCodes {
    pub fn new(client: Client, codes_table: impl Into<String>, policy: &CodePolicy) -> Self {
        Self {
            client,
            table: codes_table.into(),
            request_slots: policy.max_requests,
        }
    }
}

/// Rounds of confirm before giving up when the item keeps changing under it.
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
    key_id: Option<KeyId>,
    expires_at: UnixTime,
    attempts: u32,
    /// The digests the attempts counted since the code was issued appended, in the order
    /// DynamoDB applied their writes.
    tried: Vec<CodeDigest>,
    /// A `claimed_at` attribute: a claim by a version before `tried`, read so such a code stays spent.
    claimed_before_tried: bool,
    /// The token of the confirm that claimed the code with its password (`ClaimWithPassword`).
    claimed_by: Option<String>,
    /// The nonces of the sends that counted an attempt (`count_attempt`).
    counted: Vec<String>,
}

impl Snapshot {
    fn read(table: &str, key: &str, item: &Item) -> Result<Self, StoreError> {
        let digest = match item.get(CODES_DIGEST) {
            None => None,
            Some(AttributeValue::B(blob)) => Some(CodeDigest(
                blob.as_ref()
                    .try_into()
                    .map_err(|_| DYNAMODB.malformed(table, key, CODES_DIGEST))?,
            )),
            Some(_) => return Err(DYNAMODB.malformed(table, key, CODES_DIGEST)),
        };
        let key_id = match item.get(CODES_KEY_ID) {
            None => None,
            Some(AttributeValue::S(id)) => {
                Some(KeyId::parse(id).map_err(|_| DYNAMODB.malformed(table, key, CODES_KEY_ID))?)
            }
            Some(_) => return Err(DYNAMODB.malformed(table, key, CODES_KEY_ID)),
        };
        let num = |field: &str| -> Result<Option<u64>, StoreError> {
            match item.get(field) {
                None => Ok(None),
                Some(AttributeValue::N(n)) => n
                    .parse()
                    .map(Some)
                    .map_err(|_| DYNAMODB.malformed(table, key, field)),
                Some(_) => Err(DYNAMODB.malformed(table, key, field)),
            }
        };
        let expires_at = num(CODES_EXPIRES_AT)?;
        if digest.is_some() && expires_at.is_none() {
            return Err(DYNAMODB.malformed(table, key, CODES_EXPIRES_AT));
        }
        let attempts = num(CODES_ATTEMPTS)?.unwrap_or(0);
        let tried = match item.get(CODES_TRIED) {
            None => Vec::new(),
            Some(AttributeValue::L(entries)) => entries
                .iter()
                .map(|entry| match entry {
                    AttributeValue::B(blob) => blob.as_ref().try_into().map(CodeDigest).ok(),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| DYNAMODB.malformed(table, key, CODES_TRIED))?,
            Some(_) => return Err(DYNAMODB.malformed(table, key, CODES_TRIED)),
        };
        Ok(Snapshot {
            digest,
            key_id,
            expires_at: UnixTime(expires_at.unwrap_or(0)),
            attempts: u32::try_from(attempts)
                .map_err(|_| DYNAMODB.malformed(table, key, CODES_ATTEMPTS))?,
            tried,
            claimed_before_tried: item.contains_key(CODES_CLAIMED_AT),
            claimed_by: match item.get(CODES_CLAIMED_BY) {
                None => None,
                Some(AttributeValue::S(token)) => Some(token.clone()),
                Some(_) => return Err(DYNAMODB.malformed(table, key, CODES_CLAIMED_BY)),
            },
            counted: match item.get(CODES_COUNTED) {
                None => Vec::new(),
                Some(AttributeValue::Ss(nonces)) => nonces.clone(),
                Some(_) => return Err(DYNAMODB.malformed(table, key, CODES_COUNTED)),
            },
        })
    }

    /// Whether an attempt accepted the code: one with its digest was counted (or a claim from
    /// before `tried` stands). A released claim leaves no entry.
    fn claimed(&self) -> bool {
        self.claimed_before_tried
            || self.claimed_by.is_some()
            || self
                .digest
                .is_some_and(|code| self.tried.iter().any(|t| t.matches(&code)))
    }

    /// Judges `attempt` on the item its own counting write returned (ALL_NEW), whose last entries
    /// in `tried` are the ones that write appended: compared in constant time under the key the
    /// code was issued under; the right code is accepted unless an earlier attempt with it was
    /// (spent: `Expired`, never a mismatch that would invite retyping it).
    fn judge(&self, table: &str, key: &str, attempt: &Attempt) -> Result<Redemption, StoreError> {
        let Some(code) = self.digest else {
            return Err(DYNAMODB.malformed(table, key, CODES_DIGEST));
        };
        // The condition admitted only a key the attempt carries.
        let Some(ours) = self.key_id.as_ref().and_then(|id| attempt.under(id)) else {
            return Err(DYNAMODB.malformed(table, key, CODES_KEY_ID));
        };
        if !code.matches(ours) {
            return Ok(Redemption::Mismatch);
        }
        let Some(before) = self.tried.len().checked_sub(attempt.digests().count()) else {
            return Err(DYNAMODB.malformed(table, key, CODES_TRIED));
        };
        let earlier = self.tried.iter().take(before).any(|t| t.matches(&code));
        Ok(
            if earlier || self.claimed_before_tried || self.claimed_by.is_some() {
                Redemption::Expired
            } else {
                Redemption::Accepted
            },
        )
    }

    /// Whether `attempt` is the stored code, compared in constant time under the key the code was
    /// issued under (one the attempt carries: the counting write's condition admitted no other).
    fn holds(&self, table: &str, key: &str, attempt: &Attempt) -> Result<bool, StoreError> {
        let Some(code) = self.digest else {
            return Err(DYNAMODB.malformed(table, key, CODES_DIGEST));
        };
        let Some(ours) = self.key_id.as_ref().and_then(|id| attempt.under(id)) else {
            return Err(DYNAMODB.malformed(table, key, CODES_KEY_ID));
        };
        Ok(code.matches(ours))
    }

    /// Judges `attempt` on an item an earlier send of this same count wrote (its nonce is in
    /// `counted`; this send was refused, uncounted): the right code is this attempt's claim when
    /// its entry is the only one in `tried` with the code and nothing else claimed it, and spent
    /// otherwise (a twin with the same code came too, and the order is unknown: never two claims).
    fn judge_counted_before(
        &self,
        table: &str,
        key: &str,
        attempt: &Attempt,
    ) -> Result<Redemption, StoreError> {
        if !self.holds(table, key, attempt)? {
            return Ok(Redemption::Mismatch);
        }
        let Some(code) = self.digest else {
            return Err(DYNAMODB.malformed(table, key, CODES_DIGEST));
        };
        let with_the_code = self.tried.iter().filter(|t| t.matches(&code)).count();
        Ok(
            if with_the_code == 1 && !self.claimed_before_tried && self.claimed_by.is_none() {
                Redemption::Accepted
            } else {
                Redemption::Expired
            },
        )
    }

    /// The item as the domain's code state, so the domain's rule judges it.
    fn state(&self) -> CodeState {
        let Some(digest) = self.digest else {
            return CodeState::Empty;
        };
        let live = LiveCode {
            digest,
            key_id: self.key_id.clone().unwrap_or_else(KeyId::unnamed),
            issued_at: UnixTime(0),
            expires_at: self.expires_at,
            attempts: self.attempts,
            medium: None,
        };
        if self.claimed() {
            CodeState::Claimed(live)
        } else {
            CodeState::Live(live)
        }
    }
}

/// What a conditional write did.
enum Written {
    /// Applied; the item's new attributes when they were asked for.
    Applied(Item),
    /// The condition failed; the item as it stood (empty when there is none).
    Refused(Item),
}

/// What counting an attempt found.
enum Counted {
    /// Counted by this send: the item it wrote.
    Now(Snapshot),
    /// Counted by an earlier send of the same count whose answer was lost: the item as it stands.
    Before(Snapshot),
    /// Not judgeable (no code, expired, retired key, exhausted), uncounted.
    Refused(Redemption),
}

/// Sends of one count before its error is the answer. Each is idempotent (its nonce), so a
/// resend after a lost answer never counts twice.
const COUNT_SENDS: u32 = 4;

/// A fresh per-count nonce, 128 random bits in hex.
fn nonce() -> String {
    use rand::Rng;
    let mut bytes = [0u8; 16];
    crate::request_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl DynamoDbCodes {
    /// Counts `attempt` (`count_attempt`) under one nonce, sent again on any failure (a throttle,
    /// a 500, a lost answer) up to `COUNT_SENDS` times: a send whose earlier twin applied is
    /// refused by the nonce and finds the item that twin left.
    async fn count(
        &self,
        key: &str,
        attempt: &Attempt,
        now: UnixTime,
        policy: &CodePolicy,
    ) -> Result<Counted, StoreError> {
        let table = &self.table;
        let nonce = nonce();
        let mut failures = 0;
        let mut rounds = 0;
        loop {
            let written = match self.count_attempt(key, attempt, now, policy, &nonce).await {
                Ok(written) => written,
                Err(e) => {
                    failures += 1;
                    if failures >= COUNT_SENDS {
                        return Err(e);
                    }
                    tracing::warn!(error = %e, "counting an attempt failed: sending it again");
                    tokio::time::sleep(std::time::Duration::from_millis(25 << failures)).await;
                    continue;
                }
            };
            let item = match written {
                Written::Applied(item) => {
                    return Ok(Counted::Now(Snapshot::read(table, key, &item)?));
                }
                Written::Refused(item) => Snapshot::read(table, key, &item)?,
            };
            if item.counted.contains(&nonce) {
                return Ok(Counted::Before(item));
            }
            if let Some(refused) = item.state().refusal(now, policy, attempt) {
                return Ok(Counted::Refused(refused));
            }
            // Judgeable again by now (a new code since the condition failed): count again.
            rounds += 1;
            if rounds >= REDEEM_ROUNDS {
                return Err(StoreError::Unavailable(format!(
                    "confirm on {table}/{key} did not settle in {REDEEM_ROUNDS} rounds"
                )));
            }
        }
    }
}

impl DynamoDbCodes {
    fn code_key(key: &str) -> (String, AttributeValue) {
        (CODES_KEY.to_string(), AttributeValue::S(key.to_string()))
    }

    /// The write that admits an attempt to judgment and claims for it: one more attempt counted
    /// and the attempt's digests (one per key it carries) appended to `tried`, on condition that
    /// there is a code (live or claimed: guesses at a spent code count too), unexpired, issued
    /// under a key the attempt was digested under, with attempts left. Returns the counted item.
    async fn count_attempt(
        &self,
        key: &str,
        attempt: &Attempt,
        now: UnixTime,
        policy: &CodePolicy,
        nonce: &str,
    ) -> Result<Written, StoreError> {
        let mut e = Expr::default();
        let a = e.name(CODES_ATTEMPTS);
        let t = e.name(CODES_TRIED);
        let mine = attempt
            .digests()
            .map(|d| AttributeValue::B(Blob::new(d.0.to_vec())))
            .collect();
        let c = e.name(CODES_COUNTED);
        let update = format!(
            "SET {a} = if_not_exists({a}, {zero}) + {one}, \
             {t} = list_append(if_not_exists({t}, {none}), {mine}) ADD {c} {sent}",
            zero = e.value("zero", number(0)),
            one = e.value("one", number(1)),
            none = e.value("none", AttributeValue::L(Vec::new())),
            mine = e.value("mine", AttributeValue::L(mine)),
            sent = e.value("sent", AttributeValue::Ss(vec![nonce.to_string()])),
        );
        let known: Vec<String> = attempt
            .key_ids()
            .enumerate()
            .map(|(i, id)| e.value(&format!("kid{i}"), AttributeValue::S(id.to_string())))
            .collect();
        let condition = format!(
            "attribute_exists({d}) AND {x} > {now} \
             AND {k} IN ({known}) AND (attribute_not_exists({a}) OR {a} < {max}) \
             AND (attribute_not_exists({c}) OR NOT contains({c}, {nonce}))",
            d = e.name(CODES_DIGEST),
            x = e.name(CODES_EXPIRES_AT),
            now = e.value("now", number(now.0)),
            k = e.name(CODES_KEY_ID),
            known = known.join(", "),
            max = e.value("max", number(u64::from(policy.max_failed_attempts))),
            nonce = e.value("nonce", AttributeValue::S(nonce.to_string())),
        );
        self.update_code(key, update, condition, e, ReturnValue::AllNew)
            .await
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
        match self
            .update_code(key, update, condition, e, ReturnValue::None)
            .await?
        {
            Written::Applied(_) => Ok(None),
            Written::Refused(item) => Ok(Some(item)),
        }
    }

    async fn update_code(
        &self,
        key: &str,
        update: String,
        condition: String,
        e: Expr,
        returning: ReturnValue,
    ) -> Result<Written, StoreError> {
        let (k, v) = Self::code_key(key);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(k, v)
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(e.names))
            .set_expression_attribute_values(Some(e.values))
            .return_values(returning)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => Ok(Written::Applied(out.attributes.unwrap_or_default())),
            Err(SdkError::ServiceError(service)) => match service.err() {
                UpdateItemError::ConditionalCheckFailedException(c) => {
                    Ok(Written::Refused(c.item().cloned().unwrap_or_default()))
                }
                _ => Err(DYNAMODB.store_error(
                    "UpdateItem",
                    &self.table,
                    SdkError::ServiceError(service),
                )),
            },
            Err(e) => Err(DYNAMODB.store_error("UpdateItem", &self.table, e)),
        }
    }
}

/// The condition that the stored code is this attempt's, under the key it was issued under, and
/// claimed (`tried` holds its digest): one `key_id = .. AND digest = .. AND contains(tried, ..)`
/// per key the attempt carries, OR'd (AND binds tighter), in parentheses only when there is an OR
/// for them to hold, so it can be AND'd with more. No parentheses that change nothing: DynamoDB
/// refuses `((..))` as redundant (ValidationException).
fn claimed_by(e: &mut Expr, attempt: &Attempt) -> String {
    let (d, k, t) = (
        e.name(CODES_DIGEST),
        e.name(CODES_KEY_ID),
        e.name(CODES_TRIED),
    );
    let pairs: Vec<String> = attempt
        .key_ids()
        .zip(attempt.digests())
        .enumerate()
        .map(|(i, (id, digest))| {
            let id = e.value(&format!("kid{i}"), AttributeValue::S(id.to_string()));
            let digest = e.value(
                &format!("digest{i}"),
                AttributeValue::B(Blob::new(digest.0.to_vec())),
            );
            format!("{k} = {id} AND {d} = {digest} AND contains({t}, {digest})")
        })
        .collect();
    match pairs.as_slice() {
        [one] => one.clone(),
        many => format!("({})", many.join(" OR ")),
    }
}

/// The caller window as one conditional UpdateItem, the per-user window's shape: shift the slots
/// down, write `now` in slot 0 and the TTL, on condition that the last slot (the oldest request
/// remembered) is empty or has left the window. `None` when the limit is off.
fn caller_window_update(
    now: UnixTime,
    limit: &CallerLimit,
) -> Result<Option<(String, String, Expr)>, StoreError> {
    let slots = limit.max_requests;
    if slots == 0 {
        return Ok(None);
    }
    if slots > MAX_CALLER_REQUESTS {
        return Err(StoreError::Unavailable(format!(
            "caller limit {slots} outside 0..={MAX_CALLER_REQUESTS} for the DynamoDB store"
        )));
    }
    let mut e = Expr::default();
    let mut sets: Vec<String> = Vec::new();
    // One slot shifts nothing: no `:z`, which DynamoDB would refuse unused.
    if slots > 1 {
        // Short placeholders: 100 slots must fit DynamoDB's 4 KB expression limit.
        let zero = e.value("z", number(0));
        sets.extend((1..slots).rev().map(|i| {
            let to = e.name(&caller_slot(i));
            let from = e.name(&caller_slot(i - 1));
            format!("{to}=if_not_exists({from},{zero})")
        }));
    }
    let at = e.value("now", number(now.0));
    sets.push(format!("{}={at}", e.name(&caller_slot(0))));
    let purge = e.value("purge", number(now.plus(limit.window_seconds).0));
    sets.push(format!("{}={purge}", e.name(CODES_TTL)));
    let update = format!("SET {}", sets.join(","));
    let oldest = e.name(&caller_slot(slots - 1));
    let cutoff = e.value("cutoff", number(now.minus(limit.window_seconds).0));
    let condition = format!("attribute_not_exists({oldest}) OR {oldest} <= {cutoff}");
    Ok(Some((update, condition, e)))
}

/// A full window's refusal, read from the item the failed condition returned: its last slot holds
/// the oldest request remembered, and the window admits again when that one leaves it. The slots
/// are the window's exact request times, for a user's record and a decoy's alike.
fn refused(
    table: &str,
    key: &str,
    item: &Item,
    oldest_slot: &str,
    window_seconds: u64,
    now: UnixTime,
) -> Result<Admission, StoreError> {
    let oldest = match item.get(oldest_slot) {
        Some(AttributeValue::N(n)) => n.parse::<u64>().ok(),
        _ => None,
    }
    .ok_or_else(|| DYNAMODB.malformed(table, key, oldest_slot))?;
    Ok(Admission::LimitReached {
        retry_at: window_reopens(&[UnixTime(oldest)], 1, window_seconds, now),
    })
}

#[async_trait]
impl CodeStore for DynamoDbCodes {
    async fn issue(
        &self,
        key: &str,
        code: LiveCode,
        policy: &CodePolicy,
    ) -> Result<Admission, StoreError> {
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
        let key_id = e.value("key_id", AttributeValue::S(code.key_id.to_string()));
        sets.push(format!("{} = {key_id}", e.name(CODES_KEY_ID)));
        sets.push(format!("{} = {at}", e.name(CODES_ISSUED_AT)));
        let expires = e.value("expires", number(code.expires_at.0));
        sets.push(format!("{} = {expires}", e.name(CODES_EXPIRES_AT)));
        sets.push(format!("{} = {zero}", e.name(CODES_ATTEMPTS)));
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
        // A new code supersedes a claimed one too, and starts with no attempts tried.
        let claimed = format!(
            "{}, {}, {}, {}",
            e.name(CODES_CLAIMED_AT),
            e.name(CODES_TRIED),
            e.name(CODES_CLAIMED_BY),
            e.name(CODES_COUNTED)
        );
        match code.medium {
            None => update.push_str(&format!(" REMOVE {}, {claimed}", e.name(CODES_MEDIUM))),
            Some(_) => update.push_str(&format!(" REMOVE {claimed}")),
        }
        let oldest = e.name(&request_slot(slots - 1));
        let cutoff = e.value("cutoff", number(now.minus(policy.window_seconds).0));
        let condition = format!("attribute_not_exists({oldest}) OR {oldest} <= {cutoff}");
        match self.update_code_if(key, update, condition, e).await? {
            None => Ok(Admission::Admitted),
            Some(item) => refused(
                &self.table,
                key,
                &item,
                &request_slot(slots - 1),
                policy.window_seconds,
                now,
            ),
        }
    }

    async fn admit_caller(
        &self,
        key: &str,
        now: UnixTime,
        limit: &CallerLimit,
    ) -> Result<Admission, StoreError> {
        let Some((update, condition, e)) = caller_window_update(now, limit)? else {
            return Ok(Admission::Admitted);
        };
        match self.update_code_if(key, update, condition, e).await? {
            None => Ok(Admission::Admitted),
            Some(item) => refused(
                &self.table,
                key,
                &item,
                &caller_slot(limit.max_requests - 1),
                limit.window_seconds,
                now,
            ),
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
            "SET {} REMOVE {}, {}, {}, {}, {}, {}, {}, {}, {}, {}",
            sets.join(", "),
            e.name(CODES_DIGEST),
            e.name(CODES_KEY_ID),
            e.name(CODES_ISSUED_AT),
            e.name(CODES_EXPIRES_AT),
            e.name(CODES_ATTEMPTS),
            e.name(CODES_MEDIUM),
            e.name(CODES_CLAIMED_AT),
            e.name(CODES_TRIED),
            e.name(CODES_CLAIMED_BY),
            e.name(CODES_COUNTED),
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

    /// One counted write per attempt (`DynamoDbCodes::count`), then the judgment on the item it
    /// returned (`Snapshot::judge`), or, when an earlier send of the same count applied and its
    /// answer was lost, on the item as that send left it (`Snapshot::judge_counted_before`): the
    /// attempt that claimed the code finds its claim again, never a spent code.
    async fn redeem(
        &self,
        key: &str,
        attempt: &Attempt,
        now: UnixTime,
        policy: &CodePolicy,
    ) -> Result<Redemption, StoreError> {
        let table = &self.table;
        match self.count(key, attempt, now, policy).await? {
            Counted::Refused(refused) => Ok(refused),
            Counted::Now(counted) => counted.judge(table, key, attempt),
            Counted::Before(counted) => counted.judge_counted_before(table, key, attempt),
        }
    }

    async fn release(&self, key: &str, attempt: &Attempt) -> Result<(), StoreError> {
        let mut e = Expr::default();
        let a = e.name(CODES_ATTEMPTS);
        // The claiming attempt is given back with the code; the wrong digests in `tried` never
        // match it, and the right ones after the claim (answered Expired) go with the claim.
        let update = format!(
            "SET {a} = {a} - {one} REMOVE {}",
            e.name(CODES_TRIED),
            one = e.value("one", number(1))
        );
        let condition = format!(
            "{} AND {a} > {zero}",
            claimed_by(&mut e, attempt),
            zero = e.value("zero", number(0)),
        );
        // Refused: a newer code, or none, or a claim given back already (an SDK retry of this
        // write after it applied), so there is nothing of this claim to give back.
        self.update_code_if(key, update, condition, e).await?;
        Ok(())
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
    fn items_are_judged_by_the_domain_rule() {
        let p = CodePolicy::default();
        let live = |attempts: u64, expires: u64, claimed: bool| {
            let mut i = item(&[
                (CODES_DIGEST, AttributeValue::B(Blob::new(vec![1; 32]))),
                (CODES_KEY_ID, AttributeValue::S("k1".into())),
                (CODES_EXPIRES_AT, number(expires)),
                (CODES_ATTEMPTS, number(attempts)),
            ]);
            if claimed {
                i.insert(CODES_CLAIMED_AT.into(), number(50));
            }
            i
        };
        let k1 = KeyId::parse("k1").unwrap();
        let keys = crate::domain::code::CodeKeys::new(
            k1.clone(),
            k1.clone(),
            [(
                k1,
                crate::domain::code::CodeKey::from_bytes(&[1; 32]).unwrap(),
            )],
        )
        .unwrap();
        let attempt = keys.attempt("jane", "123456");
        let judge = |i: &Item| {
            Snapshot::read("codes", "jane", i)
                .unwrap()
                .state()
                .refusal(UnixTime(100), &p, &attempt)
        };
        assert_eq!(judge(&Item::new()), Some(Redemption::NoCode));
        assert_eq!(judge(&live(5, 200, false)), Some(Redemption::Exhausted));
        assert_eq!(judge(&live(0, 100, false)), Some(Redemption::Expired));
        // A claimed code is judged (and counted) like a live one, up to the same limit.
        assert_eq!(judge(&live(1, 200, true)), None);
        assert_eq!(judge(&live(5, 200, true)), Some(Redemption::Exhausted));
        let mut tried = live(1, 200, false);
        tried.insert(
            CODES_TRIED.into(),
            AttributeValue::L(vec![AttributeValue::B(Blob::new(vec![1; 32]))]),
        );
        assert_eq!(judge(&tried), None);
        assert_eq!(judge(&live(4, 200, false)), None);
        // Issued under a key the keyring no longer holds, or before keys had ids: expired.
        let mut retired = live(0, 200, false);
        retired.insert(CODES_KEY_ID.into(), AttributeValue::S("k0".into()));
        assert_eq!(judge(&retired), Some(Redemption::Expired));
        let mut unnamed = live(0, 200, false);
        unnamed.remove(CODES_KEY_ID);
        assert_eq!(judge(&unnamed), Some(Redemption::Expired));
    }

    fn keyring(ids: &[&str]) -> crate::domain::code::CodeKeys {
        let id = |name: &str| KeyId::parse(name).unwrap();
        let keys = ids.iter().zip(1u8..).map(|(name, byte)| {
            (
                id(name),
                crate::domain::code::CodeKey::from_bytes(&[byte; 32]).unwrap(),
            )
        });
        crate::domain::code::CodeKeys::new(id(ids[0]), id(ids[0]), keys).unwrap()
    }

    /// jane's item holding 123456 under `keys`' current key, as her attempt's write returned it:
    /// `tried` the digests of `earlier` codes' attempts, then this one's.
    fn counted(keys: &crate::domain::code::CodeKeys, earlier: &[&str], this: &str) -> Snapshot {
        let (key_id, digest) = keys.digest("jane", "123456");
        let tried = earlier
            .iter()
            .chain([&this])
            .flat_map(|code| {
                keys.attempt("jane", code)
                    .digests()
                    .copied()
                    .collect::<Vec<_>>()
            })
            .map(|d| AttributeValue::B(Blob::new(d.0.to_vec())))
            .collect();
        let i = item(&[
            (
                CODES_DIGEST,
                AttributeValue::B(Blob::new(digest.0.to_vec())),
            ),
            (CODES_KEY_ID, AttributeValue::S(key_id.to_string())),
            (CODES_EXPIRES_AT, number(200)),
            (CODES_ATTEMPTS, number(earlier.len() as u64 + 1)),
            (CODES_TRIED, AttributeValue::L(tried)),
        ]);
        Snapshot::read("codes", "jane", &i).unwrap()
    }

    #[test]
    fn the_first_counted_attempt_with_the_right_code_claims_it() {
        for keys in [keyring(&["k1"]), keyring(&["k2", "k1"])] {
            let judge = |earlier: &[&str], this: &str| {
                counted(&keys, earlier, this).judge("codes", "jane", &keys.attempt("jane", this))
            };
            assert_eq!(judge(&[], "123456"), Ok(Redemption::Accepted));
            assert_eq!(
                judge(&["000000", "111111"], "123456"),
                Ok(Redemption::Accepted)
            );
            assert_eq!(judge(&["000000"], "222222"), Ok(Redemption::Mismatch));
            // A twin counted first claimed it: spent, whatever came between.
            assert_eq!(
                judge(&["123456", "000000"], "123456"),
                Ok(Redemption::Expired)
            );
            assert_eq!(judge(&["123456"], "000000"), Ok(Redemption::Mismatch));
        }
        // A claim made before `tried` existed still spends the code.
        let keys = keyring(&["k1"]);
        let mut before = counted(&keys, &[], "123456");
        before.claimed_before_tried = true;
        assert_eq!(
            before.judge("codes", "jane", &keys.attempt("jane", "123456")),
            Ok(Redemption::Expired)
        );
        // An item whose `tried` lacks this attempt's own entries was not written by its write.
        let mut short = counted(&keys, &[], "123456");
        short.tried.clear();
        assert!(matches!(
            short.judge("codes", "jane", &keys.attempt("jane", "123456")),
            Err(StoreError::Malformed { field, .. }) if field == CODES_TRIED
        ));
    }

    #[test]
    fn a_release_condition_never_holds_redundant_parentheses() {
        let mut e = Expr::default();
        // One pair needs no parentheses; two need one pair around their OR, and none inside.
        assert_eq!(
            claimed_by(&mut e, &keyring(&["k1"]).attempt("jane", "1")),
            "#key_id = :kid0 AND #digest = :digest0 AND contains(#tried, :digest0)"
        );
        assert_eq!(
            claimed_by(&mut e, &keyring(&["k2", "k1"]).attempt("jane", "1")),
            "(#key_id = :kid0 AND #digest = :digest0 AND contains(#tried, :digest0) \
             OR #key_id = :kid1 AND #digest = :digest1 AND contains(#tried, :digest1))"
        );
    }

    #[test]
    fn the_largest_caller_window_fits_one_update_expression() {
        let limit = CallerLimit {
            max_requests: MAX_CALLER_REQUESTS,
            window_seconds: 3600,
        };
        let (update, condition, e) = caller_window_update(UnixTime(1_800_000_000), &limit)
            .unwrap()
            .unwrap();
        // DynamoDB's limit is 4 KB per expression.
        assert!(update.len() < 4096, "{} bytes", update.len());
        assert!(condition.contains("#c_99"), "{condition}");
        assert_eq!(e.names.len(), 101);
        let off = CallerLimit {
            max_requests: 0,
            window_seconds: 3600,
        };
        assert!(caller_window_update(UnixTime(1), &off).unwrap().is_none());
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
        let tried = item(&[(
            CODES_TRIED,
            AttributeValue::L(vec![AttributeValue::S("digest".into())]),
        )]);
        assert!(matches!(
            Snapshot::read("codes", "jane", &tried),
            Err(StoreError::Malformed { field, .. }) if field == CODES_TRIED
        ));
    }

    /// DynamoDB refuses an expression attribute value or name the expressions do not use: every
    /// window size, one slot included, uses all it registers.
    #[test]
    fn a_caller_window_uses_every_placeholder_it_registers() {
        for slots in [1, 2, MAX_CALLER_REQUESTS] {
            let limit = CallerLimit {
                max_requests: slots,
                window_seconds: 3600,
            };
            let (update, condition, e) = caller_window_update(UnixTime(1_800_000_000), &limit)
                .unwrap()
                .unwrap();
            let text = format!("{update} {condition}");
            for placeholder in e.values.keys().chain(e.names.keys()) {
                assert!(
                    text.contains(placeholder.as_str()),
                    "{slots} slots: {placeholder} unused"
                );
            }
        }
    }
}
