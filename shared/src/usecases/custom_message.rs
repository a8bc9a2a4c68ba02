//! CustomMessage: the texts of one trigger source, rendered and checked the way Cognito checks a
//! trigger's answer. The Lambda trigger and forgot-password both call this.

use crate::domain::message::{CustomMessage, MessageParams, RenderError};
use crate::domain::message_catalog::{MessageCatalog, MessageSource};
use crate::domain::request::ClientMetadata;
use crate::domain::user::Attributes;

/// What a CustomMessage event carries (or what forgot-password knows in-process).
#[derive(Debug, Clone, Copy)]
pub struct CustomMessageRequest<'a> {
    pub source: MessageSource,
    /// `{####}` from Cognito; the code itself in-process.
    pub code_parameter: &'a str,
    /// Present for AdminCreateUser (`{username}`); null otherwise, when `user_name` is used.
    pub username_parameter: Option<&'a str>,
    pub user_name: &'a str,
    pub link_parameter: Option<&'a str>,
    pub user_attributes: &'a Attributes,
    /// The request's `ClientMetadata`, which may pick the locale; never stored, never logged.
    pub client_metadata: Option<&'a ClientMetadata>,
}

/// Why a trigger's answer is unusable; `CognitoError::from` words it as Cognito does
/// (`usecases/errors.rs`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomMessageError {
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The rendered answer is one Cognito would refuse.
    #[error("Invalid CustomMessage response: {0}")]
    Rejected(String),
}

/// The source's texts for the request, rendered and checked: the CustomMessage operation.
pub fn custom_message(
    catalog: &MessageCatalog,
    request: &CustomMessageRequest<'_>,
) -> Result<CustomMessage, CustomMessageError> {
    let username = request
        .username_parameter
        .filter(|u| !u.is_empty())
        .unwrap_or(request.user_name);
    let message = catalog.render(
        request.source,
        &MessageParams {
            code: request.code_parameter,
            username,
            link: request.link_parameter,
            attributes: request.user_attributes,
            client_metadata: request.client_metadata,
        },
    )?;
    message
        .check(request.code_parameter)
        .map_err(CustomMessageError::Rejected)?;
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::error::CognitoError;

    #[test]
    fn username_parameter_or_user_name() {
        let attrs = Attributes::default();
        let catalog = MessageCatalog::default();
        let mut req = CustomMessageRequest {
            source: MessageSource::AdminCreateUser,
            code_parameter: "{####}",
            username_parameter: Some("{username}"),
            user_name: "jane",
            link_parameter: None,
            user_attributes: &attrs,
            client_metadata: None,
        };
        let m = custom_message(&catalog, &req).unwrap();
        assert!(m.sms_message.contains("{username}") && m.sms_message.contains("{####}"));
        req.username_parameter = None;
        let m = custom_message(&catalog, &req).unwrap();
        assert!(m.sms_message.contains("jane"));
        // A code parameter too long for the SMS cannot be answered: InvalidLambdaResponse.
        let long = "9".repeat(200);
        req.code_parameter = &long;
        let err = CognitoError::from(custom_message(&catalog, &req).unwrap_err());
        assert_eq!(err.kind(), "InvalidLambdaResponseException");
    }
}
