//! CustomEmailSender / CustomSMSSender: Cognito hands over the code encrypted (an AWS Encryption
//! SDK message under the pool's KMS key) and sends nothing itself. This decrypts the code, renders
//! the trigger source's CustomMessage template for the user's locale, and sends it through the same
//! senders (sandbox pre-checks and refusals included) as ForgotPassword. The code is never logged.

use std::ops::Deref;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use crate::domain::delivery::DeliveryMedium;
use crate::domain::message::{MessageParams, MessageTemplates, RenderError};
use crate::domain::message_catalog::{MessageCatalog, MessageSource};
use crate::domain::request::ClientMetadata;
use crate::domain::user::Attributes;
use crate::metrics::{self, Operation};
use crate::ports::{DeliveryError, EmailSender, SmsSender, send_by};
use crate::usecases::custom_message::{CustomMessageError, CustomMessageRequest, custom_message};

/// Opens the event's `request.code`: the Encryption SDK decrypt under the pool's KMS key
/// (`adapters::esdk::CodeDecryptor`).
#[async_trait]
pub trait CodeDecryption: Send + Sync {
    /// The code, wiped when dropped.
    type Code: Deref<Target = String> + Send;
    /// Why it did not decrypt: safe to log (no key material, no plaintext).
    type Error: std::fmt::Display + Send;
    async fn decrypt(&self, encrypted: &str) -> Result<Self::Code, Self::Error>;
}

/// What one trigger source asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A code (or AdminCreateUser's temporary password) in the source's CustomMessage template.
    Code(MessageSource),
    /// CustomEmailSender_AccountTakeOverNotification: a notice, no code.
    TakeoverNotice,
}

/// `CustomEmailSender_ForgotPassword` -> (EMAIL, ForgotPassword); `None` for a source Cognito may
/// add later, which is acknowledged without sending anything.
pub fn trigger(source: &str) -> Option<(DeliveryMedium, Purpose)> {
    let (medium, name) = if let Some(name) = source.strip_prefix("CustomEmailSender_") {
        (DeliveryMedium::Email, name)
    } else if let Some(name) = source.strip_prefix("CustomSMSSender_") {
        (DeliveryMedium::Sms, name)
    } else {
        return None;
    };
    if medium == DeliveryMedium::Email && name == "AccountTakeOverNotification" {
        return Some((medium, Purpose::TakeoverNotice));
    }
    // Only bare names: `CustomSMSSender_CustomMessage_SignUp` is nothing Cognito sends.
    if name.contains('_') {
        return None;
    }
    MessageSource::parse(name).map(|s| (medium, Purpose::Code(s)))
}

/// The takeover notice has no CustomMessage source (Cognito's own text is not configurable either).
fn takeover_templates() -> MessageTemplates {
    MessageTemplates {
        email_subject: "Security alert: suspicious sign-in attempt".into(),
        email_message:
            "Hello {name|there},\n\nWe detected a suspicious sign-in attempt on your account \
                        {username}. If it was not you, change your password now.\n\nIf it was you, \
                        you can ignore this message."
                .into(),
        sms_message: String::new(),
    }
}

/// What happened to one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The message went out (or, with `SMS_DRY_RUN`, was validated) to the masked destination.
    Delivered {
        medium: DeliveryMedium,
        destination: String,
    },
    /// Nothing to do: a trigger source this function does not handle.
    Acknowledged,
}

/// Why a message did not go out. Every variant is safe to log: no code, no full destination.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("the event is not a custom sender event: {0}")]
    Malformed(&'static str),
    #[error("{trigger}: the user has no {attribute} to send the message to")]
    NoDestination {
        trigger: String,
        attribute: &'static str,
    },
    #[error("{trigger}: the event carries no code")]
    NoCode { trigger: String },
    #[error("{trigger}: the code could not be decrypted: {error}")]
    Decrypt { trigger: String, error: String },
    #[error("{trigger}: the message could not be rendered: {error}")]
    Render { trigger: String, error: String },
    #[error("{trigger}: the message to {destination} was not delivered: {error}")]
    Delivery {
        trigger: String,
        destination: String,
        error: DeliveryError,
    },
}

impl SendError {
    /// The Lambda error type: what failed, for metrics and alarms.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "InvalidEvent",
            Self::NoDestination { .. } => "NoDestination",
            Self::NoCode { .. } => "NoCode",
            Self::Decrypt { .. } => "CodeDecryptionFailed",
            Self::Render { .. } => "InvalidLambdaResponseException",
            Self::Delivery { .. } => "CodeDeliveryFailureException",
        }
    }
}

/// The function's state: built once per container, borrowed by every invocation.
pub struct CustomSender<D> {
    pub decryptor: D,
    pub catalog: MessageCatalog,
    pub email: Arc<dyn EmailSender>,
    pub sms: Arc<dyn SmsSender>,
}

/// How an event ended, for the team on call.
fn outcome(result: &Result<Outcome, SendError>) -> metrics::Outcome {
    use metrics::Outcome as M;
    match result {
        Ok(Outcome::Delivered { .. }) => M::Issued,
        Ok(Outcome::Acknowledged) => M::Ignored,
        Err(SendError::Delivery { error, .. }) => match error {
            DeliveryError::Refused(_) => M::DeliveryRefused,
            DeliveryError::Throttled => M::Throttled,
            DeliveryError::Failed(_) => M::DeliveryFailed,
        },
        Err(SendError::Decrypt { .. } | SendError::Render { .. }) => M::TriggerError,
        Err(
            SendError::Malformed(_) | SendError::NoDestination { .. } | SendError::NoCode { .. },
        ) => M::Rejected,
    }
}

