//! A pool's own trigger functions, called as Cognito calls them: ForgotPassword on the embedded
//! adapters, the pool's CustomMessage function a small script behind the fake Lambda Invoke API,
//! reached by the real Lambda SDK client (`LambdaInvoker`).

use std::sync::Arc;
use std::time::Duration;

use password_reset::adapters::codes::memory::MemoryCodes;
use password_reset::adapters::directory::memory::MemoryDirectory;
use password_reset::adapters::triggers::lambda::LambdaInvoker;
use password_reset::domain::caller::Caller;
use password_reset::domain::delivery::DeliveryMedium;
use password_reset::domain::request::ForgotPasswordRequest;
use password_reset::domain::time::UnixTime;
use password_reset::usecases::pool_triggers::{PoolTriggers, TriggerLimits};
use password_reset::{CognitoError, ResetService};
use rand::SeedableRng;
use rand::rngs::StdRng;
use test_support::fake_lambda::FakeLambda;
use test_support::service::{demo_settings, service_on};
use test_support::{Inbox, forgot};

const TEAM_MESSAGE: &str = "arn:aws:lambda:us-east-1:123456789012:function:team-custom-message";
const T0: UnixTime = UnixTime(1_800_000_000);

/// A team's CustomMessage: branded HTML in the language ClientMetadata asks for.
const HTML_MESSAGE: &str = r#"
import json, sys
event = json.load(sys.stdin)
lang = event["request"]["clientMetadata"].get("locale", "en")
subject = {"fr": "Acme : votre code"}.get(lang, "Acme: your code")
event["response"]["emailSubject"] = subject
event["response"]["emailMessage"] = "<html><body><p>Hi " + event["userName"] + \
    ", your code is <b>" + event["request"]["codeParameter"] + "</b></p></body></html>"
print(json.dumps(event))
"#;

fn service(fake: &FakeLambda, limits: TriggerLimits) -> (ResetService, Arc<Inbox>) {
    let settings = demo_settings();
    let inbox = Arc::new(Inbox::default());
    let users = Arc::new(MemoryDirectory::with_users(settings.users.iter().cloned()));
    let mut service = service_on(
        &settings,
        3,
        users,
        Arc::new(MemoryCodes::new()),
        inbox.clone(),
        None,
    );
    service.triggers = Some(PoolTriggers {
        custom_message: Some(TEAM_MESSAGE.into()),
        user_migration: None,
        senders: None,
        invoker: Arc::new(invoker_at(fake)),
        limits,
    });
    (service, inbox)
}

fn request(user: &str, locale: Option<&str>) -> ForgotPasswordRequest {
    let mut request = forgot(user);
    request.client_metadata = locale.map(|l| {
        [("locale".to_string(), l.to_string())]
            .into_iter()
            .collect()
    });
    request
}

/// The Lambda Invoke API client of `fake`, as the functions build theirs.
pub(crate) fn invoker_at(fake: &FakeLambda) -> LambdaInvoker {
    LambdaInvoker::new(aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::Config::builder()
            .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
            .region(aws_sdk_lambda::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_lambda::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .endpoint_url(&fake.endpoint)
            .build(),
    ))
}

/// ForgotPassword from one caller at T0, its answer reduced to success or the error.
pub(crate) async fn reset(
    service: &ResetService,
    request: &ForgotPasswordRequest,
) -> Result<(), CognitoError> {
    let caller = Caller::peer("192.0.2.7".parse().unwrap());
    service
        .forgot_password(request, &caller, T0, &mut StdRng::seed_from_u64(7))
        .await
        .map(|_| ())
}

#[tokio::test]
async fn the_teams_html_message_is_sent_with_the_code_in_the_language_client_metadata_asks() {
    let fake = FakeLambda::start();
    fake.register_python(TEAM_MESSAGE, HTML_MESSAGE);
    let (service, inbox) = service(&fake, TriggerLimits::default());
    reset(&service, &request("jane", Some("fr"))).await.unwrap();
    let (to, message) = inbox.last_message();
    assert_eq!(to, "jane@example.com");
    assert_eq!(message.subject, "Acme : votre code");
    assert_eq!(
        message.body,
        format!(
            "<html><body><p>Hi jane, your code is <b>{}</b></p></body></html>",
            message.code
        )
    );
    // The event Cognito sends, ClientMetadata included; the code never leaves in it.
    let invoked = fake.invocations();
    assert_eq!(invoked.len(), 1);
    let event = &invoked[0].event;
    assert_eq!(invoked[0].function, TEAM_MESSAGE);
    assert_eq!(event["triggerSource"], "CustomMessage_ForgotPassword");
    assert_eq!(event["userName"], "jane");
    assert_eq!(event["request"]["codeParameter"], "{####}");
    assert_eq!(
        event["request"]["clientMetadata"],
        serde_json::json!({"locale": "fr"})
    );
    assert_eq!(
        event["request"]["userAttributes"]["email"],
        "jane@example.com"
    );
    assert_eq!(event["callerContext"]["clientId"], test_support::CLIENT);
    assert!(!event.to_string().contains(&message.code));
    // A field the function leaves null is Cognito's default, ours: the SMS text.
    reset(&service, &request("jane", None)).await.unwrap();
    assert_eq!(inbox.last_message().1.subject, "Acme: your code");
}

