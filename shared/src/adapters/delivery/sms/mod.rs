//! SMS through AWS End User Messaging SMS v2: one `SendTextMessage` (TRANSACTIONAL, with a time to
//! live, optionally a dry run), refused up front when the account is in the sandbox and the number
//! is not a verified destination.

mod errors;
pub mod sandbox;

use async_trait::async_trait;
use aws_sdk_pinpointsmsvoicev2::Client;
use aws_sdk_pinpointsmsvoicev2::types::MessageType;

use crate::adapters::delivery::sandbox_cache::SandboxCache;
use crate::config::delivery::SmsSettings;
use crate::domain::mask;
use crate::domain::message::RenderedMessage;
use crate::ports::{DeliveryError, SmsSender};

pub use sandbox::{AccountState, SmsAccount, SpendLimit};

/// What the function's role must allow.
pub const IAM_ACTIONS: &[&str] = &[
    "sms-voice:SendTextMessage",
    "sms-voice:DescribeAccountAttributes",
    "sms-voice:DescribeSpendLimits",
    "sms-voice:DescribeVerifiedDestinationNumbers",
];

pub struct SmsV2Sender {
    client: Client,
    settings: SmsSettings,
    sandbox: SandboxCache<SmsAccount>,
}

impl SmsV2Sender {
    /// `client` is built once per process; the account is read on the first send.
    pub fn new(client: Client, settings: SmsSettings) -> Self {
        let sandbox = SandboxCache::new(client.config().region());
        Self {
            client,
            settings,
            sandbox,
        }
    }
}

#[async_trait]
impl SmsSender for SmsV2Sender {
    async fn send_sms(&self, to: &str, message: &RenderedMessage) -> Result<(), DeliveryError> {
        self.check_sms(to).await?;
        let ttl = i32::try_from(self.settings.ttl_seconds).unwrap_or(i32::MAX);
        let sent = self
            .client
            .send_text_message()
            .destination_phone_number(to)
            .message_body(&message.body)
            .message_type(MessageType::Transactional)
            .time_to_live(ttl)
            .set_origination_identity(self.settings.origination_identity.clone())
            .set_configuration_set_name(self.settings.configuration_set.clone())
            .dry_run(self.settings.dry_run)
            .send()
            .await
            .map_err(|e| errors::send_failure(&e, to, self.sandbox.region()))?;
        if self.settings.dry_run {
            tracing::info!(recipient = %mask::phone(to), message_id = sent.message_id().unwrap_or_default(),
                "SMS dry run: validated by the service, not sent (SMS_DRY_RUN)");
        }
        Ok(())
    }

    async fn check_sms(&self, to: &str) -> Result<(), DeliveryError> {
        sandbox::admit(&self.sandbox, &self.client, to).await
    }

    async fn prepare_sms(&self) {
        self.sandbox
            .account(sandbox::read_account(&self.client))
            .await;
    }
}
