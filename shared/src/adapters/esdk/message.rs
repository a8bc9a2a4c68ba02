//! The AWS Encryption SDK message format, decrypt side only, for the two suites Cognito's codes
//! can come in ([`Suite`]): header (v1 and v2), header authentication, framed and non-framed
//! bodies, key derivation (HKDF-SHA384, HKDF-SHA512 with key commitment) and the ECDSA P-384
//! signature footer. Pure: the data key comes from a [`Keyring`].
//!
//! Followed from the published specification (data-format/message-header.md, message-body.md,
//! message-footer.md, framework/algorithm-suites.md) and checked against the Python ESDK's output.

use std::collections::BTreeMap;

use aes_gcm::aead::AeadInPlace;
use aes_gcm::aead::consts::U12;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{DecryptError, EncryptedDataKey, EncryptionContext, Keyring};

/// The encryption-context key under which signing suites carry the public key.
pub const PUBLIC_KEY_CONTEXT_KEY: &str = "aws-crypto-public-key";
/// A code is a few bytes; Cognito's messages are well under 1 KiB. Anything far larger is not one.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Cognito writes one encrypted data key; a few more are tolerated, a flood is not tried.
pub const MAX_ENCRYPTED_DATA_KEYS: usize = 8;

pub(super) const IV_LEN: usize = 12;
pub(super) const TAG_LEN: usize = 16;
pub(super) const FINAL_FRAME: u32 = 0xFFFF_FFFF;
const FRAME_AAD: &[u8] = b"AWSKMSEncryptionClient Frame";
pub(super) const FINAL_FRAME_AAD: &[u8] = b"AWSKMSEncryptionClient Final Frame";
const SINGLE_BLOCK_AAD: &[u8] = b"AWSKMSEncryptionClient Single Block";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kdf {
    HkdfSha384,
    /// With key commitment (message format v2).
    CommittingHkdfSha512,
}

/// One of the algorithm suites Cognito's custom sender codes come in (AES-256-GCM, IV 12, tag 16,
/// an ECDSA P-384 signature): 0x0378, which Cognito writes (its codes start `AYADe`: format 1,
/// suite 0x0378), and 0x0578, the same with key commitment, which the Encryption SDK writes by
/// default since 2.0 (should Cognito move to it). The nine others are refused unread: unsigned,
/// unkeyed or 128/192-bit messages are nothing Cognito sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suite {
    pub id: u16,
    key_len: usize,
    kdf: Kdf,
}

impl Suite {
    pub fn from_id(id: u16) -> Option<Self> {
        let kdf = match id {
            0x0378 => Kdf::HkdfSha384,
            0x0578 => Kdf::CommittingHkdfSha512,
            _ => return None,
        };
        Some(Self {
            id,
            key_len: 32,
            kdf,
        })
    }

    pub fn is_committing(&self) -> bool {
        self.kdf == Kdf::CommittingHkdfSha512
    }

    /// Both suites sign (P-384).
    pub fn is_signing(&self) -> bool {
        true
    }
}

/// A parsed message header, with the byte ranges the authentication covers.
#[derive(Debug)]
pub struct Header {
    pub version: u8,
    pub suite: Suite,
    pub message_id: Vec<u8>,
    pub encryption_context: EncryptionContext,
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
    framed: bool,
    frame_length: u32,
    /// v2: the commitment key the derived key must reproduce.
    commitment: Option<Vec<u8>>,
    /// End of the header body (what the header tag authenticates).
    body_end: usize,
    header_iv: [u8; IV_LEN],
    header_tag: [u8; TAG_LEN],
    /// End of the whole header (header authentication included).
    end: usize,
}

/// A cursor over the message; every read is bounds-checked and names what was missing.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecryptError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(DecryptError::Malformed(what))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecryptError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, DecryptError> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, DecryptError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, DecryptError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, DecryptError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// A u16 length, then that many bytes.
    fn short_bytes(&mut self, what: &'static str) -> Result<&'a [u8], DecryptError> {
        let n = self.u16(what)?;
        self.take(usize::from(n), what)
    }
}

fn utf8(bytes: &[u8], what: &'static str) -> Result<String, DecryptError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| DecryptError::Malformed(what))
}

