//! Confirmation codes: generation, keyed hashing, and the life of one user's code record.
//!
//! The record is the unit every store keeps per user and changes atomically: the live code's keyed
//! hash with its expiry and failed attempts, and the times of the requests in the current window.

use hmac::{Hmac, Mac};
use rand::{CryptoRng, RngExt};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::delivery::DeliveryMedium;
use super::time::UnixTime;

/// Limits and lifetimes, published and configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CodePolicy {
    /// Digits per code, 6-10.
    pub length: u8,
    /// Lifetime in seconds, clamped to 5 minutes .. 24 hours.
    pub ttl_seconds: u64,
    /// ForgotPassword requests per user per rolling window.
    pub max_requests: u32,
    pub window_seconds: u64,
    /// Wrong codes per issued code before it is dead.
    pub max_failed_attempts: u32,
    /// ForgotPassword requests per caller (source network, and device where given) per rolling
    /// window, whatever the users asked for; 0 turns the limit off.
    pub max_requests_per_caller: u32,
    /// ConfirmForgotPassword requests per caller per rolling window; 0 turns the limit off.
    pub max_confirms_per_caller: u32,
}

impl Default for CodePolicy {
    fn default() -> Self {
        Self {
            length: 6,
            ttl_seconds: 3600,
            max_requests: 5,
            window_seconds: 3600,
            max_failed_attempts: 5,
            max_requests_per_caller: 30,
            max_confirms_per_caller: 60,
        }
    }
}

pub const MIN_TTL_SECONDS: u64 = 300;
pub const MAX_TTL_SECONDS: u64 = 86_400;
/// The largest per-caller limit: the DynamoDB store keeps one slot per request in the window.
pub const MAX_CALLER_REQUESTS: u32 = 100;

impl CodePolicy {
    /// Checks the settings, clamping the lifetime into its published range.
    pub fn validated(mut self) -> Result<Self, String> {
        if !(6..=10).contains(&self.length) {
            return Err(format!(
                "code length must be 6-10 digits, got {}",
                self.length
            ));
        }
        if self.max_requests == 0 || self.max_failed_attempts == 0 || self.window_seconds == 0 {
            return Err("request limit, window and attempt limit must be at least 1".into());
        }
        if self.max_requests_per_caller > MAX_CALLER_REQUESTS
            || self.max_confirms_per_caller > MAX_CALLER_REQUESTS
        {
            return Err(format!(
                "per-caller limits must be 0 (off) to {MAX_CALLER_REQUESTS}, got {} requests and {} confirms",
                self.max_requests_per_caller, self.max_confirms_per_caller
            ));
        }
        self.ttl_seconds = self.ttl_seconds.clamp(MIN_TTL_SECONDS, MAX_TTL_SECONDS);
        Ok(self)
    }
}

/// A code in clear: it exists only between generation and delivery, and in the confirm request.
#[derive(Clone, PartialEq, Eq)]
pub struct ConfirmationCode(String);

impl std::fmt::Debug for ConfirmationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConfirmationCode(<redacted>)")
    }
}

impl ConfirmationCode {
    /// Uniform decimal digits from a cryptographically secure generator.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R, length: u8) -> Self {
        Self(
            (0..length)
                .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
                .collect(),
        )
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// HMAC-SHA256 of a code bound to its user.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeDigest(pub [u8; 32]);

impl std::fmt::Debug for CodeDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeDigest(..)")
    }
}

impl CodeDigest {
    pub fn matches(&self, other: &CodeDigest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// The server-side secret codes are hashed with (and decoys derived from).
#[derive(Clone)]
pub struct CodeKey(Vec<u8>);

impl std::fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeKey(<redacted>)")
    }
}

pub const MIN_KEY_BYTES: usize = 32;

