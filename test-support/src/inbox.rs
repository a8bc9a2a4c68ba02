//! A sender that records what it delivered (destination, code), or refuses every delivery.

use std::sync::Mutex;

use async_trait::async_trait;
use password_reset::domain::message::RenderedMessage;
use password_reset::ports::{DeliveryError, EmailSender, SmsSender};

/// Records each delivery (destination, code; and the whole message), or refuses every one while
/// `refuse` is set.
#[derive(Default)]
pub struct Inbox {
    pub sent: Mutex<Vec<(String, String)>>,
    pub messages: Mutex<Vec<(String, RenderedMessage)>>,
    pub refuse: Mutex<Option<DeliveryError>>,
}

impl Inbox {
    pub fn refusing(error: DeliveryError) -> Self {
        Self {
            refuse: Mutex::new(Some(error)),
            ..Default::default()
        }
    }

    fn deliver(&self, to: &str, m: &RenderedMessage) -> Result<(), DeliveryError> {
        if let Some(e) = &*self.refuse.lock().unwrap() {
            return Err(e.clone());
        }
        self.sent
            .lock()
            .unwrap()
            .push((to.to_string(), m.code.clone()));
        self.messages
            .lock()
            .unwrap()
            .push((to.to_string(), m.clone()));
        Ok(())
    }

    pub fn last_code(&self, to: &str) -> String {
        let sent = self.sent.lock().unwrap();
        sent.iter()
            .rev()
            // A notice (no code) is not a code delivery.
            .find(|(d, c)| d == to && !c.is_empty())
            .map(|(_, c)| c.clone())
            .expect("a delivery")
    }

    /// The newest delivery: destination and message.
    pub fn last_message(&self) -> (String, RenderedMessage) {
        self.messages
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a delivery")
    }

    pub fn is_empty(&self) -> bool {
        self.sent.lock().unwrap().is_empty()
    }

    pub fn count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }

    /// Deliveries that carried a code (not the PasswordChanged notices).
    pub fn code_count(&self) -> usize {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, c)| !c.is_empty())
            .count()
    }
}

#[async_trait]
impl EmailSender for Inbox {
    async fn send_email(&self, to: &str, m: &RenderedMessage) -> Result<(), DeliveryError> {
        self.deliver(to, m)
    }
}

#[async_trait]
impl SmsSender for Inbox {
    async fn send_sms(&self, to: &str, m: &RenderedMessage) -> Result<(), DeliveryError> {
        self.deliver(to, m)
    }
}
