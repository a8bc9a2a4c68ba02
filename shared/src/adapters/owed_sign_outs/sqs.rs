//! `OwedSignOuts` on an SQS queue (feature `sqs`): one message per owed sign-out, delayed by the
//! queue's own DelaySeconds (the template's) so the pool has a moment to recover; the confirm
//! function receives it (an event source mapping),
//! ends the sessions, and a failure leaves the message to come back after its visibility timeout,
//! until the queue's redrive policy moves it to the dead-letter queue (the template's).

use async_trait::async_trait;
use aws_sdk_sqs::Client;

use crate::adapters::aws_errors::SQS;
use crate::domain::owed_sign_out::OwedSignOut;
use crate::ports::{OwedSignOuts, StoreError};

#[derive(Debug, Clone)]
pub struct SqsOwedSignOuts {
    client: Client,
    queue_url: String,
}

impl SqsOwedSignOuts {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl OwedSignOuts for SqsOwedSignOuts {
    /// One SendMessage (the SDK retries it: a duplicate is one more sign-out, harmless).
    async fn record(&self, username: &str) -> Result<(), StoreError> {
        let body = OwedSignOut::new(username).to_body();
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| SQS.store_error("SendMessage", &self.queue_url, e))
    }
}
