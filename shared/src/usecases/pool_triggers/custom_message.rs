//! CustomMessage_ForgotPassword through the pool's own function.

use serde_json::{Value, json};

use super::{PoolTriggers, SDK_VERSION, UNRECOGNIZABLE};
use crate::domain::error::CognitoError;
use crate::domain::message::{CODE_PLACEHOLDER, CustomMessage, Field};
use crate::domain::request::ClientMetadata;
use crate::domain::user::User;

/// What a CustomMessage_ForgotPassword event carries.
pub(in crate::usecases) struct CustomMessageCall<'a> {
    pub user_pool_id: &'a str,
    pub client_id: &'a str,
    pub user: &'a User,
    pub client_metadata: Option<&'a ClientMetadata>,
}

const CUSTOM_MESSAGE: &str = "CustomMessage";

impl PoolTriggers {
    /// CustomMessage_ForgotPassword through the pool's function, when it has one to invoke:
    /// `in_process` (our rendering, with `{####}` for the code) fills what the function leaves
    /// null, as Cognito's default message would; the answer is checked as Cognito checks it and
    /// the code put in. `None`: no function to invoke, render in-process.
    pub(in crate::usecases) async fn custom_message(
        &self,
        call: &CustomMessageCall<'_>,
        in_process: &CustomMessage,
        code: &str,
    ) -> Option<Result<CustomMessage, CognitoError>> {
        let function = self.custom_message.as_deref()?;
        let event = custom_message_event(call);
        Some(match self.invoke(CUSTOM_MESSAGE, function, &event).await {
            Ok(answer) => custom_message_answer(&answer, in_process, code).map_err(|problem| {
                tracing::error!(%problem, "the pool's CustomMessage function answered something unusable");
                CognitoError::InvalidLambdaResponse(problem)
            }),
            Err(e) => Err(e),
        })
    }
}

/// Cognito's CustomMessage_ForgotPassword event: the code as `{####}`, the response all null.
fn custom_message_event(call: &CustomMessageCall<'_>) -> Value {
    let region = call.user_pool_id.split('_').next().unwrap_or_default();
    let attributes = event_attributes(call.user);
    json!({
        "version": "1",
        "triggerSource": "CustomMessage_ForgotPassword",
        "region": region,
        "userPoolId": call.user_pool_id,
        "userName": call.user.username,
        "callerContext": {"awsSdkVersion": SDK_VERSION, "clientId": call.client_id},
        "request": {
            "userAttributes": attributes,
            "codeParameter": CODE_PLACEHOLDER,
            "linkParameter": null,
            "usernameParameter": null,
            "clientMetadata": call.client_metadata.cloned().unwrap_or_default(),
        },
        "response": {"smsMessage": null, "emailMessage": null, "emailSubject": null},
    })
}

/// `request.userAttributes` as Cognito's events carry them: the user's attributes with `sub` and
/// `cognito:user_status`.
pub(super) fn event_attributes(user: &User) -> Value {
    let mut attributes = serde_json::to_value(&user.attributes).unwrap_or_else(|_| json!({}));
    if let Some(map) = attributes.as_object_mut() {
        map.entry("sub").or_insert_with(|| json!(user.sub));
        map.insert("cognito:user_status".into(), json!(user.status.as_str()));
    }
    attributes
}

