//! The confirm function's second event kind: the sign-out retry queue's messages (SQS, through an
//! event source mapping reporting batch item failures). Each owed sign-out is retried; the ones
//! that fail again are named, so only they come back after the queue's visibility timeout, until
//! the redrive policy moves them to the dead-letter queue.

use lambda_runtime::Diagnostic;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::owed_sign_out::OwedSignOut;
use crate::usecases::ResetService;

/// An SQS event as Lambda delivers it, as far as this handler reads it.
#[derive(Deserialize)]
struct QueueEvent {
    #[serde(rename = "Records")]
    records: Vec<QueueMessage>,
}

#[derive(Deserialize)]
struct QueueMessage {
    #[serde(rename = "messageId")]
    message_id: String,
    body: String,
}

/// Whether `event` is an SQS batch (`Records` whose `eventSource` is `aws:sqs`).
pub fn is_queue_event(event: &Value) -> bool {
    event
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|records| records.first())
        .and_then(|record| record.get("eventSource"))
        .is_some_and(|source| source == "aws:sqs")
}

/// Retries every owed sign-out of the batch, one after the other; answers the ones that failed
/// (`batchItemFailures`). A body that is no record fails too, so the dead-letter queue keeps it
/// for a person to read.
pub async fn handle(service: &ResetService, event: Value) -> Result<Value, Diagnostic> {
    let event: QueueEvent = serde_json::from_value(event).map_err(|e| Diagnostic {
        error_type: "MalformedQueueEvent".into(),
        error_message: e.to_string(),
    })?;
    let mut failures = Vec::new();
    for message in event.records {
        let ended = match OwedSignOut::from_body(&message.body) {
            Ok(owed) => service.end_owed_sessions(&owed).await.is_ok(),
            Err(e) => {
                tracing::error!(error = %e, message_id = %message.message_id,
                    "a sign-out retry message that is no owed sign-out");
                false
            }
        };
        if !ended {
            failures.push(json!({ "itemIdentifier": message.message_id }));
        }
    }
    Ok(json!({ "batchItemFailures": failures }))
}