fn parse_context(bytes: &[u8]) -> Result<EncryptionContext, DecryptError> {
    let mut context = BTreeMap::new();
    if bytes.is_empty() {
        return Ok(context);
    }
    let mut r = Reader { bytes, pos: 0 };
    let count = r.u16("encryption context count")?;
    if count == 0 {
        return Err(DecryptError::Malformed("empty encryption context"));
    }
    for _ in 0..count {
        let key = utf8(
            r.short_bytes("encryption context key")?,
            "encryption context key",
        )?;
        let value = utf8(
            r.short_bytes("encryption context value")?,
            "encryption context value",
        )?;
        if context.insert(key, value).is_some() {
            return Err(DecryptError::Malformed("duplicate encryption context key"));
        }
    }
    if r.pos != bytes.len() {
        return Err(DecryptError::Malformed(
            "extra bytes after the encryption context",
        ));
    }
    Ok(context)
}

/// Parses the header (both format versions) without any cryptography.
pub fn parse_header(bytes: &[u8]) -> Result<Header, DecryptError> {
    let mut r = Reader { bytes, pos: 0 };
    let version = r.u8("version")?;
    if version == 0x01 && r.u8("type")? != 0x80 {
        return Err(DecryptError::Unsupported("message type".into()));
    }
    if version != 0x01 && version != 0x02 {
        return Err(DecryptError::Unsupported(format!(
            "message format version {version}"
        )));
    }
    let suite_id = r.u16("algorithm suite")?;
    let suite = Suite::from_id(suite_id)
        .ok_or_else(|| DecryptError::Unsupported(format!("algorithm suite 0x{suite_id:04X}")))?;
    // v1 carries only non-committing suites, v2 only committing ones.
    if suite.is_committing() != (version == 0x02) {
        return Err(DecryptError::Malformed(
            "algorithm suite does not match the format version",
        ));
    }
    let message_id = r
        .take(if version == 0x01 { 16 } else { 32 }, "message id")?
        .to_vec();
    let encryption_context = parse_context(r.short_bytes("encryption context")?)?;
    let count = usize::from(r.u16("encrypted data key count")?);
    if count == 0 {
        return Err(DecryptError::Malformed("no encrypted data key"));
    }
    if count > MAX_ENCRYPTED_DATA_KEYS {
        return Err(DecryptError::Unsupported(format!(
            "{count} encrypted data keys (at most {MAX_ENCRYPTED_DATA_KEYS} are tried)"
        )));
    }
    let mut encrypted_data_keys = Vec::with_capacity(count);
    for _ in 0..count {
        let provider_id = utf8(r.short_bytes("key provider id")?, "key provider id")?;
        let provider_info = r.short_bytes("key provider info")?.to_vec();
        let ciphertext = r.short_bytes("encrypted data key")?.to_vec();
        encrypted_data_keys.push(EncryptedDataKey {
            provider_id,
            provider_info,
            ciphertext,
        });
    }
    let framed = match r.u8("content type")? {
        0x01 => false,
        0x02 => true,
        _ => return Err(DecryptError::Malformed("content type")),
    };
    if version == 0x01 {
        if r.u32("reserved")? != 0 {
            return Err(DecryptError::Malformed("reserved bytes are not zero"));
        }
        if usize::from(r.u8("IV length")?) != IV_LEN {
            return Err(DecryptError::Malformed("IV length"));
        }
    }
    let frame_length = r.u32("frame length")?;
    if framed == (frame_length == 0) {
        return Err(DecryptError::Malformed(
            "frame length does not match the content type",
        ));
    }
    let commitment = if version == 0x02 {
        Some(r.take(32, "commitment key")?.to_vec())
    } else {
        None
    };
    let body_end = r.pos;
    // v1 carries the header IV; v2 uses an all-zero IV.
    let header_iv = if version == 0x01 {
        r.array("header IV")?
    } else {
        [0u8; IV_LEN]
    };
    let header_tag = r.array("header authentication tag")?;
    Ok(Header {
        version,
        suite,
        message_id,
        encryption_context,
        encrypted_data_keys,
        framed,
        frame_length,
        commitment,
        body_end,
        header_iv,
        header_tag,
        end: r.pos,
    })
}