impl<D: CodeDecryption> CustomSender<D> {
    /// Decrypts, renders and delivers one event's message; logs the outcome either way.
    pub async fn send(&self, event: &Value) -> Result<Outcome, SendError> {
        let result = self.deliver(event).await;
        let trigger = event
            .get("triggerSource")
            .and_then(Value::as_str)
            .unwrap_or("(none)");
        metrics::count(Operation::CustomSender, outcome(&result));
        match &result {
            Ok(Outcome::Delivered {
                medium,
                destination,
            }) => {
                tracing::info!(trigger, medium = medium.as_str(), %destination, "message delivered");
            }
            Ok(Outcome::Acknowledged) => {
                tracing::warn!(
                    trigger,
                    "unknown custom sender trigger source: acknowledged, nothing sent"
                );
            }
            Err(e) => {
                tracing::error!(trigger, kind = e.kind(), error = %e, "message not delivered")
            }
        }
        result
    }

    async fn deliver(&self, event: &Value) -> Result<Outcome, SendError> {
        let source = event
            .get("triggerSource")
            .and_then(Value::as_str)
            .ok_or(SendError::Malformed("no triggerSource"))?;
        let Some((medium, purpose)) = trigger(source) else {
            return Ok(Outcome::Acknowledged);
        };
        let request = event
            .get("request")
            .filter(|r| r.is_object())
            .ok_or(SendError::Malformed("no request"))?;
        // Values are strings in real events; anything else is read as text or skipped.
        let attributes: Attributes = request
            .get("userAttributes")
            .cloned()
            .and_then(|a| serde_json::from_value(a).ok())
            .unwrap_or_default();
        let attribute = medium.attribute_name();
        let destination = attributes
            .get(attribute)
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .ok_or_else(|| SendError::NoDestination {
                trigger: source.to_string(),
                attribute,
            })?
            .to_string();
        let user_name = event
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // Never stored or logged: handed to the rendering, which may pick the locale from it.
        let client_metadata: Option<ClientMetadata> = request
            .get("clientMetadata")
            .cloned()
            .and_then(|m| serde_json::from_value(m).ok());
        let render_failed = |error: String| SendError::Render {
            trigger: source.to_string(),
            error,
        };

        let message = match purpose {
            Purpose::TakeoverNotice => {
                let params = MessageParams {
                    code: "",
                    username: user_name,
                    link: None,
                    attributes: &attributes,
                    client_metadata: client_metadata.as_ref(),
                };
                takeover_templates()
                    .render(&params)
                    .map_err(|e: RenderError| render_failed(e.to_string()))?
                    .email("")
            }
            Purpose::Code(message_source) => {
                let encrypted = request
                    .get("code")
                    .and_then(Value::as_str)
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| SendError::NoCode {
                        trigger: source.to_string(),
                    })?;
                let code = self.decryptor.decrypt(encrypted).await.map_err(|error| {
                    SendError::Decrypt {
                        trigger: source.to_string(),
                        error: error.to_string(),
                    }
                })?;
                let rendered = custom_message(
                    &self.catalog,
                    &CustomMessageRequest {
                        source: message_source,
                        code_parameter: &code,
                        username_parameter: None,
                        user_name,
                        link_parameter: None,
                        user_attributes: &attributes,
                        client_metadata: client_metadata.as_ref(),
                    },
                )
                .map_err(|e: CustomMessageError| render_failed(e.to_string()))?;
                rendered.for_medium(medium, &code)
            }
        };
        let started = std::time::Instant::now();
        let sent = send_by(
            medium,
            self.email.as_ref(),
            self.sms.as_ref(),
            &destination,
            &message,
        )
        .await;
        if sent.is_ok() {
            metrics::code_sent(medium, started.elapsed());
        }
        let masked = medium.mask(&destination);
        sent.map_err(|error| SendError::Delivery {
            trigger: source.to_string(),
            destination: masked.clone(),
            error,
        })?;
        Ok(Outcome::Delivered {
            medium,
            destination: masked,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_cognito_sends_is_known() {
        for name in [
            "SignUp",
            "ResendCode",
            "ForgotPassword",
            "UpdateUserAttribute",
            "VerifyUserAttribute",
            "AdminCreateUser",
        ] {
            for (prefix, medium) in [
                ("CustomEmailSender_", DeliveryMedium::Email),
                ("CustomSMSSender_", DeliveryMedium::Sms),
            ] {
                let (m, p) = trigger(&format!("{prefix}{name}")).unwrap();
                assert_eq!(m, medium);
                assert_eq!(p, Purpose::Code(MessageSource::parse(name).unwrap()));
            }
        }
        assert_eq!(
            trigger("CustomSMSSender_Authentication"),
            Some((
                DeliveryMedium::Sms,
                Purpose::Code(MessageSource::Authentication)
            ))
        );
        assert_eq!(
            trigger("CustomEmailSender_AccountTakeOverNotification"),
            Some((DeliveryMedium::Email, Purpose::TakeoverNotice))
        );
        for unknown in [
            "CustomSMSSender_AccountTakeOverNotification",
            "CustomEmailSender_SomethingNew",
            "CustomSMSSender_CustomMessage_SignUp",
            "CustomMessage_ForgotPassword",
            "",
        ] {
            assert_eq!(trigger(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn the_takeover_notice_renders_within_cognitos_limits() {
        let mut attributes = Attributes::default();
        attributes.set("name", "Jane");
        let message = takeover_templates()
            .render(&MessageParams {
                code: "",
                username: "jane",
                link: None,
                attributes: &attributes,
                client_metadata: None,
            })
            .unwrap();
        assert!(message.email_message.starts_with("Hello Jane,"));
        assert!(message.email_message.contains("jane"));
        assert!(!message.email_subject.is_empty());
    }
}