impl CodeKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(format!(
                "the code-hashing key needs at least {MIN_KEY_BYTES} bytes, got {}",
                bytes.len()
            ));
        }
        Ok(Self(bytes.to_vec()))
    }

    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = vec![0u8; MIN_KEY_BYTES];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail; the fallback keeps the library panic-free.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return [0u8; 32];
        };
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// The stored form of `code` for the user `user_key`.
    pub fn digest(&self, user_key: &str, code: &str) -> CodeDigest {
        CodeDigest(self.mac(&[b"code", user_key.as_bytes(), code.as_bytes()]))
    }

    /// A stable pseudonym for `value` under `purpose`: decoy record keys and simulated destinations.
    pub fn derive(&self, purpose: &str, value: &str) -> [u8; 32] {
        self.mac(&[purpose.as_bytes(), value.as_bytes()])
    }
}

/// The name of a code key in a keyring: stored beside each code's digest, so a confirm digests
/// the attempt with the key the code was issued under. Not secret.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

/// At most 32 characters: a base64 text that short decodes to fewer than `MIN_KEY_BYTES`, so a
/// valid key id is never a valid key, and an id can be named in an error without leaking one.
pub const MAX_KEY_ID_CHARS: usize = 32;

impl KeyId {
    /// 1-32 characters from `A-Z a-z 0-9 - _ .`.
    pub fn parse(id: &str) -> Result<Self, String> {
        let ok = (1..=MAX_KEY_ID_CHARS).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            Ok(Self(id.to_string()))
        } else {
            Err(format!(
                "key id {id:?} must be 1-{MAX_KEY_ID_CHARS} characters from A-Z a-z 0-9 - _ ."
            ))
        }
    }

    /// The id of a single key given as such (`CODE_HASH_KEY`, the pool file's `CodeHashKey`, a
    /// key generated per process). A keyring that names a key `static` takes over its codes.
    pub fn single() -> Self {
        Self("static".into())
    }

    /// The id of a code stored without one (issued before keys had ids): no keyring holds it, so
    /// such a code is refused as expired.
    pub fn unnamed() -> Self {
        Self(String::new())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Most keys a keyring holds: every confirm digests the attempt under each (one HMAC apiece), and
/// the DynamoDB store lists their ids in a condition.
pub const MAX_KEYS: usize = 10;

/// The code keys: the current one issues codes, every one verifies the codes issued under it, and
/// one stable key (`decoy`) derives decoy records and simulated destinations, so those do not
/// change when the current key does.
#[derive(Clone)]
pub struct CodeKeys {
    current: KeyId,
    decoy: KeyId,
    keys: std::collections::BTreeMap<KeyId, CodeKey>,
}

impl std::fmt::Debug for CodeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeKeys")
            .field("current", &self.current.as_str())
            .field("decoy", &self.decoy.as_str())
            .field(
                "ids",
                &self.keys.keys().map(KeyId::as_str).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl From<CodeKey> for CodeKeys {
    /// One key, `static`, that does everything.
    fn from(key: CodeKey) -> Self {
        Self {
            current: KeyId::single(),
            decoy: KeyId::single(),
            keys: [(KeyId::single(), key)].into(),
        }
    }
}

impl CodeKeys {
    /// A keyring: `current` and `decoy` must name keys in `keys`, which holds 1 to `MAX_KEYS`.
    pub fn new(
        current: KeyId,
        decoy: KeyId,
        keys: impl IntoIterator<Item = (KeyId, CodeKey)>,
    ) -> Result<Self, String> {
        let keys: std::collections::BTreeMap<KeyId, CodeKey> = keys.into_iter().collect();
        if keys.is_empty() || keys.len() > MAX_KEYS {
            return Err(format!(
                "a keyring holds 1 to {MAX_KEYS} keys, got {}",
                keys.len()
            ));
        }
        for (role, id) in [("current", &current), ("decoy", &decoy)] {
            if !keys.contains_key(id) {
                return Err(format!(
                    "\"{role}\" names key \"{id}\", which is not in the keyring"
                ));
            }
        }
        Ok(Self {
            current,
            decoy,
            keys,
        })
    }

    /// One random key, for a process whose codes die with it (the memory store).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        CodeKey::generate(rng).into()
    }

    /// The key new codes are issued under.
    pub fn current(&self) -> &KeyId {
        &self.current
    }

    /// The key decoys are derived from.
    pub fn decoy(&self) -> &KeyId {
        &self.decoy
    }

    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.keys()
    }

    /// The stored form of a new code, under the current key, with that key's id.
    pub fn digest(&self, user_key: &str, code: &str) -> (KeyId, CodeDigest) {
        let digest = match self.keys.get(&self.current) {
            Some(key) => key.digest(user_key, code),
            // `new` guarantees the current key is present; unreachable, but never a panic.
            None => CodeDigest([0u8; 32]),
        };
        (self.current.clone(), digest)
    }

    /// An attempt digested under every key, so it can be judged against a code issued under any.
    pub fn attempt(&self, user_key: &str, code: &str) -> Attempt {
        Attempt(
            self.keys
                .iter()
                .map(|(id, key)| (id.clone(), key.digest(user_key, code)))
                .collect(),
        )
    }

    /// A stable pseudonym for `value` under `purpose`, from the decoy key: decoy record keys and
    /// simulated destinations, unchanged by a rotation of the current key.
    pub fn derive(&self, purpose: &str, value: &str) -> [u8; 32] {
        match self.keys.get(&self.decoy) {
            Some(key) => key.derive(purpose, value),
            None => [0u8; 32],
        }
    }
}

