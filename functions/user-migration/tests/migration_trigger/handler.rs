//! The UserMigration handler's answers and errors, on the memory migration source.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use serde_json::{Value, json};
use test_support::service::{demo_settings, demo_source_users};
use user_migration::Migrator;

fn migrator() -> Migrator {
    Migrator {
        source: Arc::new(demo_source_users()),
        recovery: demo_settings().pool.recovery,
    }
}

fn event(source: &str, user: &str, password: Option<&str>) -> Value {
    json!({
        "version": "1", "triggerSource": source, "region": "us-east-1",
        "userPoolId": "us-east-1_DemoPool1", "userName": user,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "38fjsnc484p94kpqsnet7mpld0"},
        "request": {"password": password, "validationData": null, "clientMetadata": {}},
        "response": {"userAttributes": null, "forceAliasCreation": null, "finalUserStatus": null,
                     "messageAction": null, "desiredDeliveryMediums": null}
    })
}

#[tokio::test]
async fn forgot_password_answers_with_the_whole_migration() {
    let answer = user_migration::answer(
        &migrator(),
        event("UserMigration_ForgotPassword", "lena", None),
    )
    .await
    .unwrap();
    assert_eq!(
        answer["response"],
        json!({
            "userAttributes": {"email": "lena@legacy.example.com", "email_verified": "true",
                               "name": "Lena", "locale": "fr"},
            "finalUserStatus": "RESET_REQUIRED", "messageAction": "SUPPRESS",
            "desiredDeliveryMediums": ["EMAIL"], "forceAliasCreation": false
        })
    );
    assert_eq!(answer["userName"], "lena");
}

#[tokio::test]
async fn errors_say_only_what_cognito_shows() {
    let m = migrator();
    let unknown = user_migration::answer(&m, event("UserMigration_ForgotPassword", "nobody", None))
        .await
        .unwrap_err();
    assert_eq!(unknown.error_message, "User does not exist.");
    for (user, password) in [
        ("lena", Some("wrong")),
        ("nobody", Some("Legacy-Passw0rd!")),
        ("omar", None),
    ] {
        let e = user_migration::answer(&m, event("UserMigration_Authentication", user, password))
            .await
            .unwrap_err();
        assert_eq!(e.error_message, "Incorrect username or password.", "{user}");
        assert_eq!(e.error_type, "NotAuthorizedException");
    }
    let ok = user_migration::answer(
        &m,
        event(
            "UserMigration_Authentication",
            "omar",
            Some("Legacy-Passw0rd!"),
        ),
    )
    .await
    .unwrap();
    assert_eq!(ok["response"]["finalUserStatus"], "CONFIRMED");
    assert_eq!(ok["response"]["desiredDeliveryMediums"], json!(["SMS"]));
    let odd = user_migration::answer(&m, event("UserMigration_Other", "lena", None))
        .await
        .unwrap_err();
    assert_eq!(odd.error_type, "InvalidParameterException");
}
