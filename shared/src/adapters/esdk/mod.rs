//! AWS Encryption SDK messages under a KMS keyring: what Cognito puts in `request.code` of a
//! CustomEmailSender / CustomSMSSender event. A plain KMS `Decrypt` of that blob fails: it is an
//! Encryption SDK message whose data key KMS encrypted.
//!
//! AWS's own `aws-esdk` crate was measured and not used (see the README's custom-sender section):
//! this is the decrypt path for the suites Cognito uses, and (`encrypt.rs`) the encrypt path for
//! the one it writes, for a pool's own custom sender, on RustCrypto (AES-256-GCM, HKDF, ECDSA P-384).

pub mod encrypt;
pub mod kms;
pub mod message;
pub mod raw_aes;

use std::collections::BTreeMap;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

pub use encrypt::{CodeEncryptor, DataKeySource, EncryptError};
pub use kms::KmsKeyring;
pub use message::{Suite, decrypt};
pub use raw_aes::RawAesKeyring;

/// The encryption context: authenticated, not secret.
pub type EncryptionContext = BTreeMap<String, String>;

/// One encrypted copy of the data key, as the header lists it.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedDataKey {
    /// `aws-kms` for the KMS keyring.
    pub provider_id: String,
    /// For `aws-kms`: the ARN of the KMS key that encrypted it.
    pub provider_info: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for EncryptedDataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptedDataKey")
            .field("provider_id", &self.provider_id)
            .field(
                "provider_info",
                &String::from_utf8_lossy(&self.provider_info),
            )
            .finish_non_exhaustive()
    }
}

/// Why a message did not decrypt. No variant carries key material or plaintext, so each is safe
/// to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("the code is not base64")]
    NotBase64,
    #[error("malformed Encryption SDK message: {0}")]
    Malformed(&'static str),
    #[error("unsupported Encryption SDK message: {0}")]
    Unsupported(String),
    /// A required encryption-context pair is missing or different: names the key.
    #[error("the message's encryption context does not hold the required {0:?}")]
    ContextMismatch(String),
    #[error("no encrypted data key was encrypted under the configured KMS key {0}")]
    NoMatchingKey(String),
    #[error("KMS did not decrypt the data key: {0}")]
    Kms(String),
    #[error("the message does not authenticate: {0}")]
    Authentication(&'static str),
    #[error("the decrypted code is not UTF-8 text")]
    NotText,
}

/// Unwraps the data key: the KMS keyring in production, a fixed key in tests.
#[async_trait]
pub trait Keyring: Send + Sync {
    /// The plaintext data key of one of `keys`; `context` is the message's encryption context.
    async fn unwrap_key(
        &self,
        keys: &[EncryptedDataKey],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, DecryptError>;
}

/// Decrypts Cognito's `request.code`: a keyring and the encryption context the messages must carry.
pub struct CodeDecryptor<K> {
    pub keyring: K,
    pub required_context: EncryptionContext,
}

impl<K: Keyring> CodeDecryptor<K> {
    /// `code` is the event's base64 text; the answer is the code itself.
    pub async fn decrypt_code(&self, code: &str) -> Result<Zeroizing<String>, DecryptError> {
        if code.len() > message::MAX_MESSAGE_BYTES * 4 / 3 + 4 {
            return Err(DecryptError::Unsupported("an oversized code".into()));
        }
        let bytes = STANDARD
            .decode(code.trim())
            .map_err(|_| DecryptError::NotBase64)?;
        let plaintext = decrypt(&bytes, &self.keyring, &self.required_context).await?;
        let text = std::str::from_utf8(&plaintext).map_err(|_| DecryptError::NotText)?;
        Ok(Zeroizing::new(text.to_string()))
    }
}
/// The custom sender's decrypt.
#[async_trait]
impl<K: Keyring> crate::usecases::custom_sender::CodeDecryption for CodeDecryptor<K> {
    type Code = Zeroizing<String>;
    type Error = DecryptError;

    async fn decrypt(&self, encrypted: &str) -> Result<Self::Code, Self::Error> {
        self.decrypt_code(encrypted).await
    }
}