/// A confirmation attempt, digested under each key of the keyring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt(Vec<(KeyId, CodeDigest)>);

impl Attempt {
    /// The attempt's digest under the key `id`, when the keyring holds it.
    pub fn under(&self, id: &KeyId) -> Option<&CodeDigest> {
        self.0.iter().find(|(k, _)| k == id).map(|(_, d)| d)
    }

    /// The ids of the keys the attempt was digested under.
    pub fn key_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.0.iter().map(|(k, _)| k)
    }

    /// The digests, one per key.
    pub fn digests(&self) -> impl Iterator<Item = &CodeDigest> {
        self.0.iter().map(|(_, d)| d)
    }

    /// Whether this attempt is `live`'s code: compared in constant time, under the key `live` was
    /// issued under.
    pub fn matches(&self, live: &LiveCode) -> bool {
        self.under(&live.key_id)
            .is_some_and(|digest| live.digest.matches(digest))
    }
}

/// A code that was issued and not yet used up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCode {
    pub digest: CodeDigest,
    /// The key the digest was made with.
    pub key_id: KeyId,
    pub issued_at: UnixTime,
    pub expires_at: UnixTime,
    /// Attempts judged against this code, the accepted one included. Counted before the compare,
    /// so no burst of attempts gets more than `max_failed_attempts` looks at the code.
    pub attempts: u32,
    pub medium: Option<DeliveryMedium>,
}

/// Where a user's code is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CodeState {
    /// Never issued, revoked after a failed delivery, or consumed.
    #[default]
    Empty,
    Live(LiveCode),
    /// Accepted by an attempt: dead to every other one. Becomes `Live` again only through
    /// `release`, when the password change it was accepted for did not happen.
    Claimed(LiveCode),
    /// Too many wrong attempts: dead until a new code is requested.
    Exhausted,
}

