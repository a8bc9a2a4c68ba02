//! The Encryption SDK's raw AES keyring, decrypt side, for a local key (`SENDER_LOCAL_KEY`): the
//! data key wrapped with AES-256-GCM under the key itself, the message's encryption context as
//! the AAD. Only for `sam local` and tests, where no KMS key can decrypt: the sample events'
//! codes are encrypted under it (`scripts/esdk.py local-events`).

use aes_gcm::aead::AeadInPlace;
use aes_gcm::aead::consts::U12;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use async_trait::async_trait;
use zeroize::Zeroizing;

use super::{DecryptError, EncryptedDataKey, EncryptionContext, Keyring};

/// The key namespace (the encrypted data key's provider id) of the local key.
pub const NAMESPACE: &str = "cognito-password-reset-local";
/// The local key's name, the start of its provider info.
pub const KEY_NAME: &str = "sender-local-key";

const TAG_BITS: u32 = 128;
const TAG_LEN: usize = 16;
const IV_LEN: usize = 12;

pub struct RawAesKeyring {
    key: Zeroizing<[u8; 32]>,
}

impl RawAesKeyring {
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            key: Zeroizing::new(key),
        }
    }
}

/// The provider info the keyring writes: the key name, the tag length in bits and the IV length
/// (each a big-endian u32), then the IV. `None`: not this key's, or not that shape.
fn iv_of(provider_info: &[u8]) -> Option<[u8; IV_LEN]> {
    let rest = provider_info.strip_prefix(KEY_NAME.as_bytes())?;
    let (tag_bits, rest) = rest.split_first_chunk::<4>()?;
    let (iv_len, iv) = rest.split_first_chunk::<4>()?;
    if u32::from_be_bytes(*tag_bits) != TAG_BITS || u32::from_be_bytes(*iv_len) as usize != IV_LEN {
        return None;
    }
    iv.try_into().ok()
}

/// The encryption context as the message format serializes it (the wrapping's AAD): nothing when
/// empty, else the pair count, then each key and value with a big-endian u16 length, in key order.
pub(super) fn serialized(context: &EncryptionContext) -> Result<Vec<u8>, DecryptError> {
    let mut out = Vec::new();
    if context.is_empty() {
        return Ok(out);
    }
    let too_long = || DecryptError::Malformed("an encryption context entry too long");
    let count = u16::try_from(context.len()).map_err(|_| too_long())?;
    out.extend_from_slice(&count.to_be_bytes());
    for (key, value) in context {
        for part in [key, value] {
            let len = u16::try_from(part.len()).map_err(|_| too_long())?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
    }
    Ok(out)
}

#[async_trait]
impl Keyring for RawAesKeyring {
    async fn unwrap_key(
        &self,
        keys: &[EncryptedDataKey],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
        let aad = serialized(context)?;
        let cipher = Aes256Gcm::new_from_slice(self.key.as_slice())
            .map_err(|_| DecryptError::Malformed("the local key is not 32 bytes"))?;
        let mut ours = false;
        for key in keys.iter().filter(|k| k.provider_id == NAMESPACE) {
            let Some(iv) = iv_of(&key.provider_info) else {
                continue;
            };
            let Some((wrapped, tag)) = key
                .ciphertext
                .split_last_chunk::<TAG_LEN>()
                .filter(|(w, _)| !w.is_empty())
            else {
                continue;
            };
            ours = true;
            let mut buffer = Zeroizing::new(wrapped.to_vec());
            let opened = cipher.decrypt_in_place_detached(
                &Nonce::<U12>::from(iv),
                &aad,
                &mut buffer,
                &Tag::from(*tag),
            );
            if opened.is_ok() {
                return Ok(buffer);
            }
        }
        Err(if ours {
            DecryptError::Authentication("the data key does not unwrap under the local key")
        } else {
            DecryptError::NoMatchingKey(format!("{NAMESPACE}/{KEY_NAME} (the local key)"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_serializes_as_the_message_header_does() {
        assert!(serialized(&EncryptionContext::new()).unwrap().is_empty());
        let context: EncryptionContext = [("b", "2"), ("a", "1")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            serialized(&context).unwrap(),
            b"\x00\x02\x00\x01a\x00\x011\x00\x01b\x00\x012".to_vec()
        );
    }

    #[test]
    fn only_this_keys_provider_info_names_an_iv() {
        let mut info = KEY_NAME.as_bytes().to_vec();
        info.extend_from_slice(&128u32.to_be_bytes());
        info.extend_from_slice(&12u32.to_be_bytes());
        info.extend_from_slice(&[7; 12]);
        assert_eq!(iv_of(&info), Some([7; 12]));
        assert_eq!(iv_of(&info[..info.len() - 1]), None);
        assert_eq!(
            iv_of(b"another-key\x00\x00\x00\x80\x00\x00\x00\x0c012345678901"),
            None
        );
    }
}
