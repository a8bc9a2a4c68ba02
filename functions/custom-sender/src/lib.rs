//! The CustomEmailSender / CustomSMSSender triggers' handler. Cognito hands over the code encrypted
//! (an AWS Encryption SDK message under the pool's KMS key) and sends nothing itself: this decrypts
//! the code, renders the trigger source's CustomMessage template for the user's locale, and sends it
//! through the same SES v2 / SMS v2 senders (sandbox pre-checks and refusals included) as the API's
//! ForgotPassword.
//!
//! Cognito ignores the answer: a delivered message or an acknowledged no-op (a trigger source this
//! code does not know) returns the event; anything that kept the message from going out is a Lambda
//! error with a log line that says why. The code itself is never logged.

use std::sync::Arc;

use lambda_runtime::{Diagnostic, LambdaEvent};
use password_reset::adapters::delivery::aws::AwsDelivery;
use password_reset::adapters::esdk::{CodeDecryptor, DecryptError, Keyring, KmsKeyring};
use password_reset::config::ConfigError;
use password_reset::config::delivery::AwsDeliverySettings;
use password_reset::config::kms::KmsSettings;
use password_reset::domain::delivery::DeliveryMedium;
use password_reset::domain::message::{MessageParams, MessageTemplates, RenderError};
use password_reset::domain::message_catalog::{MessageCatalog, MessageSource};
use password_reset::domain::user::Attributes;
use password_reset::metrics::{self, Operation};
use password_reset::ports::{DeliveryError, EmailSender, SmsSender, send_by};
use password_reset::usecases::custom_message::{
    CustomMessageError, CustomMessageRequest, custom_message,
};
use serde_json::Value;

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

/// Everything the function reads at start, each failure naming its setting.
#[derive(Debug, Clone)]
pub struct Settings {
    pub kms: KmsSettings,
    pub catalog: MessageCatalog,
    pub delivery: AwsDeliverySettings,
}

/// Settings first (a bad one is named before any client is built): `KMS_KEY_ARN`,
/// `KMS_ENCRYPTION_CONTEXT`, the templates (`MESSAGE_TEMPLATES` / `_FILE`), then SES and SMS.
pub fn settings_from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
    Ok(Settings {
        kms: KmsSettings::from_env(env)?,
        catalog: password_reset::config::messages_from_env(env)?,
        delivery: AwsDeliverySettings::from_env(env)?,
    })
}

/// The function's state: built once per container, borrowed by every invocation.
pub struct Sender<K = KmsKeyring> {
    pub decryptor: CodeDecryptor<K>,
    pub catalog: MessageCatalog,
    pub email: Arc<dyn EmailSender>,
    pub sms: Arc<dyn SmsSender>,
}

impl Sender<KmsKeyring> {
    /// KMS, SES and SMS clients from one SDK configuration.
    pub fn new(sdk: &password_reset::aws_sdk::SdkConfig, settings: Settings) -> Self {
        let delivery = AwsDelivery::new(sdk, settings.delivery);
        Self {
            decryptor: CodeDecryptor {
                keyring: KmsKeyring::new(aws_sdk_kms::Client::new(sdk), settings.kms.key_arn),
                required_context: settings.kms.encryption_context,
            },
            catalog: settings.catalog,
            email: delivery.email,
            sms: delivery.sms,
        }
    }

    pub async fn from_env() -> Result<Self, ConfigError> {
        let settings = settings_from_env(&password_reset::config::env::process)?;
        let sdk = password_reset::aws_sdk::load_sdk_config().await;
        let sender = Self::new(&sdk, settings);
        tracing::info!(
            kms_key = sender.decryptor.keyring.key_arn(),
            "custom sender configured"
        );
        Ok(sender)
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
    Decrypt {
        trigger: String,
        error: DecryptError,
    },
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

pub async fn handle<K: Keyring>(
    sender: &Sender<K>,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic> {
    match sender.send(&event.payload).await {
        Ok(_) => Ok(event.payload),
        Err(e) => Err(Diagnostic {
            error_type: e.kind().to_string(),
            error_message: e.to_string(),
        }),
    }
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

impl<K: Keyring> Sender<K> {
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
                let code = self
                    .decryptor
                    .decrypt_code(encrypted)
                    .await
                    .map_err(|error| SendError::Decrypt {
                        trigger: source.to_string(),
                        error,
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
            })
            .unwrap();
        assert!(message.email_message.starts_with("Hello Jane,"));
        assert!(message.email_message.contains("jane"));
        assert!(!message.email_subject.is_empty());
    }
}