#[tokio::test]
async fn a_message_without_the_code_placeholder_is_an_invalid_lambda_response_and_sends_nothing() {
    let fake = FakeLambda::start();
    fake.register_python(
        TEAM_MESSAGE,
        r#"
import json, sys
event = json.load(sys.stdin)
event["response"]["emailMessage"] = "<p>Your code is on its way</p>"
print(json.dumps(event))
"#,
    );
    let (service, inbox) = service(&fake, TriggerLimits::default());
    let err = reset(&service, &request("jane", None)).await.unwrap_err();
    assert_eq!(err.kind(), "InvalidLambdaResponseException");
    assert!(err.to_string().contains("emailMessage"), "{err}");
    assert!(inbox.is_empty());
}

#[tokio::test]
async fn a_function_that_throws_is_cognitos_user_lambda_validation_error_tried_once() {
    let fake = FakeLambda::start();
    fake.register_python(TEAM_MESSAGE, "raise Exception('tenant not configured')");
    let (service, inbox) = service(&fake, TriggerLimits::default());
    let err = reset(&service, &request("jane", None)).await.unwrap_err();
    assert_eq!(err.kind(), "UserLambdaValidationException");
    assert_eq!(
        err.to_string(),
        "CustomMessage failed with error tenant not configured."
    );
    assert!(inbox.is_empty());
    assert_eq!(
        fake.invocations().len(),
        1,
        "a function error is not retried"
    );
}

#[tokio::test]
async fn a_function_that_times_out_is_tried_three_times_then_unexpected_lambda() {
    let fake = FakeLambda::start();
    fake.register_python(TEAM_MESSAGE, "import time; time.sleep(30)");
    let limits = TriggerLimits {
        timeout: Duration::from_millis(300),
        attempts: 3,
    };
    let (service, inbox) = service(&fake, limits);
    let err = reset(&service, &request("jane", None)).await.unwrap_err();
    assert_eq!(err.kind(), "UnexpectedLambdaException");
    assert_eq!(
        err.to_string(),
        "CustomMessage invocation failed due to error Socket timeout while invoking Lambda function."
    );
    assert!(inbox.is_empty());
    assert_eq!(fake.invocations().len(), 3);
}

#[tokio::test]
async fn a_function_lambda_does_not_know_is_unexpected_lambda_naming_the_error() {
    let fake = FakeLambda::start();
    let (service, inbox) = service(&fake, TriggerLimits::default());
    let err = reset(&service, &request("jane", None)).await.unwrap_err();
    assert_eq!(err.kind(), "UnexpectedLambdaException");
    assert_eq!(
        err.to_string(),
        "CustomMessage invocation failed due to error ResourceNotFoundException."
    );
    assert!(inbox.is_empty());
}

#[tokio::test]
async fn a_simulated_request_waits_as_long_as_the_teams_function_took() {
    let fake = FakeLambda::start();
    // A team's function that takes its time before it answers.
    fake.register_python(
        TEAM_MESSAGE,
        &format!("import time; time.sleep(0.6)\n{HTML_MESSAGE}"),
    );
    let (service, _inbox) = service(&fake, TriggerLimits::default());
    reset(&service, &request("jane", None)).await.unwrap();
    // What an unknown user's simulated answer waits: the real request's trigger and delivery.
    let wait = service
        .timing
        .draw(DeliveryMedium::Email, &mut StdRng::seed_from_u64(1));
    assert!(wait >= Duration::from_millis(600), "{wait:?}");
    // The simulated request itself invokes nothing (Cognito has no user to run it for).
    reset(&service, &request("nobody@example.com", None))
        .await
        .unwrap();
    assert_eq!(fake.invocations().len(), 1);
}
