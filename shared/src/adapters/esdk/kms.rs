//! The Encryption SDK's strict KMS keyring, decrypt side: only data keys that name the configured
//! key ARN are sent to KMS `Decrypt`, with that key id and the message's encryption context, and
//! KMS must answer that this very key decrypted it.

use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::error::DisplayErrorContext;
use aws_sdk_kms::primitives::Blob;
use zeroize::Zeroizing;

use super::{DecryptError, EncryptedDataKey, EncryptionContext, Keyring};

/// The provider id the KMS keyring writes on its encrypted data keys.
pub const PROVIDER_ID: &str = "aws-kms";

/// What the function's role must allow, on the one key.
pub const IAM_ACTIONS: &[&str] = &["kms:Decrypt"];

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
