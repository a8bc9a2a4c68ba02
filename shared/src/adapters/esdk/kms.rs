//! The Encryption SDK's strict KMS keyring, decrypt side: only data keys that name the configured
//! key ARN are sent to KMS `Decrypt`, with that key id and the message's encryption context, and
//! KMS must answer that this very key decrypted it. Encrypt side (a pool's own custom sender's
//! codes): KMS `GenerateDataKey` on that key, under the message's encryption context.

use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::error::DisplayErrorContext;
use aws_sdk_kms::primitives::Blob;
use zeroize::Zeroizing;

use super::encrypt::{DataKeySource, EncryptError};
use super::{DecryptError, EncryptedDataKey, EncryptionContext, Keyring};

/// The provider id the KMS keyring writes on its encrypted data keys.
pub const PROVIDER_ID: &str = "aws-kms";

/// What the function's role must allow, on the one key.
pub const IAM_ACTIONS: &[&str] = &["kms:Decrypt"];

/// What a role that encrypts codes for a pool's own custom sender must allow, on the one key.
pub const ENCRYPT_IAM_ACTIONS: &[&str] = &["kms:GenerateDataKey"];

/// KMS's code for a request-rate quota (`adapters::aws_errors` is not linked where only KMS is).
const THROTTLING: &[&str] = &["ThrottlingException"];

pub struct KmsKeyring {
    client: Client,
    key_arn: String,
}

impl KmsKeyring {
    /// `key_arn` is the key Cognito encrypts with (the pool's `KMSKeyID`).
    pub fn new(client: Client, key_arn: impl Into<String>) -> Self {
        Self {
            client,
            key_arn: key_arn.into(),
        }
    }

    pub fn key_arn(&self) -> &str {
        &self.key_arn
    }
}

#[async_trait]
impl DataKeySource for KmsKeyring {
    async fn generate(
        &self,
        len: usize,
        context: &EncryptionContext,
    ) -> Result<(Zeroizing<Vec<u8>>, EncryptedDataKey), EncryptError> {
        let bytes =
            i32::try_from(len).map_err(|_| EncryptError::Unsupported("a data key length"))?;
        let answer = self
            .client
            .generate_data_key()
            .key_id(&self.key_arn)
            .number_of_bytes(bytes)
            .set_encryption_context(Some(context.clone().into_iter().collect()))
            .send()
            .await;
        let out = match answer {
            Ok(out) => out,
            Err(e) => {
                use aws_sdk_kms::error::ProvideErrorMetadata;
                if e.code().is_some_and(|c| THROTTLING.contains(&c)) {
                    return Err(EncryptError::Throttled);
                }
                return Err(EncryptError::Kms(DisplayErrorContext(&e).to_string()));
            }
        };
        let (Some(key_id), Some(plaintext), Some(ciphertext)) =
            (out.key_id, out.plaintext, out.ciphertext_blob)
        else {
            return Err(EncryptError::Kms(
                "GenerateDataKey answered without a key id, plaintext or ciphertext".into(),
            ));
        };
        // The strict keyring's check, from this side: the data key is this very key's.
        if key_id != self.key_arn {
            return Err(EncryptError::Kms(format!(
                "KMS answered for another key ({key_id})"
            )));
        }
        let plaintext = Zeroizing::new(plaintext.into_inner());
        if plaintext.len() != len {
            return Err(EncryptError::Kms("a data key of another length".into()));
        }
        Ok((
            plaintext,
            EncryptedDataKey {
                provider_id: PROVIDER_ID.into(),
                provider_info: key_id.into_bytes(),
                ciphertext: ciphertext.into_inner(),
            },
        ))
    }
}

#[async_trait]
impl Keyring for KmsKeyring {
    async fn unwrap_key(
        &self,
        keys: &[EncryptedDataKey],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
        let mut last_failure = None;
        let ours = keys
            .iter()
            .filter(|k| k.provider_id == PROVIDER_ID && k.provider_info == self.key_arn.as_bytes());
        for key in ours {
            let answer = self
                .client
                .decrypt()
                .key_id(&self.key_arn)
                .ciphertext_blob(Blob::new(key.ciphertext.clone()))
                .set_encryption_context(Some(context.clone().into_iter().collect()))
                .send()
                .await;
            match answer {
                Ok(out) if out.key_id() == Some(self.key_arn.as_str()) => {
                    if let Some(plaintext) = out.plaintext {
                        return Ok(Zeroizing::new(plaintext.into_inner()));
                    }
                    last_failure = Some("KMS answered without a plaintext".to_string());
                }
                Ok(out) => {
                    last_failure = Some(format!(
                        "KMS answered for another key ({})",
                        out.key_id().unwrap_or("none")
                    ));
                }
                Err(e) => last_failure = Some(DisplayErrorContext(&e).to_string()),
            }
        }
        Err(match last_failure {
            Some(detail) => DecryptError::Kms(detail),
            None => DecryptError::NoMatchingKey(self.key_arn.clone()),
        })
    }
}
