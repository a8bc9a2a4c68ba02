//! CustomEmailSender_ForgotPassword / CustomSMSSender_ForgotPassword through the pool's own
//! function: Cognito sends nothing itself; it encrypts the code under the pool's KMS key (an
//! Encryption SDK message bound to the pool by the encryption context `userpool-id`) and hands it
//! to the function, which delivers it. The function's answer is not read.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::custom_message::event_attributes;
use super::{PoolTriggers, SDK_VERSION};
use crate::domain::delivery::DeliveryMedium;
use crate::domain::error::CognitoError;
use crate::domain::pool::PreventUserExistenceErrors;
use crate::domain::request::ClientMetadata;
use crate::domain::user::User;
use crate::ports::CodeEncryption;
use crate::usecases::errors::delivery_error;

/// The encryption-context key Cognito binds each code to its pool with (the key policy Cognito's
/// guide gives conditions `kms:EncryptionContext:userpool-id` on it).
pub const POOL_CONTEXT_KEY: &str = "userpool-id";

/// The pool's custom sender functions this service invokes, and the encryption of their codes.
#[derive(Clone)]
pub struct PoolSenders {
    /// `CustomEmailSender.LambdaArn`, when it is one to invoke.
    pub email: Option<String>,
    /// `CustomSMSSender.LambdaArn`, when it is one to invoke.
    pub sms: Option<String>,
    /// Under the pool's `KMSKeyID`.
    pub encryption: Arc<dyn CodeEncryption>,
}

impl PoolSenders {
    fn function(&self, medium: DeliveryMedium) -> Option<&str> {
        match medium {
            DeliveryMedium::Email => self.email.as_deref(),
            DeliveryMedium::Sms => self.sms.as_deref(),
        }
    }
}

/// What a custom sender event carries.
pub(in crate::usecases) struct CustomSenderCall<'a> {
    pub user_pool_id: &'a str,
    pub client_id: &'a str,
    pub user: &'a User,
    pub client_metadata: Option<&'a ClientMetadata>,
}

/// The trigger's name in Cognito's errors, its ForgotPassword source and its request type.
fn trigger(medium: DeliveryMedium) -> (&'static str, &'static str, &'static str) {
    match medium {
        DeliveryMedium::Email => (
            "CustomEmailSender",
            "CustomEmailSender_ForgotPassword",
            "customEmailSenderRequestV1",
        ),
        DeliveryMedium::Sms => (
            "CustomSMSSender",
            "CustomSMSSender_ForgotPassword",
            "customSMSSenderRequestV1",
        ),
    }
}

/// The pool's custom sender of one medium.
pub(in crate::usecases) struct PoolSender<'a> {
    triggers: &'a PoolTriggers,
    encryption: &'a dyn CodeEncryption,
    function: &'a str,
    medium: DeliveryMedium,
}

impl PoolTriggers {
    /// The pool's own function that delivers codes by `medium`, when it has one to invoke.
    pub(in crate::usecases) fn sender(&self, medium: DeliveryMedium) -> Option<PoolSender<'_>> {
        let senders = self.senders.as_ref()?;
        Some(PoolSender {
            triggers: self,
            encryption: senders.encryption.as_ref(),
            function: senders.function(medium)?,
            medium,
        })
    }
}

impl PoolSender<'_> {
    /// Cognito's event for this sender, the code encrypted as Cognito encrypts it.
    pub(in crate::usecases) async fn event(
        &self,
        call: &CustomSenderCall<'_>,
        code: &str,
        prevent: PreventUserExistenceErrors,
    ) -> Result<Value, CognitoError> {
        let context =
            BTreeMap::from([(POOL_CONTEXT_KEY.to_string(), call.user_pool_id.to_string())]);
        match self.encryption.encrypt(code, &context).await {
            Ok(encrypted) => Ok(custom_sender_event(call, self.medium, &encrypted)),
            Err(e) => {
                let (name, _, _) = trigger(self.medium);
                tracing::error!(trigger = name, error = %e,
                    "the code was not encrypted for the pool's custom sender");
                Err(delivery_error(e, prevent))
            }
        }
    }

    /// `event` to the function, with Cognito's limit, attempts and errors. Cognito does not read
    /// a custom sender's answer, so one it could not read is no failure.
    pub(in crate::usecases) async fn hand_over(&self, event: &Value) -> Result<(), CognitoError> {
        let (name, _, _) = trigger(self.medium);
        match self.triggers.invoke(name, self.function, event).await {
            Ok(_) | Err(CognitoError::InvalidLambdaResponse(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Cognito's custom sender event for ForgotPassword, the code encrypted (`request.code`).
fn custom_sender_event(
    call: &CustomSenderCall<'_>,
    medium: DeliveryMedium,
    encrypted_code: &str,
) -> Value {
    let region = call.user_pool_id.split('_').next().unwrap_or_default();
    let (_, source, request_type) = trigger(medium);
    json!({
        "version": "1",
        "triggerSource": source,
        "region": region,
        "userPoolId": call.user_pool_id,
        "userName": call.user.username,
        "callerContext": {"awsSdkVersion": SDK_VERSION, "clientId": call.client_id},
        "request": {
            "type": request_type,
            "code": encrypted_code,
            "clientMetadata": call.client_metadata.cloned().unwrap_or_default(),
            "userAttributes": event_attributes(call.user),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::{Attributes, UserStatus};

    #[test]
    fn the_event_is_cognitos_for_each_medium() {
        let user = User {
            username: "jane".into(),
            sub: "s-1".into(),
            status: UserStatus::Confirmed,
            enabled: true,
            attributes: Attributes::from_iter([("phone_number", "+12065550142")]),
            password_hash: None,
            mfa: None,
        };
        let metadata = ClientMetadata::from([("locale".to_string(), "fr".to_string())]);
        let mut call = CustomSenderCall {
            user_pool_id: "eu-west-3_abc",
            client_id: "client",
            user: &user,
            client_metadata: Some(&metadata),
        };
        let event = custom_sender_event(&call, DeliveryMedium::Sms, "AYADeSECRET");
        assert_eq!(event["version"], "1");
        assert_eq!(event["region"], "eu-west-3");
        assert_eq!(event["triggerSource"], "CustomSMSSender_ForgotPassword");
        assert_eq!(event["request"]["type"], "customSMSSenderRequestV1");
        assert_eq!(event["request"]["code"], "AYADeSECRET");
        assert_eq!(event["request"]["clientMetadata"]["locale"], "fr");
        assert_eq!(event["request"]["userAttributes"]["sub"], "s-1");
        assert_eq!(event["callerContext"]["clientId"], "client");
        assert!(event.get("response").is_none());
        call.client_metadata = None;
        let event = custom_sender_event(&call, DeliveryMedium::Email, "x");
        assert_eq!(event["triggerSource"], "CustomEmailSender_ForgotPassword");
        assert_eq!(event["request"]["type"], "customEmailSenderRequestV1");
        assert_eq!(event["request"]["clientMetadata"], json!({}));
    }
}