/// The function's `response` checked as Cognito checks it (each message it sets carries the code
/// parameter; the subject 1-140 characters, the email at most 20,000, the SMS at most 140), a null
/// field left to `in_process`, then the code put in every occurrence.
fn custom_message_answer(
    answer: &Value,
    in_process: &CustomMessage,
    code: &str,
) -> Result<CustomMessage, String> {
    let response = answer
        .get("response")
        .filter(|r| r.is_object())
        .ok_or_else(|| UNRECOGNIZABLE.to_string())?;
    let field = |f: Field, key: &str| -> Result<String, String> {
        match response.get(key) {
            None | Some(Value::Null) => Ok(in_process.get(f).replace(CODE_PLACEHOLDER, code)),
            Some(Value::String(text)) => {
                if f.needs_code() && !text.contains(CODE_PLACEHOLDER) {
                    return Err(format!(
                        "Invalid CustomMessage response: {key} does not contain {CODE_PLACEHOLDER}"
                    ));
                }
                let filled = text.replace(CODE_PLACEHOLDER, code);
                let n = filled.chars().count();
                if n > f.max_chars() || (f == Field::EmailSubject && n == 0) {
                    return Err(format!(
                        "Invalid CustomMessage response: {key} has {n} characters (limit {})",
                        f.max_chars()
                    ));
                }
                Ok(filled)
            }
            Some(_) => Err(UNRECOGNIZABLE.to_string()),
        }
    };
    Ok(CustomMessage {
        email_subject: field(Field::EmailSubject, "emailSubject")?,
        email_message: field(Field::EmailMessage, "emailMessage")?,
        sms_message: field(Field::SmsMessage, "smsMessage")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours() -> CustomMessage {
        CustomMessage {
            email_subject: "Ours".into(),
            email_message: "Our code {####}".into(),
            sms_message: "Our SMS {####}".into(),
        }
    }

    #[test]
    fn the_answer_is_checked_as_cognito_checks_it_and_the_code_put_in() {
        let html = json!({"response": {
            "emailSubject": "Reset", "emailMessage": "<p>Code <b>{####}</b> ({####})</p>",
            "smsMessage": null}});
        let got = custom_message_answer(&html, &ours(), "123456").unwrap();
        assert_eq!(got.email_message, "<p>Code <b>123456</b> (123456)</p>");
        assert_eq!(got.email_subject, "Reset");
        // A null field is Cognito's default: ours, with the code.
        assert_eq!(got.sms_message, "Our SMS 123456");
        let forgot = json!({"response": {"emailMessage": "no code here"}});
        assert!(
            custom_message_answer(&forgot, &ours(), "123456")
                .unwrap_err()
                .contains("emailMessage does not contain {####}")
        );
        let long = json!({"response": {"smsMessage": format!("{} {{####}}", "x".repeat(140))}});
        assert!(
            custom_message_answer(&long, &ours(), "1")
                .unwrap_err()
                .contains("smsMessage has")
        );
        let empty_subject = json!({"response": {"emailSubject": ""}});
        assert!(custom_message_answer(&empty_subject, &ours(), "1").is_err());
        assert_eq!(
            custom_message_answer(&json!("ok"), &ours(), "1").unwrap_err(),
            UNRECOGNIZABLE
        );
        assert_eq!(
            custom_message_answer(&json!({"response": {"smsMessage": 5}}), &ours(), "1")
                .unwrap_err(),
            UNRECOGNIZABLE
        );
    }

    #[test]
    fn the_event_is_cognitos() {
        let user = User {
            username: "jane".into(),
            sub: "s-1".into(),
            status: crate::domain::user::UserStatus::Confirmed,
            enabled: true,
            attributes: crate::domain::user::Attributes::from_iter([("email", "j@example.com")]),
            password_hash: None,
            mfa: None,
        };
        let metadata = ClientMetadata::from([("locale".to_string(), "fr".to_string())]);
        let event = custom_message_event(&CustomMessageCall {
            user_pool_id: "eu-west-3_abc",
            client_id: "client",
            user: &user,
            client_metadata: Some(&metadata),
        });
        assert_eq!(event["region"], "eu-west-3");
        assert_eq!(event["triggerSource"], "CustomMessage_ForgotPassword");
        assert_eq!(event["request"]["codeParameter"], "{####}");
        assert_eq!(event["request"]["clientMetadata"]["locale"], "fr");
        assert_eq!(event["request"]["userAttributes"]["sub"], "s-1");
        assert_eq!(
            event["request"]["userAttributes"]["cognito:user_status"],
            "CONFIRMED"
        );
        assert_eq!(event["callerContext"]["clientId"], "client");
        assert!(event["response"]["emailMessage"].is_null());
    }
}
