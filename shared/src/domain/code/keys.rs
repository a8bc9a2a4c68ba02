//! The code keys and keyed hashing: digests, keys and their ids, the keyring, attempts.

use hmac::{Hmac, Mac};
use rand::CryptoRng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

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

    /// A key for `purpose` and `value` from the current key: one that a rotation of the current
    /// key replaces (what was sealed under the old one no longer opens).
    pub fn derive_current(&self, purpose: &str, value: &str) -> [u8; 32] {
        match self.keys.get(&self.current) {
            Some(key) => key.derive(purpose, value),
            None => [0u8; 32],
        }
    }

    /// `derive`'s first 128 bits in hex: a store key that names nobody (decoy records, caller
    /// windows).
    pub fn pseudonym(&self, purpose: &str, value: &str) -> String {
        self.derive(purpose, value)[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
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
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) fn key() -> CodeKey {
        CodeKey::from_bytes(&[7u8; 32]).unwrap()
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

    pub(crate) fn id(s: &str) -> KeyId {
        KeyId::parse(s).unwrap()
    }

    fn material(byte: u8) -> CodeKey {
        CodeKey::from_bytes(&[byte; 32]).unwrap()
    }

    /// k1 alone, then k2 made current beside it, then k1 retired; k1 stays the decoy key until
    /// retired, then k2 takes over decoys.
    pub(crate) fn keyring(current: &str, decoy: &str, ids: &[(&str, u8)]) -> CodeKeys {
        CodeKeys::new(
            id(current),
            id(decoy),
            ids.iter().map(|(i, b)| (id(i), material(*b))),
        )
        .unwrap()
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
}