impl CodeState {
    /// Why an attempt is refused before it is judged (and counted), or `None` when it may be
    /// judged. The one rule every store follows; the DynamoDB store asks it about the item a
    /// failed condition returns.
    ///
    /// A code issued under a key the keyring no longer holds (retired, or none recorded) is
    /// refused as expired, uncounted: a key is retired only once the codes issued under it have
    /// outlived their lifetime, so the code is past its time, and "request a new code" is the
    /// only remedy; a mismatch would invite retyping it.
    pub fn refusal(
        &self,
        now: UnixTime,
        policy: &CodePolicy,
        attempt: &Attempt,
    ) -> Option<Redemption> {
        match self {
            CodeState::Empty | CodeState::Claimed(_) => Some(Redemption::NoCode),
            CodeState::Exhausted => Some(Redemption::Exhausted),
            CodeState::Live(live) if now >= live.expires_at => Some(Redemption::Expired),
            CodeState::Live(live) if attempt.under(&live.key_id).is_none() => {
                Some(Redemption::Expired)
            }
            CodeState::Live(live) if live.attempts >= policy.max_failed_attempts => {
                Some(Redemption::Exhausted)
            }
            CodeState::Live(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CodeRecord {
    pub state: CodeState,
    /// Times of the requests counted in the current window, oldest first.
    pub requests: Vec<UnixTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redemption {
    /// The right code: counted, and now claimed by this attempt.
    Accepted,
    /// Wrong code; the record counted it.
    Mismatch,
    /// No live code: never requested, consumed, claimed, or revoked.
    NoCode,
    Expired,
    /// The attempt limit was reached earlier; even the right code is refused now.
    Exhausted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("request limit reached for this user")]
pub struct RequestLimitReached;

impl CodeRecord {
    /// The requests still inside the rolling window at `now`.
    pub fn window(&self, now: UnixTime, policy: &CodePolicy) -> Vec<UnixTime> {
        let start = now.minus(policy.window_seconds);
        self.requests
            .iter()
            .copied()
            .filter(|t| *t > start)
            .collect()
    }

    /// Counts a request and makes `code` the live one, superseding any earlier code.
    pub fn issue(
        &self,
        code: LiveCode,
        policy: &CodePolicy,
    ) -> Result<CodeRecord, RequestLimitReached> {
        let mut requests = self.window(code.issued_at, policy);
        if requests.len() >= policy.max_requests as usize {
            return Err(RequestLimitReached);
        }
        requests.push(code.issued_at);
        Ok(CodeRecord {
            state: CodeState::Live(code),
            requests,
        })
    }

    /// Undoes `issue` after a failed delivery: the code dies and its request no longer counts.
    /// A newer code issued in the meantime is left alone.
    pub fn revoke(&self, digest: &CodeDigest) -> CodeRecord {
        match &self.state {
            CodeState::Live(live) if live.digest.matches(digest) => {
                let mut requests = self.requests.clone();
                if let Some(pos) = requests.iter().rposition(|t| *t == live.issued_at) {
                    requests.remove(pos);
                }
                CodeRecord {
                    state: CodeState::Empty,
                    requests,
                }
            }
            _ => self.clone(),
        }
    }

    /// Judges an attempt: counts it first, then compares. The right code is claimed (dead to
    /// every other attempt); a wrong one at the limit kills the code. Empty, claimed, expired and
    /// exhausted codes are refused without counting.
    pub fn redeem(
        &self,
        attempt: &Attempt,
        now: UnixTime,
        policy: &CodePolicy,
    ) -> (CodeRecord, Redemption) {
        if let Some(refused) = self.state.refusal(now, policy, attempt) {
            let state = match (&self.state, refused) {
                (CodeState::Live(_), Redemption::Exhausted) => CodeState::Exhausted,
                (state, _) => state.clone(),
            };
            return (
                CodeRecord {
                    state,
                    ..self.clone()
                },
                refused,
            );
        }
        let CodeState::Live(live) = &self.state else {
            return (self.clone(), Redemption::NoCode);
        };
        let counted = LiveCode {
            attempts: live.attempts.saturating_add(1),
            ..live.clone()
        };
        let (state, outcome) = if attempt.matches(&counted) {
            (CodeState::Claimed(counted), Redemption::Accepted)
        } else if counted.attempts >= policy.max_failed_attempts {
            (CodeState::Exhausted, Redemption::Mismatch)
        } else {
            (CodeState::Live(counted), Redemption::Mismatch)
        };
        (
            CodeRecord {
                state,
                ..self.clone()
            },
            outcome,
        )
    }

    /// Undoes an accepted redemption whose password change did not happen: the code is live
    /// again and the attempt that claimed it no longer counts. Anything else is left alone.
    pub fn release(&self, attempt: &Attempt) -> CodeRecord {
        match &self.state {
            CodeState::Claimed(live) if attempt.matches(live) => CodeRecord {
                state: CodeState::Live(LiveCode {
                    attempts: live.attempts.saturating_sub(1),
                    ..live.clone()
                }),
                ..self.clone()
            },
            _ => self.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    const T0: UnixTime = UnixTime(1_800_000_000);

    fn key() -> CodeKey {
        CodeKey::from_bytes(&[7u8; 32]).unwrap()
    }

    fn att(code: &str) -> Attempt {
        CodeKeys::from(key()).attempt("jane", code)
    }

    fn live(code: &str, at: UnixTime) -> LiveCode {
        LiveCode {
            digest: key().digest("jane", code),
            key_id: KeyId::single(),
            issued_at: at,
            expires_at: at.plus(3600),
            attempts: 0,
            medium: Some(DeliveryMedium::Email),
        }
    }

    #[test]
    fn codes_are_digits_of_the_configured_length() {
        let mut rng = StdRng::seed_from_u64(1);
        for length in 6..=10 {
            let code = ConfirmationCode::generate(&mut rng, length);
            assert_eq!(code.expose().len(), length as usize);
            assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
        }
        assert_eq!(
            format!("{:?}", ConfirmationCode::generate(&mut rng, 6)),
            "ConfirmationCode(<redacted>)"
        );
    }

    #[test]
    fn digits_are_roughly_uniform() {
        let mut rng = StdRng::seed_from_u64(42);
        let mut counts = [0u32; 10];
        for _ in 0..10_000 {
            for b in ConfirmationCode::generate(&mut rng, 6).expose().bytes() {
                counts[(b - b'0') as usize] += 1;
            }
        }
        // 60,000 digits: each expected 6,000; 5 sigma is about 370.
        assert!(
            counts.iter().all(|c| (5_600..=6_400).contains(c)),
            "{counts:?}"
        );
    }

    #[test]
    fn digest_is_keyed_and_bound_to_the_user() {
        let k = key();
        assert!(
            k.digest("jane", "123456")
                .matches(&k.digest("jane", "123456"))
        );
        assert!(
            !k.digest("jane", "123456")
                .matches(&k.digest("john", "123456"))
        );
        let other = CodeKey::from_bytes(&[8u8; 32]).unwrap();
        assert!(
            !k.digest("jane", "123456")
                .matches(&other.digest("jane", "123456"))
        );
        assert!(CodeKey::from_bytes(&[1u8; 31]).is_err());
    }

    fn id(s: &str) -> KeyId {
        KeyId::parse(s).unwrap()
    }

    fn material(byte: u8) -> CodeKey {
        CodeKey::from_bytes(&[byte; 32]).unwrap()
    }

    /// k1 alone, then k2 made current beside it, then k1 retired; k1 stays the decoy key until
    /// retired, then k2 takes over decoys.
    fn keyring(current: &str, decoy: &str, ids: &[(&str, u8)]) -> CodeKeys {
        CodeKeys::new(
            id(current),
            id(decoy),
            ids.iter().map(|(i, b)| (id(i), material(*b))),
        )
        .unwrap()
    }

    fn issued_under(keys: &CodeKeys, code: &str, at: UnixTime) -> LiveCode {
        let (key_id, digest) = keys.digest("jane", code);
        LiveCode {
            digest,
            key_id,
            issued_at: at,
            expires_at: at.plus(3600),
            attempts: 0,
            medium: Some(DeliveryMedium::Email),
        }
    }

    #[test]
    fn a_code_issued_under_the_old_key_verifies_after_a_rotation() {
        let p = CodePolicy::default();
        let before = keyring("k1", "k1", &[("k1", 1)]);
        let after = keyring("k2", "k1", &[("k1", 1), ("k2", 2)]);
        let code = issued_under(&before, "123456", T0);
        assert_eq!(code.key_id, id("k1"));
        let r = CodeRecord::default().issue(code, &p).unwrap();
        // A wrong code is still a mismatch under the new keyring, and counted.
        let (r, wrong) = r.redeem(&after.attempt("jane", "000000"), T0.plus(1), &p);
        assert_eq!(wrong, Redemption::Mismatch);
        let (_, right) = r.redeem(&after.attempt("jane", "123456"), T0.plus(2), &p);
        assert_eq!(right, Redemption::Accepted);
        // New codes are issued under the new current key, and verify too.
        let fresh = issued_under(&after, "654321", T0.plus(3));
        assert_eq!(fresh.key_id, id("k2"));
        let r = CodeRecord::default().issue(fresh, &p).unwrap();
        assert_eq!(
            r.redeem(&after.attempt("jane", "654321"), T0.plus(4), &p).1,
            Redemption::Accepted
        );
        // Digested under the current key only, the old code would not match.
        let (_, only_current) = after.digest("jane", "123456");
        assert!(!only_current.matches(&before.digest("jane", "123456").1));
    }

    #[test]
    fn a_code_under_a_retired_key_is_expired_and_not_counted() {
        let p = CodePolicy::default();
        let before = keyring("k1", "k1", &[("k1", 1)]);
        let retired = keyring("k2", "k2", &[("k2", 2)]);
        let r = CodeRecord::default()
            .issue(issued_under(&before, "123456", T0), &p)
            .unwrap();
        let (after, outcome) = r.redeem(&retired.attempt("jane", "123456"), T0.plus(1), &p);
        assert_eq!(outcome, Redemption::Expired);
        assert_eq!(after, r, "refused before judgment: nothing counted");
        // A code stored without a key id (issued before ids) is refused the same way.
        let mut unnamed = issued_under(&before, "123456", T0);
        unnamed.key_id = KeyId::unnamed();
        let r = CodeRecord::default().issue(unnamed, &p).unwrap();
        assert_eq!(
            r.redeem(&before.attempt("jane", "123456"), T0.plus(1), &p)
                .1,
            Redemption::Expired
        );
        assert!(
            KeyId::parse("").is_err(),
            "no keyring can hold the unnamed id"
        );
    }

    #[test]
    fn decoys_do_not_change_when_the_current_key_does() {
        let before = keyring("k1", "k1", &[("k1", 1)]);
        let after = keyring("k2", "k1", &[("k1", 1), ("k2", 2)]);
        let later = keyring("k3", "k1", &[("k1", 1), ("k3", 3)]);
        let derived = before.derive("decoy-record", "nobody");
        assert_eq!(after.derive("decoy-record", "nobody"), derived);
        assert_eq!(later.derive("decoy-record", "nobody"), derived);
        // A single key is its own decoy key: the same pseudonyms as before keyrings existed.
        assert_eq!(
            CodeKeys::from(material(1)).derive("decoy-record", "nobody"),
            material(1).derive("decoy-record", "nobody")
        );
    }

    #[test]
    fn keyrings_are_checked_and_show_no_key() {
        assert!(CodeKeys::new(id("k2"), id("k1"), [(id("k1"), material(1))]).is_err());
        assert!(CodeKeys::new(id("k1"), id("k0"), [(id("k1"), material(1))]).is_err());
        assert!(CodeKeys::new(id("k1"), id("k1"), []).is_err());
        let many = (0..=MAX_KEYS).map(|i| (id(&format!("k{i}")), material(1)));
        assert!(CodeKeys::new(id("k1"), id("k1"), many).is_err());
        for bad in ["", "has space", "slash/", &"x".repeat(MAX_KEY_ID_CHARS + 1)] {
            assert!(KeyId::parse(bad).is_err(), "{bad:?}");
        }
        let keys = keyring("k2", "k1", &[("k1", 0xab), ("k2", 0xcd)]);
        let shown = format!("{keys:?} {:?}", material(0xab));
        assert_eq!(
            shown,
            r#"CodeKeys { current: "k2", decoy: "k1", ids: ["k1", "k2"] } CodeKey(<redacted>)"#
        );
        let attempt = format!("{:?}", keys.attempt("jane", "123456"));
        assert!(!attempt.contains("123456"), "{attempt}");
    }

    #[test]
    fn policy_clamps_ttl_and_checks_length() {
        let p = CodePolicy {
            ttl_seconds: 10,
            ..Default::default()
        }
        .validated()
        .unwrap();
        assert_eq!(p.ttl_seconds, MIN_TTL_SECONDS);
        let p = CodePolicy {
            ttl_seconds: 999_999,
            ..Default::default()
        }
        .validated()
        .unwrap();
        assert_eq!(p.ttl_seconds, MAX_TTL_SECONDS);
        assert!(
            CodePolicy {
                length: 5,
                ..Default::default()
            }
            .validated()
            .is_err()
        );
        assert!(
            CodePolicy {
                length: 11,
                ..Default::default()
            }
            .validated()
            .is_err()
        );
    }

    #[test]
    fn new_code_supersedes_the_old() {
        let p = CodePolicy::default();
        let r = CodeRecord::default().issue(live("111111", T0), &p).unwrap();
        let r = r.issue(live("222222", T0.plus(10)), &p).unwrap();
        let (_, old) = r.redeem(&att("111111"), T0.plus(20), &p);
        assert_eq!(old, Redemption::Mismatch);
        let (after, new) = r.redeem(&att("222222"), T0.plus(20), &p);
        assert_eq!(new, Redemption::Accepted);
        let (_, again) = after.redeem(&att("222222"), T0.plus(21), &p);
        assert_eq!(again, Redemption::NoCode, "single use");
    }

    #[test]
    fn rolling_window_limits_requests() {
        let p = CodePolicy::default();
        let mut r = CodeRecord::default();
        for i in 0..5 {
            r = r.issue(live("1", T0.plus(i * 600)), &p).unwrap();
        }
        assert_eq!(
            r.issue(live("1", T0.plus(3000)), &p),
            Err(RequestLimitReached)
        );
        // An hour after the first request it leaves the window.
        assert!(r.issue(live("1", T0.plus(3601)), &p).is_ok());
    }

    #[test]
    fn expiry_and_exhaustion() {
        let p = CodePolicy::default();
        let r = CodeRecord::default().issue(live("123456", T0), &p).unwrap();
        let right = att("123456");
        assert_eq!(r.redeem(&right, T0.plus(3600), &p).1, Redemption::Expired);
        let wrong = att("000000");
        let mut cur = r;
        for _ in 0..5 {
            let (next, outcome) = cur.redeem(&wrong, T0.plus(1), &p);
            assert_eq!(outcome, Redemption::Mismatch);
            cur = next;
        }
        assert_eq!(cur.state, CodeState::Exhausted);
        assert_eq!(cur.redeem(&right, T0.plus(2), &p).1, Redemption::Exhausted);
    }

    #[test]
    fn revoke_undoes_issue_but_not_a_newer_code() {
        let p = CodePolicy::default();
        let first = live("111111", T0);
        let r = CodeRecord::default().issue(first.clone(), &p).unwrap();
        let revoked = r.revoke(&first.digest);
        assert_eq!(revoked, CodeRecord::default());
        let newer = r.issue(live("222222", T0.plus(1)), &p).unwrap();
        assert_eq!(newer.revoke(&first.digest), newer);
    }

    #[test]
    fn an_accepted_code_is_claimed_until_released() {
        let p = CodePolicy::default();
        let code = live("123456", T0);
        let right = att("123456");
        let r = CodeRecord::default().issue(code, &p).unwrap();
        let (claimed, outcome) = r.redeem(&right, T0.plus(1), &p);
        assert_eq!(outcome, Redemption::Accepted);
        assert!(matches!(claimed.state, CodeState::Claimed(_)));
        assert_eq!(claimed.redeem(&right, T0.plus(2), &p).1, Redemption::NoCode);
        // Released: live again, with the claiming attempt given back.
        let released = claimed.release(&right);
        assert_eq!(released.state, r.state);
        assert_eq!(
            released.redeem(&right, T0.plus(3), &p).1,
            Redemption::Accepted
        );
        // Releasing with another digest, or a live code, changes nothing.
        assert_eq!(claimed.release(&att("000000")), claimed);
        assert_eq!(r.release(&right), r);
        // A new request supersedes a claimed code.
        let newer = claimed.issue(live("222222", T0.plus(4)), &p).unwrap();
        assert!(matches!(newer.state, CodeState::Live(_)));
    }

    #[test]
    fn the_right_code_counts_as_a_judged_attempt() {
        let p = CodePolicy::default();
        let right = att("123456");
        let wrong = att("000000");
        let mut r = CodeRecord::default().issue(live("123456", T0), &p).unwrap();
        for _ in 0..4 {
            r = r.redeem(&wrong, T0.plus(1), &p).0;
        }
        // The fifth judged attempt may still be the right one, and it is released with 4 counted.
        let (claimed, outcome) = r.redeem(&right, T0.plus(1), &p);
        assert_eq!(outcome, Redemption::Accepted);
        let CodeState::Live(released) = claimed.release(&right).state else {
            panic!("released code is live")
        };
        assert_eq!(released.attempts, 4);
    }

    proptest! {
        #[test]
        fn at_most_the_limit_is_judged_whatever_the_order(
            attempts in proptest::collection::vec(any::<bool>(), 1..40),
            release in any::<bool>(),
        ) {
            let p = CodePolicy::default();
            let right = att("123456");
            let bad = att("000000");
            let mut r = CodeRecord::default().issue(live("123456", T0), &p).unwrap();
            let (mut judged, mut mismatches) = (0usize, 0usize);
            for is_wrong in attempts {
                let attempt = if is_wrong { &bad } else { &right };
                let (next, outcome) = r.redeem(attempt, T0.plus(1), &p);
                match outcome {
                    Redemption::Accepted => judged += 1,
                    Redemption::Mismatch => { judged += 1; mismatches += 1; }
                    _ => {}
                }
                // A released code gives its claiming attempt back, never a wrong one.
                r = if release && outcome == Redemption::Accepted { next.release(&right) } else { next };
                prop_assert!(mismatches <= p.max_failed_attempts as usize);
                if !release {
                    prop_assert!(judged <= p.max_failed_attempts as usize);
                }
            }
        }

        #[test]
        fn never_more_than_the_limit_in_any_window(gaps in proptest::collection::vec(0u64..2000, 1..60)) {
            let p = CodePolicy::default();
            let mut r = CodeRecord::default();
            let mut now = T0;
            let mut admitted: Vec<UnixTime> = Vec::new();
            for gap in gaps {
                now = now.plus(gap);
                if let Ok(next) = r.issue(live("1", now), &p) {
                    r = next;
                    admitted.push(now);
                }
                let in_window = admitted.iter().filter(|t| **t > now.minus(p.window_seconds)).count();
                prop_assert!(in_window <= p.max_requests as usize);
            }
        }

        #[test]
        fn wrong_codes_never_exceed_the_attempt_limit(n in 1usize..20) {
            let p = CodePolicy::default();
            let mut r = CodeRecord::default().issue(live("123456", T0), &p).unwrap();
            let mut mismatches = 0;
            for _ in 0..n {
                let (next, outcome) = r.redeem(&att("654321"), T0.plus(5), &p);
                if outcome == Redemption::Mismatch { mismatches += 1; }
                r = next;
            }
            prop_assert!(mismatches <= p.max_failed_attempts as usize);
            let accepted = r.redeem(&att("123456"), T0.plus(6), &p).1 == Redemption::Accepted;
            prop_assert_eq!(accepted, n < p.max_failed_attempts as usize);
        }
    }
}
