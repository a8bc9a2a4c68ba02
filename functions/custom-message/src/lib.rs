//! The CustomMessage trigger's handler: decode the event, render through the shared use case, answer
//! with the event it received and `response` filled.
//!
//! An event this code does not recognise (a trigger source Cognito adds later, a missing field)
//! is answered unchanged: Cognito then sends its own default message instead of failing the user.

use aws_lambda_events::event::cognito::{
    CognitoEventUserPoolsCustomMessage, CognitoEventUserPoolsCustomMessageResponse,
    CognitoEventUserPoolsCustomMessageTriggerSource as Source,
};
use lambda_runtime::{Diagnostic, LambdaEvent};
use password_reset::config::ConfigError;
use password_reset::domain::message::CODE_PLACEHOLDER;
use password_reset::domain::message_catalog::{MessageCatalog, MessageSource};
use password_reset::domain::request::ClientMetadata;
use password_reset::domain::user::Attributes;
use password_reset::metrics::{self, Operation, Outcome};
use password_reset::usecases::custom_message::{CustomMessageRequest, custom_message};
use serde_json::Value;

/// The templates, read once at start: `MESSAGE_TEMPLATES_FILE` and/or `MESSAGE_TEMPLATES`.
pub fn catalog_from_env() -> Result<MessageCatalog, ConfigError> {
    password_reset::config::messages_from_env(&password_reset::config::env::process)
}

pub async fn handle(
    catalog: &MessageCatalog,
    event: LambdaEvent<Value>,
) -> Result<Value, Diagnostic> {
    let (answer, outcome) = answered(catalog, event.payload);
    metrics::count(Operation::CustomMessage, outcome);
    Ok(answer)
}

fn source(s: &Source) -> Option<MessageSource> {
    Some(match s {
        Source::SignUp => MessageSource::SignUp,
        Source::AdminCreateUser => MessageSource::AdminCreateUser,
        Source::ResendCode => MessageSource::ResendCode,
        Source::ForgotPassword => MessageSource::ForgotPassword,
        Source::UpdateUserAttribute => MessageSource::UpdateUserAttribute,
        Source::VerifyUserAttribute => MessageSource::VerifyUserAttribute,
        Source::Authentication => MessageSource::Authentication,
        _ => return None,
    })
}

/// The event with `response` filled, or unchanged when it cannot be answered.
pub fn answer(catalog: &MessageCatalog, event: Value) -> Value {
    answered(catalog, event).0
}

/// The answer, and how it went: rendered, left to Cognito (unknown event), or refused (a template
/// that cannot render this event).
fn answered(catalog: &MessageCatalog, mut event: Value) -> (Value, Outcome) {
    let typed: CognitoEventUserPoolsCustomMessage = match serde_json::from_value(event.clone()) {
        Ok(typed) => typed,
        Err(e) => {
            tracing::warn!(error = %e, trigger = ?event.get("triggerSource"),
                    "unrecognised CustomMessage event: answered unchanged");
            return (event, Outcome::Ignored);
        }
    };
    let header = &typed.cognito_event_user_pools_header;
    let Some(source) = header.trigger_source.as_ref().and_then(source) else {
        tracing::warn!("CustomMessage event without a known triggerSource: answered unchanged");
        return (event, Outcome::Ignored);
    };
    // Values are strings in real events, booleans or numbers in some samples: all read as text.
    let attributes: Attributes = serde_json::to_value(&typed.request.user_attributes)
        .and_then(serde_json::from_value)
        .unwrap_or_default();
    let link = event
        .pointer("/request/linkParameter")
        .and_then(Value::as_str)
        .map(str::to_string);
    // Never stored or logged: it may pick the locale (the app's language).
    let client_metadata: Option<ClientMetadata> = event
        .pointer("/request/clientMetadata")
        .cloned()
        .and_then(|m| serde_json::from_value(m).ok());
    let request = CustomMessageRequest {
        source,
        code_parameter: typed
            .request
            .code_parameter
            .as_deref()
            .unwrap_or(CODE_PLACEHOLDER),
        username_parameter: typed.request.username_parameter.as_deref(),
        user_name: header.user_name.as_deref().unwrap_or_default(),
        link_parameter: link.as_deref(),
        user_attributes: &attributes,
        client_metadata: client_metadata.as_ref(),
    };
    let message = match custom_message(catalog, &request) {
        Ok(message) => message,
        Err(e) => {
            tracing::error!(error = %e, source = source.name(),
                "custom message could not be rendered: answered unchanged");
            return (event, Outcome::TriggerError);
        }
    };
    let mut response = CognitoEventUserPoolsCustomMessageResponse::default();
    response.email_subject = Some(message.email_subject);
    response.email_message = Some(message.email_message);
    response.sms_message = Some(message.sms_message);
    if let (Some(object), Ok(filled)) = (event.as_object_mut(), serde_json::to_value(response)) {
        object.insert("response".into(), filled);
    }
    tracing::info!(source = source.name(), "custom message rendered");
    (event, Outcome::Answered)
}
