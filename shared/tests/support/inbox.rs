//! Test doubles shared by the use-case suites (memory store here, DynamoDB in the root package's
//! tests): a sender that records what it delivered, or refuses, and the two requests.

#![allow(dead_code)]

use std::sync::Mutex;

use async_trait::async_trait;
use password_reset::domain::message::RenderedMessage;
use password_reset::domain::request::{ConfirmForgotPasswordRequest, ForgotPasswordRequest};
use password_reset::ports::{DeliveryError, EmailSender, SmsSender};

pub const CLIENT: &str = "38fjsnc484p94kpqsnet7mpld0";
pub const PASSWORD: &str = "N3w-Passw0rd!";

pub fn forgot(user: &str) -> ForgotPasswordRequest {
    ForgotPasswordRequest {
        client_id: CLIENT.into(),
        username: user.into(),
        ..Default::default()
    }
}

pub fn confirm(user: &str, code: &str) -> ConfirmForgotPasswordRequest {
    ConfirmForgotPasswordRequest {
        client_id: CLIENT.into(),
        username: user.into(),
        confirmation_code: code.into(),
        password: PASSWORD.into(),
        ..Default::default()
    }
}

/// Records each delivery (destination, code), or refuses every one while `refuse` is set.
#[derive(Default)]
pub struct Inbox {
    pub sent: Mutex<Vec<(String, String)>>,
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