/// HKDF with the suite's hash.
fn hkdf(
    kdf: Kdf,
    salt: Option<&[u8]>,
    ikm: &[u8],
    info: &[&[u8]],
    out: &mut [u8],
) -> Result<(), DecryptError> {
    let expanded = match kdf {
        Kdf::HkdfSha384 => hkdf::Hkdf::<sha2::Sha384>::new(salt, ikm).expand_multi_info(info, out),
        Kdf::CommittingHkdfSha512 => {
            hkdf::Hkdf::<sha2::Sha512>::new(salt, ikm).expand_multi_info(info, out)
        }
    };
    expanded.map_err(|_| DecryptError::Malformed("key derivation length"))
}

/// Key material, wiped when dropped.
pub(super) type Secret = Zeroizing<Vec<u8>>;

/// The key the content is encrypted under, and (committing suites) the commitment key.
pub(super) fn derive(
    suite: Suite,
    message_id: &[u8],
    data_key: &[u8],
) -> Result<(Secret, Option<Secret>), DecryptError> {
    let id = suite.id.to_be_bytes();
    let mut key = Zeroizing::new(vec![0u8; suite.key_len]);
    match suite.kdf {
        kdf @ Kdf::HkdfSha384 => {
            // v1: no salt; the info binds the key to the suite and the message.
            hkdf(kdf, None, data_key, &[&id, message_id], &mut key)?;
        }
        kdf @ Kdf::CommittingHkdfSha512 => {
            let salt = Some(message_id);
            hkdf(kdf, salt, data_key, &[&id, b"DERIVEKEY"], &mut key)?;
            let mut commitment = Zeroizing::new(vec![0u8; 32]);
            hkdf(kdf, salt, data_key, &[b"COMMITKEY"], &mut commitment)?;
            return Ok((key, Some(commitment)));
        }
    }
    Ok((key, None))
}

/// AES-GCM decryption with a detached tag; `None` when the tag does not verify.
fn open(
    key: &[u8],
    iv: &[u8; IV_LEN],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8; TAG_LEN],
) -> Option<Vec<u8>> {
    let nonce = Nonce::<U12>::from(*iv);
    let tag = Tag::from(*tag);
    let mut buffer = ciphertext.to_vec();
    Aes256Gcm::new_from_slice(key)
        .ok()?
        .decrypt_in_place_detached(&nonce, aad, &mut buffer, &tag)
        .ok()
        .map(|()| buffer)
}

pub(super) fn content_aad(message_id: &[u8], label: &[u8], sequence: u32, length: u64) -> Vec<u8> {
    let mut aad = Vec::with_capacity(message_id.len() + label.len() + 12);
    aad.extend_from_slice(message_id);
    aad.extend_from_slice(label);
    aad.extend_from_slice(&sequence.to_be_bytes());
    aad.extend_from_slice(&length.to_be_bytes());
    aad
}

/// Decrypts the body after the header; returns the plaintext and where the body ends.
fn decrypt_body(
    bytes: &[u8],
    header: &Header,
    key: &[u8],
) -> Result<(Zeroizing<Vec<u8>>, usize), DecryptError> {
    let mut r = Reader {
        bytes,
        pos: header.end,
    };
    let mut plaintext = Zeroizing::new(Vec::new());
    let failed = DecryptError::Authentication("a body authentication tag does not verify");
    if !header.framed {
        let iv = r.array("body IV")?;
        let length = r.u64("content length")?;
        let n = usize::try_from(length).map_err(|_| DecryptError::Malformed("content length"))?;
        let content = r.take(n, "encrypted content")?;
        let tag = r.array("body authentication tag")?;
        let aad = content_aad(&header.message_id, SINGLE_BLOCK_AAD, 1, length);
        let opened = open(key, &iv, &aad, content, &tag).ok_or(failed)?;
        plaintext.extend_from_slice(&opened);
        return Ok((plaintext, r.pos));
    }
    let mut expected: u32 = 1;
    loop {
        let first = r.u32("frame sequence number")?;
        let last = first == FINAL_FRAME;
        let sequence = if last {
            r.u32("final frame sequence number")?
        } else {
            first
        };
        // Frames in order and none missing: a reordered or truncated body is refused.
        if sequence != expected {
            return Err(DecryptError::Malformed("frame out of sequence"));
        }
        let iv = r.array("frame IV")?;
        let length = if last {
            let n = r.u32("final frame length")?;
            if n > header.frame_length {
                return Err(DecryptError::Malformed("final frame longer than a frame"));
            }
            n
        } else {
            header.frame_length
        };
        let content = r.take(length as usize, "frame content")?;
        let tag = r.array("frame authentication tag")?;
        let label = if last { FINAL_FRAME_AAD } else { FRAME_AAD };
        let aad = content_aad(&header.message_id, label, sequence, u64::from(length));
        let opened = open(key, &iv, &aad, content, &tag).ok_or(DecryptError::Authentication(
            "a frame authentication tag does not verify",
        ))?;
        plaintext.extend_from_slice(&opened);
        if last {
            return Ok((plaintext, r.pos));
        }
        expected = expected
            .checked_add(1)
            .filter(|n| *n != FINAL_FRAME)
            .ok_or(DecryptError::Malformed("too many frames"))?;
    }
}

