//! A pool's own UserMigration function, called as Cognito calls it on ForgotPassword for a login
//! the pool does not know: a small script standing in for a team's function over its own data,
//! behind the fake Lambda Invoke API, reached by the real Lambda SDK client (`LambdaInvoker`).

use std::sync::Arc;

use password_reset::ResetService;
use password_reset::adapters::codes::memory::MemoryCodes;
use password_reset::adapters::directory::memory::MemoryDirectory;
use password_reset::domain::pool::PreventUserExistenceErrors;
use password_reset::domain::request::{ClientMetadata, ForgotPasswordRequest};
use password_reset::domain::time::UnixTime;
use password_reset::domain::user::UserStatus;
use password_reset::usecases::pool_triggers::{PoolTriggers, TriggerLimits};
use test_support::fake_lambda::FakeLambda;
use test_support::service::{demo_settings, service_on};
use test_support::{Inbox, Operations, PASSWORD, confirm, forgot};

use crate::pool_triggers::{invoker_at, reset};

const TEAM_MIGRATION: &str = "arn:aws:lambda:us-east-1:123456789012:function:team-user-migration";
const T0: UnixTime = UnixTime(1_800_000_000);

/// A team's UserMigration over its own legacy directory (the dict), as its docs write one.
const LEGACY_DIRECTORY: &str = r#"
import json, sys
legacy = {"lena": {"email": "lena@legacy.example.com", "name": "Lena"}}
event = json.load(sys.stdin)
user = legacy.get(event["userName"])
if event["triggerSource"] != "UserMigration_ForgotPassword" or user is None:
    raise Exception("User not found")
event["response"]["userAttributes"] = {"email": user["email"], "email_verified": "true",
                                       "name": user["name"]}
event["response"]["finalUserStatus"] = "RESET_REQUIRED"
event["response"]["messageAction"] = "SUPPRESS"
print(json.dumps(event))
"#;

struct Fixture {
    service: ResetService,
    users: Arc<MemoryDirectory>,
    inbox: Arc<Inbox>,
    lambda: FakeLambda,
}

fn fixture(script: &str, prevent: PreventUserExistenceErrors) -> Fixture {
    let lambda = FakeLambda::start();
    lambda.register_python(TEAM_MIGRATION, script);
    let mut settings = demo_settings();
    settings.pool.prevent_user_existence_errors = prevent;
    let inbox = Arc::new(Inbox::default());
    let users = Arc::new(MemoryDirectory::with_users(settings.users.iter().cloned()));
    let mut service = service_on(
        &settings,
        3,
        users.clone(),
        Arc::new(MemoryCodes::new()),
        inbox.clone(),
        None,
    );
    service.triggers = Some(PoolTriggers {
        custom_message: None,
        user_migration: Some(TEAM_MIGRATION.into()),
        senders: None,
        invoker: Arc::new(invoker_at(&lambda)),
        limits: TriggerLimits::default(),
    });
    Fixture {
        service,
        users,
        inbox,
        lambda,
    }
}

fn with_metadata(login: &str, pairs: &[(&str, &str)]) -> ForgotPasswordRequest {
    let mut request = forgot(login);
    request.client_metadata = Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<ClientMetadata>(),
    );
    request
}

#[tokio::test]
async fn the_teams_function_brings_its_user_who_resets_with_the_code_sent() {
    let f = fixture(LEGACY_DIRECTORY, PreventUserExistenceErrors::Enabled);
    assert!(f.users.user("lena").is_none());
    reset(&f.service, &with_metadata("lena", &[("tenant", "acme")]))
        .await
        .unwrap();
    let invoked = f.lambda.invocations();
    assert_eq!(invoked.len(), 1);
    let event = &invoked[0].event;
    assert_eq!(event["triggerSource"], "UserMigration_ForgotPassword");
    assert_eq!(event["userName"], "lena");
    assert_eq!(event["request"]["clientMetadata"]["tenant"], "acme");
    assert_eq!(event["callerContext"]["clientId"], test_support::CLIENT);
    // Created from the function's answer, then sent its code as any user.
    let lena = f.users.user("lena").unwrap();
    assert_eq!(lena.status, UserStatus::ResetRequired);
    assert_eq!(lena.attributes.get("name"), Some("Lena"));
    let code = f.inbox.last_code("lena@legacy.example.com");
    f.service
        .confirm_at(&confirm("lena", &code), T0.plus(60))
        .await
        .unwrap();
    let lena = f.users.user("lena").unwrap();
    assert!(
        lena.password_hash
            .is_some_and(|h| password_reset::domain::password::verify(PASSWORD, &h))
    );
    // Known now: the next request invokes nothing.
    reset(&f.service, &forgot("lena")).await.unwrap();
    assert_eq!(f.lambda.invocations().len(), 1);
}

#[tokio::test]
async fn a_function_that_throws_is_an_unknown_user_under_prevent_user_existence_errors() {
    let f = fixture(LEGACY_DIRECTORY, PreventUserExistenceErrors::Enabled);
    // The simulated answer, as for any unknown login, after the same invocation.
    reset(&f.service, &forgot("nobody")).await.unwrap();
    assert_eq!(f.lambda.invocations().len(), 1);
    assert!(f.inbox.is_empty());
    assert!(f.users.user("nobody").is_none());
}

#[tokio::test]
async fn a_function_that_throws_is_cognitos_user_lambda_validation_error_under_legacy() {
    let f = fixture(LEGACY_DIRECTORY, PreventUserExistenceErrors::Legacy);
    let err = reset(&f.service, &forgot("nobody")).await.unwrap_err();
    assert_eq!(err.kind(), "UserLambdaValidationException");
    assert_eq!(
        err.to_string(),
        "UserMigration failed with error User not found."
    );
    assert!(f.inbox.is_empty());
}

#[tokio::test]
async fn an_answer_cognito_cannot_use_is_an_invalid_lambda_response_and_creates_nobody() {
    let f = fixture(
        r#"
import json, sys
event = json.load(sys.stdin)
event["response"]["userAttributes"] = {"email": "lena@legacy.example.com", "email_verified": "true"}
event["response"]["finalUserStatus"] = "FORCE_CHANGE_PASSWORD"
print(json.dumps(event))
"#,
        PreventUserExistenceErrors::Enabled,
    );
    let err = reset(&f.service, &forgot("lena")).await.unwrap_err();
    assert_eq!(err.kind(), "InvalidLambdaResponseException");
    assert_eq!(err.to_string(), "Invalid finalUserStatus");
    assert!(f.users.user("lena").is_none());
    assert!(f.inbox.is_empty());
}

#[tokio::test]
async fn client_metadata_over_cognitos_limit_is_refused_before_any_function_runs() {
    let f = fixture(LEGACY_DIRECTORY, PreventUserExistenceErrors::Enabled);
    let long = "x".repeat(131_073);
    let err = reset(&f.service, &with_metadata("lena", &[("tenant", &long)]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "InvalidParameterException");
    assert!(f.lambda.invocations().is_empty());
    assert!(f.users.user("lena").is_none());
}
