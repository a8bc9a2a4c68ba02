//! Local delivery: each message is printed (masked destination and code) and appended as one JSON
//! line to a file. It can imitate a sandbox: only listed destinations are accepted.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::Serialize;

use crate::domain::delivery::DeliveryMedium;
use crate::domain::message::RenderedMessage;
use crate::domain::time::UnixTime;
use crate::ports::{DeliveryError, EmailSender, SmsSender};

/// One delivered message, as written to the outbox file.
#[derive(Debug, Serialize)]
struct OutboxLine<'a> {
    time: UnixTime,
    medium: DeliveryMedium,
    destination: &'a str,
    masked_destination: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    subject: &'a str,
    body: &'a str,
    code: &'a str,
}

pub struct Outbox {
    path: Option<PathBuf>,
    /// `Some`: sandbox mode, only these destinations (emails compared case-insensitively) accepted.
    sandbox: Option<Vec<String>>,
    print: bool,
    file: Mutex<()>,
}

impl Outbox {
    pub fn new(path: Option<PathBuf>, sandbox: Option<Vec<String>>, print: bool) -> Self {
        Self {
            path,
            sandbox,
            print,
            file: Mutex::new(()),
        }
    }

    pub fn path(&self) -> Option<&PathBuf> {
        self.path.as_ref()
    }

    fn deliver(
        &self,
        medium: DeliveryMedium,
        to: &str,
        message: &RenderedMessage,
    ) -> Result<(), DeliveryError> {
        let masked = medium.mask(to);
        if let Some(allowed) = &self.sandbox
            && !allowed.iter().any(|a| a.eq_ignore_ascii_case(to))
        {
            return Err(DeliveryError::Refused(format!(
                "The outbox is in sandbox mode and {masked} is not a verified destination. \
                 Add it to Outbox.VerifiedDestinations in the pool configuration, or turn the sandbox off."
            )));
        }
        let line = OutboxLine {
            time: UnixTime::now(),
            medium,
            destination: to,
            masked_destination: masked.clone(),
            subject: &message.subject,
            body: &message.body,
            code: &message.code,
        };
        if let Some(path) = &self.path {
            let json =
                serde_json::to_string(&line).map_err(|e| DeliveryError::Failed(e.to_string()))?;
            let _guard = self
                .file
                .lock()
                .map_err(|_| DeliveryError::Failed("outbox lock poisoned".into()))?;
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| DeliveryError::Failed(format!("outbox {}: {e}", path.display())))?;
            writeln!(file, "{json}")
                .map_err(|e| DeliveryError::Failed(format!("outbox {}: {e}", path.display())))?;
        }
        if self.print {
            // The outbox is the delivery channel itself (stdout), not a log line.
            if message.code.is_empty() {
                println!(
                    "outbox: {} to {masked}: {}",
                    medium.as_str(),
                    message.subject
                );
            } else {
                println!(
                    "outbox: {} to {masked}: code {}",
                    medium.as_str(),
                    message.code
                );
            }
        }
        Ok(())
    }
}

#[async_trait]
impl EmailSender for Outbox {
    async fn send_email(&self, to: &str, message: &RenderedMessage) -> Result<(), DeliveryError> {
        self.deliver(DeliveryMedium::Email, to, message)
    }
}

#[async_trait]
impl SmsSender for Outbox {
    async fn send_sms(&self, to: &str, message: &RenderedMessage) -> Result<(), DeliveryError> {
        self.deliver(DeliveryMedium::Sms, to, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg() -> RenderedMessage {
        RenderedMessage {
            subject: "s".into(),
            body: "code 123456".into(),
            code: "123456".into(),
        }
    }

    #[tokio::test]
    async fn writes_one_json_line_per_message() {
        let dir = std::env::temp_dir().join(format!("outbox-test-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let outbox = Outbox::new(Some(dir.clone()), None, false);
        outbox.send_email("jane@example.com", &msg()).await.unwrap();
        outbox.send_sms("+12065550142", &msg()).await.unwrap();
        let text = std::fs::read_to_string(&dir).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["masked_destination"], "j***@e***.com");
        assert_eq!(lines[1]["medium"], "SMS");
        assert_eq!(lines[1]["code"], "123456");
        let _ = std::fs::remove_file(&dir);
    }

    #[tokio::test]
    async fn sandbox_refuses_unlisted_destinations_naming_why() {
        let outbox = Outbox::new(None, Some(vec!["Jane@Example.com".into()]), false);
        assert!(outbox.send_email("jane@example.com", &msg()).await.is_ok());
        let err = outbox.send_sms("+12065550142", &msg()).await.unwrap_err();
        let DeliveryError::Refused(reason) = err else {
            panic!("expected a refusal")
        };
        assert!(
            reason.contains("sandbox") && reason.contains("+*******0142"),
            "{reason}"
        );
        assert!(!reason.contains("2065550142"));
    }
}
