//! The Encryption SDK message format, encrypt side, as Cognito writes a custom sender's code:
//! format 1, suite 0x0378 (AES-256-GCM, HKDF-SHA384, ECDSA P-384 signature), one encrypted data
//! key from a [`DataKeySource`] (KMS `GenerateDataKey` on the pool's key), framed (4096-byte
//! frames: a code is one final frame), the signing key's public point in the encryption context.
//! The header, IVs, AADs and key derivation are the decrypt side's (`message.rs`), so what is
//! written here is what `decrypt` and the reference implementation read.

use aes_gcm::aead::AeadInPlace;
use aes_gcm::aead::consts::U12;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p384::ecdsa::signature::RandomizedSigner;
use p384::ecdsa::{Signature, SigningKey};
use p384::elliptic_curve::rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use super::message::{
    FINAL_FRAME, FINAL_FRAME_AAD, IV_LEN, PUBLIC_KEY_CONTEXT_KEY, Suite, content_aad, derive,
};
use super::raw_aes::serialized;
use super::{EncryptedDataKey, EncryptionContext};

/// The suite Cognito's codes come in (they start `AYADe`: format 1, suite 0x0378).
pub const COGNITO_SUITE: u16 = 0x0378;
/// The Encryption SDK's default frame length, which Cognito's messages carry.
pub const FRAME_LENGTH: u32 = 4096;
/// A P-384 signature as the reference implementations write it: DER of a 49-byte r (high bit set,
/// so a zero byte leads) and a 48-byte low s. They sign again until the signature has this length.
const SIGNATURE_LEN: usize = 103;
/// How many signatures are tried for that length (each has about an even chance).
const SIGNING_TRIES: usize = 64;

/// Why a message was not written. No variant carries key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncryptError {
    #[error("KMS is throttling requests")]
    Throttled,
    #[error("KMS did not generate a data key: {0}")]
    Kms(String),
    #[error("cannot encrypt: {0}")]
    Unsupported(&'static str),
}

/// A new data key and its one encrypted copy: KMS `GenerateDataKey` in production.
#[async_trait]
pub trait DataKeySource: Send + Sync {
    /// A fresh `len`-byte data key, encrypted under `context` (the whole encryption context,
    /// the signing key's public point included, as the Encryption SDK's KMS keyring sends it).
    async fn generate(
        &self,
        len: usize,
        context: &EncryptionContext,
    ) -> Result<(Zeroizing<Vec<u8>>, EncryptedDataKey), EncryptError>;
}

/// AES-256-GCM with a detached tag; `buffer` is encrypted in place.
fn seal(
    key: &[u8],
    iv: &[u8; IV_LEN],
    aad: &[u8],
    buffer: &mut [u8],
) -> Result<[u8; 16], EncryptError> {
    let cipher = Aes256Gcm::new_from_slice(key)
        .map_err(|_| EncryptError::Unsupported("a content key that is not 32 bytes"))?;
    let tag = cipher
        .encrypt_in_place_detached(&Nonce::<U12>::from(*iv), aad, buffer)
        .map_err(|_| EncryptError::Unsupported("content too long for AES-GCM"))?;
    Ok(tag.into())
}