/// Verifies the footer's ECDSA P-384 signature over everything before it.
fn verify_signature(bytes: &[u8], header: &Header, body_end: usize) -> Result<(), DecryptError> {
    let public_key = header
        .encryption_context
        .get(PUBLIC_KEY_CONTEXT_KEY)
        .ok_or(DecryptError::Malformed(
            "a signing suite without its public key in the encryption context",
        ))?;
    let public_key = STANDARD
        .decode(public_key)
        .map_err(|_| DecryptError::Malformed("the signature public key is not base64"))?;
    let mut r = Reader {
        bytes,
        pos: body_end,
    };
    let signature = r.short_bytes("signature")?;
    if r.pos != bytes.len() {
        return Err(DecryptError::Malformed("extra bytes after the signature"));
    }
    let signed = &bytes[..body_end];
    let bad_key = DecryptError::Malformed("the signature public key is not a curve point");
    let bad_signature = DecryptError::Malformed("the signature is not DER");
    let refused = DecryptError::Authentication("the message signature does not verify");
    use p384::ecdsa::signature::Verifier;
    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(&public_key).map_err(|_| bad_key)?;
    let signature = p384::ecdsa::Signature::from_der(signature).map_err(|_| bad_signature)?;
    key.verify(signed, &signature).map_err(|_| refused)
}

/// Decrypts one Encryption SDK message. `required` pairs must all be in the message's encryption
/// context (as the SDK's own `decrypt(encryption_context=...)` checks); the plaintext is returned
/// only once every tag, the key commitment and the signature have verified.
pub async fn decrypt(
    bytes: &[u8],
    keyring: &(impl Keyring + ?Sized),
    required: &EncryptionContext,
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(DecryptError::Unsupported(format!(
            "a message of {} bytes (at most {MAX_MESSAGE_BYTES})",
            bytes.len()
        )));
    }
    let header = parse_header(bytes)?;
    for (key, value) in required {
        if header.encryption_context.get(key) != Some(value) {
            return Err(DecryptError::ContextMismatch(key.clone()));
        }
    }
    let data_key = keyring
        .unwrap_key(&header.encrypted_data_keys, &header.encryption_context)
        .await?;
    if data_key.len() != header.suite.key_len {
        return Err(DecryptError::Malformed(
            "the data key's length does not fit the algorithm suite",
        ));
    }
    let (key, commitment) = derive(header.suite, &header.message_id, &data_key)?;
    if let (Some(expected), Some(derived)) = (&header.commitment, &commitment)
        && !bool::from(expected.as_slice().ct_eq(derived.as_slice()))
    {
        return Err(DecryptError::Authentication(
            "the key commitment does not match",
        ));
    }
    open(
        &key,
        &header.header_iv,
        &bytes[..header.body_end],
        &[],
        &header.header_tag,
    )
    .ok_or(DecryptError::Authentication(
        "the header authentication tag does not verify",
    ))?;
    let (plaintext, body_end) = decrypt_body(bytes, &header, &key)?;
    verify_signature(bytes, &header, body_end)?;
    Ok(plaintext)
}
