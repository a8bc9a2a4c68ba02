//! An app client's description as the containers share it (`SharedTable`): sealed whole (its
//! ClientSecret above all) with AES-256-GCM under a key derived from the current code key, the
//! item's key as associated data. The table never holds a secret in the clear; a sealed client
//! moved to another client's item does not open; an item sealed under a key rotated away does
//! not open either, and is asked of Cognito again.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::domain::code::CodeKeys;
use crate::domain::pool::AppClient;

/// The derivation's purpose: a key of its own, used for nothing else.
const PURPOSE: &str = "shared app client seal";
const NONCE_BYTES: usize = 12;

/// The sealing key of one pool's shared app clients.
#[derive(Clone)]
pub struct ClientSeal(Aes256Gcm);

impl std::fmt::Debug for ClientSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSeal(<redacted>)")
    }
}

/// The shared item's JSON: nonce and ciphertext (with its tag), base64.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Sealed {
    sealed: String,
}

impl ClientSeal {
    /// The seal of `pool_id`'s clients under `keys`' current key.
    pub fn new(keys: &CodeKeys, pool_id: &str) -> Self {
        let key = keys.derive_current(PURPOSE, pool_id);
        Self(Aes256Gcm::new(&key.into()))
    }

    /// `client` sealed for the item `item_key`; `None` only if AES-GCM refuses (it does not for
    /// a description this small).
    pub fn seal(&self, item_key: &str, client: &AppClient) -> Option<String> {
        let plain = serde_json::to_vec(client).ok()?;
        let mut nonce = [0u8; NONCE_BYTES];
        crate::request_rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: &plain,
            aad: item_key.as_bytes(),
        };
        let sealed = self.0.encrypt(Nonce::from_slice(&nonce), payload).ok()?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        serde_json::to_string(&Sealed {
            sealed: STANDARD.encode(bytes),
        })
        .ok()
    }

    /// The client sealed in `json` for the item `item_key` and for `client_id`; `None` when it
    /// does not open (another key, another item, tampered) or names another client.
    pub fn open(&self, item_key: &str, client_id: &str, json: &str) -> Option<AppClient> {
        let sealed: Sealed = serde_json::from_str(json).ok()?;
        let bytes = STANDARD.decode(sealed.sealed).ok()?;
        if bytes.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let payload = Payload {
            msg: ciphertext,
            aad: item_key.as_bytes(),
        };
        let plain = self.0.decrypt(Nonce::from_slice(nonce), payload).ok()?;
        let client: AppClient = serde_json::from_slice(&plain).ok()?;
        (client.client_id == client_id).then_some(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::code::{CodeKey, KeyId};

    fn keys(byte: u8) -> CodeKeys {
        CodeKey::from_bytes(&[byte; 32]).unwrap().into()
    }

    fn client(id: &str) -> AppClient {
        AppClient {
            client_id: id.into(),
            client_secret: Some("the-secret-of-the-client".into()),
            client_name: Some("web".into()),
        }
    }

    #[test]
    fn a_sealed_client_opens_only_under_its_key_item_and_id() {
        let seal = ClientSeal::new(&keys(1), "pool");
        let json = seal.seal("pool#pool#client#a", &client("a")).unwrap();
        assert!(!json.contains("the-secret-of-the-client"));
        assert!(seal.open("pool#pool#client#a", "a", &json) == Some(client("a")));
        // Moved to another client's item.
        assert!(seal.open("pool#pool#client#b", "b", &json).is_none());
        // Another pool's seal, another code key.
        assert!(
            ClientSeal::new(&keys(1), "other")
                .open("pool#pool#client#a", "a", &json)
                .is_none()
        );
        assert!(
            ClientSeal::new(&keys(2), "pool")
                .open("pool#pool#client#a", "a", &json)
                .is_none()
        );
        assert!(seal.open("pool#pool#client#a", "a", "{").is_none());
        assert!(
            seal.open("pool#pool#client#a", "a", r#"{"Sealed":"AAAA"}"#)
                .is_none()
        );
    }

    #[test]
    fn the_seal_follows_the_current_key_not_the_decoy_key() {
        let ring = |current: &str| {
            CodeKeys::new(
                KeyId::parse(current).unwrap(),
                KeyId::parse("old").unwrap(),
                [
                    (
                        KeyId::parse("old").unwrap(),
                        CodeKey::from_bytes(&[1; 32]).unwrap(),
                    ),
                    (
                        KeyId::parse("new").unwrap(),
                        CodeKey::from_bytes(&[2; 32]).unwrap(),
                    ),
                ],
            )
            .unwrap()
        };
        let before = ClientSeal::new(&ring("old"), "pool");
        let after = ClientSeal::new(&ring("new"), "pool");
        let json = before.seal("k", &client("a")).unwrap();
        assert!(after.open("k", "a", &json).is_none());
    }
}