fn short_bytes(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), EncryptError> {
    let len = u16::try_from(bytes.len())
        .map_err(|_| EncryptError::Unsupported("a header field over 65535 bytes"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

/// A low-s P-384 signature of `signed` of the reference implementations' length.
fn sign(key: &SigningKey, signed: &[u8]) -> Vec<u8> {
    let mut der = Vec::new();
    for _ in 0..SIGNING_TRIES {
        let signature: Signature = key.sign_with_rng(&mut OsRng, signed);
        let low = signature.normalize_s().unwrap_or(signature);
        der = low.to_der().as_bytes().to_vec();
        if der.len() == SIGNATURE_LEN {
            break;
        }
    }
    der
}

/// One Encryption SDK message of `plaintext` (at most a frame: a code), bound to `context`.
pub async fn encrypt(
    plaintext: &[u8],
    keys: &(impl DataKeySource + ?Sized),
    context: &EncryptionContext,
) -> Result<Vec<u8>, EncryptError> {
    let suite = Suite::from_id(COGNITO_SUITE).ok_or(EncryptError::Unsupported("the suite"))?;
    if plaintext.len() > FRAME_LENGTH as usize {
        return Err(EncryptError::Unsupported(
            "a plaintext longer than one frame",
        ));
    }
    if context.keys().any(|k| k.starts_with("aws-crypto-")) {
        return Err(EncryptError::Unsupported(
            "an encryption context key reserved for the Encryption SDK",
        ));
    }
    let signing_key = SigningKey::random(&mut OsRng);
    let public_key = signing_key.verifying_key().to_encoded_point(true);
    let mut context = context.clone();
    context.insert(
        PUBLIC_KEY_CONTEXT_KEY.into(),
        STANDARD.encode(public_key.as_bytes()),
    );
    let (data_key, encrypted_key) = keys.generate(32, &context).await?;
    let mut message_id = [0u8; 16];
    OsRng.fill_bytes(&mut message_id);
    let (key, _) = derive(suite, &message_id, &data_key)
        .map_err(|_| EncryptError::Unsupported("the key derivation"))?;

    // Header (format 1).
    let mut out = vec![0x01, 0x80];
    out.extend_from_slice(&suite.id.to_be_bytes());
    out.extend_from_slice(&message_id);
    let aad = serialized(&context)
        .map_err(|_| EncryptError::Unsupported("an encryption context entry too long"))?;
    short_bytes(&mut out, &aad)?;
    out.extend_from_slice(&1u16.to_be_bytes());
    short_bytes(&mut out, encrypted_key.provider_id.as_bytes())?;
    short_bytes(&mut out, &encrypted_key.provider_info)?;
    short_bytes(&mut out, &encrypted_key.ciphertext)?;
    out.push(0x02); // framed
    out.extend_from_slice(&[0, 0, 0, 0]); // reserved
    out.push(IV_LEN as u8);
    out.extend_from_slice(&FRAME_LENGTH.to_be_bytes());
    // Header authentication: an empty plaintext under the header as AAD, the all-zero IV the
    // reference implementations use (the key is the message's own).
    let header_iv = [0u8; IV_LEN];
    let tag = seal(&key, &header_iv, &out, &mut [])?;
    out.extend_from_slice(&header_iv);
    out.extend_from_slice(&tag);

    // Body: one final frame, sequence 1, its IV the sequence number (as the reference writes it).
    let sequence: u32 = 1;
    let mut iv = [0u8; IV_LEN];
    iv[IV_LEN - 4..].copy_from_slice(&sequence.to_be_bytes());
    let length = u32::try_from(plaintext.len())
        .map_err(|_| EncryptError::Unsupported("a plaintext longer than one frame"))?;
    let mut content = Zeroizing::new(plaintext.to_vec());
    let aad = content_aad(&message_id, FINAL_FRAME_AAD, sequence, u64::from(length));
    let tag = seal(&key, &iv, &aad, &mut content)?;
    out.extend_from_slice(&FINAL_FRAME.to_be_bytes());
    out.extend_from_slice(&sequence.to_be_bytes());
    out.extend_from_slice(&iv);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&content);
    out.extend_from_slice(&tag);

    // Footer: the signature over everything before it.
    let signature = sign(&signing_key, &out);
    short_bytes(&mut out, &signature)?;
    Ok(out)
}

/// Encrypts codes for a pool's own custom sender: the message of [`encrypt`], base64.
pub struct CodeEncryptor<K> {
    pub keys: K,
}

#[async_trait]
impl<K: DataKeySource> crate::ports::CodeEncryption for CodeEncryptor<K> {
    async fn encrypt(
        &self,
        code: &str,
        context: &EncryptionContext,
    ) -> Result<String, crate::ports::DeliveryError> {
        use crate::ports::DeliveryError;
        match encrypt(code.as_bytes(), &self.keys, context).await {
            Ok(message) => Ok(STANDARD.encode(message)),
            Err(EncryptError::Throttled) => Err(DeliveryError::Throttled),
            Err(e) => Err(DeliveryError::Failed(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::esdk::{DecryptError, Keyring, decrypt};

    /// A fixed data key "encrypted" as itself: the message format alone, no KMS.
    struct Fixed([u8; 32]);

    #[async_trait]
    impl DataKeySource for Fixed {
        async fn generate(
            &self,
            len: usize,
            _: &EncryptionContext,
        ) -> Result<(Zeroizing<Vec<u8>>, EncryptedDataKey), EncryptError> {
            assert_eq!(len, 32);
            Ok((
                Zeroizing::new(self.0.to_vec()),
                EncryptedDataKey {
                    provider_id: "aws-kms".into(),
                    provider_info: b"arn:aws:kms:us-east-1:123456789012:key/k".to_vec(),
                    ciphertext: vec![9; 8],
                },
            ))
        }
    }

    #[async_trait]
    impl Keyring for Fixed {
        async fn unwrap_key(
            &self,
            keys: &[EncryptedDataKey],
            _: &EncryptionContext,
        ) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
            assert_eq!(keys.len(), 1);
            Ok(Zeroizing::new(self.0.to_vec()))
        }
    }

    #[tokio::test]
    async fn a_written_message_reads_back_as_cognitos_do() {
        let keys = Fixed([7; 32]);
        let context: EncryptionContext = [("userpool-id".to_string(), "us-east-1_X".to_string())]
            .into_iter()
            .collect();
        let message = encrypt(b"123456", &keys, &context).await.unwrap();
        // Cognito's codes start `AYADe`: format 1, type 0x80, suite 0x0378.
        assert!(STANDARD.encode(&message).starts_with("AYADe"));
        let header = crate::adapters::esdk::message::parse_header(&message).unwrap();
        assert_eq!(header.encryption_context["userpool-id"], "us-east-1_X");
        assert!(
            header
                .encryption_context
                .contains_key(PUBLIC_KEY_CONTEXT_KEY)
        );
        let plaintext = decrypt(&message, &keys, &context).await.unwrap();
        assert_eq!(plaintext.as_slice(), b"123456");
        // The signature has the reference implementations' length.
        let len = u16::from_be_bytes([
            message[message.len() - SIGNATURE_LEN - 2],
            message[message.len() - SIGNATURE_LEN - 1],
        ]);
        assert_eq!(usize::from(len), SIGNATURE_LEN);
        // Each message is its own: a new message id, key pair and data key derivation.
        let again = encrypt(b"123456", &keys, &context).await.unwrap();
        assert_ne!(message, again);
        // One flipped bit anywhere is refused.
        let mut tampered = message.clone();
        let i = tampered.len() / 2;
        tampered[i] ^= 1;
        assert!(decrypt(&tampered, &keys, &context).await.is_err());
    }

    #[tokio::test]
    async fn reserved_context_keys_and_long_plaintexts_are_refused() {
        let keys = Fixed([1; 32]);
        let reserved: EncryptionContext = [(PUBLIC_KEY_CONTEXT_KEY.to_string(), "x".to_string())]
            .into_iter()
            .collect();
        assert!(matches!(
            encrypt(b"1", &keys, &reserved).await,
            Err(EncryptError::Unsupported(_))
        ));
        let long = vec![b'1'; FRAME_LENGTH as usize + 1];
        assert!(matches!(
            encrypt(&long, &keys, &EncryptionContext::new()).await,
            Err(EncryptError::Unsupported(_))
        ));
    }
}
