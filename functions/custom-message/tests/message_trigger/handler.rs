//! The CustomMessage handler on event variants: attribute forms, null parameters, locales, links,
//! and events it cannot read (answered unchanged, so Cognito falls back to its own message).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use password_reset::domain::message_catalog::MessageCatalog;
use serde_json::{Value, json};

fn event(source: &str, attributes: Value, username_parameter: Value) -> Value {
    json!({
        "version": "1", "triggerSource": source, "region": "us-east-1",
        "userPoolId": "us-east-1_DemoPool1", "userName": "jane",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "38fjsnc484p94kpqsnet7mpld0"},
        "request": {"userAttributes": attributes, "codeParameter": "{####}",
                    "linkParameter": "{##Click Here##}", "usernameParameter": username_parameter},
        "response": {"smsMessage": null, "emailMessage": null, "emailSubject": null}
    })
}

fn catalog() -> MessageCatalog {
    MessageCatalog::from_json(json!({
        "SignUp": {
            "EmailSubject": "Welcome {name|there}",
            "EmailMessage": "Hi {name|there} ({username}), code {####}, or {link}. Verified: {email_verified}",
            "SmsMessage": "{####} is your code",
            "Locales": {"fr": {"EmailSubject": "Bienvenue {name|à vous}", "SmsMessage": "Votre code : {####}"}}
        }
    }))
    .unwrap()
}

#[test]
fn boolean_and_string_attributes_null_username_parameter_and_the_link() {
    let e = event(
        "CustomMessage_SignUp",
        json!({"email_verified": false, "name": "Jane", "custom:n": 3}),
        Value::Null,
    );
    let r = custom_message::answer(&catalog(), e)["response"].clone();
    assert_eq!(r["emailSubject"], "Welcome Jane");
    assert_eq!(
        r["emailMessage"],
        "Hi Jane (jane), code {####}, or {##Click Here##}. Verified: false"
    );
    assert_eq!(r["smsMessage"], "{####} is your code");
}

#[test]
fn the_locale_attribute_picks_the_variant() {
    let e = event(
        "CustomMessage_SignUp",
        json!({"locale": "fr-FR"}),
        Value::Null,
    );
    let r = custom_message::answer(&catalog(), e)["response"].clone();
    assert_eq!(r["emailSubject"], "Bienvenue à vous");
    assert_eq!(r["smsMessage"], "Votre code : {####}");
    // The email falls back to the source's default text.
    assert!(
        r["emailMessage"]
            .as_str()
            .unwrap()
            .starts_with("Hi there (jane)")
    );
}

#[test]
fn admin_create_user_keeps_the_username_parameter_for_cognito() {
    let e = event(
        "CustomMessage_AdminCreateUser",
        json!({}),
        json!("{username}"),
    );
    let r = custom_message::answer(&MessageCatalog::default(), e)["response"].clone();
    for k in ["emailMessage", "smsMessage"] {
        let text = r[k].as_str().unwrap();
        assert!(
            text.contains("{username}") && text.contains("{####}"),
            "{k}: {text}"
        );
    }
}

#[test]
fn unreadable_events_come_back_unchanged() {
    let unknown = event("CustomMessage_SomethingNew", json!({}), Value::Null);
    assert_eq!(custom_message::answer(&catalog(), unknown.clone()), unknown);
    let mut no_context = event("CustomMessage_SignUp", json!({}), Value::Null);
    no_context.as_object_mut().unwrap().remove("callerContext");
    assert_eq!(
        custom_message::answer(&catalog(), no_context.clone()),
        no_context
    );
    assert_eq!(
        custom_message::answer(&catalog(), json!("hello")),
        json!("hello")
    );
}

#[test]
fn a_code_parameter_too_long_to_fit_is_answered_unchanged_not_truncated() {
    let mut e = event("CustomMessage_SignUp", json!({}), Value::Null);
    e["request"]["codeParameter"] = json!("9".repeat(150));
    assert_eq!(custom_message::answer(&catalog(), e.clone()), e);
}
