//! Email through Amazon SES v2: one `SendEmail` with Simple content (subject, text and HTML
//! bodies), refused up front when the account is in the sandbox and the recipient is not verified.

mod errors;
mod html;
pub mod sandbox;

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

use crate::adapters::delivery::sandbox_cache::SandboxCache;
use crate::config::delivery::SesSettings;
use crate::domain::message::RenderedMessage;
use crate::ports::{DeliveryError, EmailSender};

pub use sandbox::{AccountState, IdentityStatus, SendQuota, SesAccount};

/// What the function's role must allow (SendEmail on the From identity and configuration set).
pub const IAM_ACTIONS: &[&str] = &["ses:SendEmail", "ses:GetAccount", "ses:GetEmailIdentity"];

pub struct SesV2Sender {
    client: Client,
    settings: SesSettings,
    sandbox: SandboxCache<SesAccount>,
}

impl SesV2Sender {
    /// `client` is built once per process; the account is read at `prepare_email`, or else on the
    /// first send.
    pub fn new(client: Client, settings: SesSettings) -> Self {
        let sandbox = SandboxCache::new(client.config().region());
        Self {
            client,
            settings,
            sandbox,
        }
    }
}

fn content(data: &str) -> Result<Content, DeliveryError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| DeliveryError::Failed(format!("SES content: {e}")))
}

#[async_trait]
impl EmailSender for SesV2Sender {
    async fn send_email(&self, to: &str, message: &RenderedMessage) -> Result<(), DeliveryError> {
        self.check_email(to).await?;
        let simple = Message::builder()
            .subject(content(&message.subject)?)
            .body(
                Body::builder()
                    .text(content(&message.body)?)
                    .html(content(&html::from_text(&message.body))?)
                    .build(),
            )
            .build();
        let mut request = self
            .client
            .send_email()
            .from_email_address(&self.settings.from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(simple).build())
            .set_configuration_set_name(self.settings.configuration_set.clone());
        if let Some(reply_to) = &self.settings.reply_to {
            request = request.reply_to_addresses(reply_to);
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e) => Err(errors::send_failure(
                &e,
                &errors::Context {
                    to,
                    from_address: self.settings.from_address(),
                    region: self.sandbox.region(),
                },
            )),
        }
    }

    async fn check_email(&self, to: &str) -> Result<(), DeliveryError> {
        sandbox::admit(&self.sandbox, &self.client, to).await
    }

    async fn prepare_email(&self) {
        self.sandbox
            .account(sandbox::read_account(&self.client))
            .await;
    }
}
