//! A pool's own CustomEmailSender / CustomSMSSender, called as Cognito calls them: the pool on
//! moto's cognito-idp with `LambdaConfig` CustomEmailSender / CustomSMSSender and `KMSKeyID` (a
//! key of moto's KMS), read by the directory's DescribeUserPool; the team's functions small
//! scripts behind the fake Lambda Invoke API, which records their events; the code each event
//! carries decrypted by the reference Encryption SDK (scripts/esdk.py) with moto's KMS.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::{
    CustomEmailLambdaVersionConfigType, CustomEmailSenderLambdaVersionType,
    CustomSmsLambdaVersionConfigType, CustomSmsSenderLambdaVersionType, LambdaConfigType,
    RecoveryOptionNameType,
};
use password_reset::adapters::codes::memory::MemoryCodes;
use password_reset::adapters::directory::cognito::{CognitoOptions, CognitoPool};
use password_reset::adapters::triggers::{pool_senders_on, sender_key};
use password_reset::assembly::{Chosen, EmbeddedAdapters, compose};
use password_reset::domain::code::CodeKey;
use password_reset::domain::delivery::DeliveryMedium;
use password_reset::domain::pool::{PreventUserExistenceErrors, TriggerFunctions};
use password_reset::domain::request::{ConfirmForgotPasswordRequest, ForgotPasswordRequest};
use password_reset::domain::time::UnixTime;
use password_reset::usecases::pool_triggers::{PoolTriggers, TriggerLimits};
use password_reset::{CognitoError, ResetService};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use test_support::cognito_pool::{add_user, app_client, new_pool, recovery, sign_in};
use test_support::fake_lambda::FakeLambda;
use test_support::moto::{self, Calls};
use test_support::service::demo_settings;
use test_support::{Inbox, PASSWORD};

const TEAM_MAIL: &str = "arn:aws:lambda:us-east-1:123456789012:function:team-email-sender";
const TEAM_SMS: &str = "arn:aws:lambda:us-east-1:123456789012:function:team-sms-sender";
const T0: UnixTime = UnixTime(1_800_000_000);

/// A team's custom sender that delivers (here: nothing to do) and answers nothing, as most do.
const DELIVERS: &str = "import json, sys; json.load(sys.stdin); print('null')";

struct Fixture {
    service: ResetService,
    inbox: Arc<Inbox>,
    lambda: FakeLambda,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    pool_id: String,
    client_id: String,
    key_arn: String,
}

/// A pool recovering by `order`, whose custom senders are the team's, each listed to invoke; a
/// user `jane` with a verified email and phone.
async fn fixture(order: &[RecoveryOptionNameType], limits: TriggerLimits) -> Fixture {
    let kms = moto::kms();
    let key_arn = kms
        .create_key()
        .description("the pool's custom sender key")
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let cognito = moto::cognito(&Calls::default());
    let lambda_config = LambdaConfigType::builder()
        .custom_email_sender(
            CustomEmailLambdaVersionConfigType::builder()
                .lambda_version(CustomEmailSenderLambdaVersionType::V10)
                .lambda_arn(TEAM_MAIL)
                .build()
                .unwrap(),
        )
        .custom_sms_sender(
            CustomSmsLambdaVersionConfigType::builder()
                .lambda_version(CustomSmsSenderLambdaVersionType::V10)
                .lambda_arn(TEAM_SMS)
                .build()
                .unwrap(),
        )
        .kms_key_id(&key_arn)
        .build();
    let pool_id = new_pool(&cognito, |b| {
        b.account_recovery_setting(recovery(order))
            .lambda_config(lambda_config)
    })
    .await;
    let (client_id, _) = app_client(&cognito, &pool_id, false).await;
    add_user(
        &cognito,
        &pool_id,
        "jane",
        &[
            ("email", "jane@example.com"),
            ("email_verified", "true"),
            ("phone_number", "+12065550142"),
            ("phone_number_verified", "true"),
        ],
        Some("Old-Passw0rd!"),
    )
    .await;
    let directory =
        CognitoPool::connect(cognito.clone(), pool_id.clone(), CognitoOptions::default())
            .await
            .unwrap();
    // The pool's LambdaConfig as the directory read it, the deployment listing both senders.
    let invoked = directory
        .description()
        .triggers
        .among(&[TEAM_MAIL.into(), TEAM_SMS.into()]);
    let key = sender_key(&invoked, Some(&key_arn)).unwrap().unwrap();
    let senders = pool_senders_on(&invoked, key, moto::kms());
    let lambda = FakeLambda::start();
    let invoker = crate::pool_triggers::invoker_at(&lambda);
    let mut settings = demo_settings();
    settings.source_users = None;
    let mut pool = settings.pool.clone();
    pool.user_pool_id = pool_id.clone();
    pool.recovery = directory.description().recovery.clone().unwrap();
    pool.prevent_user_existence_errors = PreventUserExistenceErrors::Enabled;
    let inbox = Arc::new(Inbox::default());
    let directory = Arc::new(directory);
    let chosen = Chosen {
        users: Some(directory.clone()),
        clients: Some(directory),
        codes: Some(Arc::new(MemoryCodes::new())),
        senders: Some((inbox.clone(), inbox.clone())),
        ..Chosen::default()
    };
    let key = CodeKey::from_bytes(&[4; 32]).unwrap().into();
    let mut service = compose(
        &settings,
        pool,
        key,
        chosen,
        &EmbeddedAdapters::new(&settings, false),
    );
    service.triggers = Some(PoolTriggers {
        custom_message: None,
        user_migration: None,
        senders: Some(senders),
        invoker: Arc::new(invoker),
        limits,
    });
    Fixture {
        service,
        inbox,
        lambda,
        cognito,
        pool_id,
        client_id,
        key_arn,
    }
}

impl Fixture {
    async fn forgot(&self, login: &str) -> Result<Value, CognitoError> {
        let request = ForgotPasswordRequest {
            client_id: self.client_id.clone(),
            username: login.into(),
            client_metadata: Some([("locale".to_string(), "fr".to_string())].into()),
            ..Default::default()
        };
        let caller = password_reset::domain::caller::Caller::unknown();
        self.service
            .forgot_password(&request, &caller, T0, &mut StdRng::seed_from_u64(3))
            .await
            .map(|answer| serde_json::to_value(answer).unwrap())
    }

    async fn confirm(&self, code: &str) -> Result<(), CognitoError> {
        let request = ConfirmForgotPasswordRequest {
            client_id: self.client_id.clone(),
            username: "jane".into(),
            confirmation_code: code.into(),
            password: PASSWORD.into(),
            ..Default::default()
        };
        let caller = password_reset::domain::caller::Caller::unknown();
        self.service
            .confirm_forgot_password(&request, &caller, T0.plus(60))
            .await
    }

    /// The event's code, decrypted by the reference Encryption SDK under the pool's key, its
    /// encryption context holding the pool's id.
    fn reference_decrypt(&self, event: &Value) -> String {
        let context = json!({"userpool-id": self.pool_id}).to_string();
        let out = Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/esdk.py"))
            .args(["decrypt", "--key-arn", &self.key_arn, "--context", &context])
            .args(["--message", event["request"]["code"].as_str().unwrap()])
            .env("MOTO_ENDPOINT", moto::endpoint())
            .output()
            .expect("python3 (with the pinned aws-encryption-sdk) runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

#[tokio::test]
async fn the_pools_custom_email_sender_gets_the_code_encrypted_as_cognito_does_and_it_resets() {
    let f = fixture(
        &[RecoveryOptionNameType::VerifiedEmail],
        TriggerLimits::default(),
    )
    .await;
    f.lambda.register_python(TEAM_MAIL, DELIVERS);
    let answer = f.forgot("jane").await.unwrap();
    assert_eq!(
        answer["CodeDeliveryDetails"],
        json!({"Destination": "j***@e***.com", "DeliveryMedium": "EMAIL", "AttributeName": "email"})
    );
    // Nothing went out by SES or SMS: the team's function delivers.
    assert!(f.inbox.is_empty());
    let invoked = f.lambda.invocations();
    assert_eq!(invoked.len(), 1);
    assert_eq!(invoked[0].function, TEAM_MAIL);
    let event = &invoked[0].event;
    assert_eq!(event["version"], "1");
    assert_eq!(event["triggerSource"], "CustomEmailSender_ForgotPassword");
    assert_eq!(event["region"], "us-east-1");
    assert_eq!(event["userPoolId"], f.pool_id.as_str());
    assert_eq!(event["userName"], "jane");
    assert_eq!(event["callerContext"]["clientId"], f.client_id.as_str());
    assert!(event["callerContext"]["awsSdkVersion"].is_string());
    assert_eq!(event["request"]["type"], "customEmailSenderRequestV1");
    assert_eq!(event["request"]["clientMetadata"], json!({"locale": "fr"}));
    assert_eq!(
        event["request"]["userAttributes"]["email"],
        "jane@example.com"
    );
    // An Encryption SDK message as Cognito's (format 1, suite 0x0378), which the reference
    // implementation decrypts under the pool's key to the very code that resets the password.
    let encrypted = event["request"]["code"].as_str().unwrap();
    assert!(encrypted.starts_with("AYADe"), "{encrypted}");
    let code = f.reference_decrypt(event);
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    assert!(!event.to_string().contains(&code));
    f.confirm(&code).await.unwrap();
    assert!(
        sign_in(&f.cognito, &f.client_id, "jane", PASSWORD)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_pools_custom_sms_sender_gets_an_sms_code() {
    let f = fixture(
        &[RecoveryOptionNameType::VerifiedPhoneNumber],
        TriggerLimits::default(),
    )
    .await;
    f.lambda.register_python(TEAM_SMS, DELIVERS);
    let answer = f.forgot("jane").await.unwrap();
    assert_eq!(answer["CodeDeliveryDetails"]["DeliveryMedium"], "SMS");
    assert!(f.inbox.is_empty());
    let invoked = f.lambda.invocations();
    assert_eq!(invoked.len(), 1);
    assert_eq!(invoked[0].function, TEAM_SMS);
    let event = &invoked[0].event;
    assert_eq!(event["triggerSource"], "CustomSMSSender_ForgotPassword");
    assert_eq!(event["request"]["type"], "customSMSSenderRequestV1");
    assert_eq!(
        event["request"]["userAttributes"]["phone_number"],
        "+12065550142"
    );
    let code = f.reference_decrypt(event);
    f.confirm(&code).await.unwrap();
}

#[tokio::test]
async fn a_custom_sender_that_throws_is_cognitos_error_and_leaves_no_live_code() {
    let f = fixture(
        &[RecoveryOptionNameType::VerifiedEmail],
        TriggerLimits::default(),
    )
    .await;
    f.lambda
        .register_python(TEAM_MAIL, "raise Exception('mail provider down')");
    let err = f.forgot("jane").await.unwrap_err();
    assert_eq!(err.kind(), "UserLambdaValidationException");
    assert_eq!(
        err.to_string(),
        "CustomEmailSender failed with error mail provider down."
    );
    assert!(f.inbox.is_empty());
    assert_eq!(
        f.lambda.invocations().len(),
        1,
        "a function error is not retried"
    );
    // The code the failed delivery carried was revoked.
    let code = f.reference_decrypt(&f.lambda.invocations()[0].event);
    assert_eq!(
        f.confirm(&code).await.unwrap_err().kind(),
        "CodeMismatchException"
    );
}

#[tokio::test]
async fn an_unknown_user_invokes_nothing_and_waits_as_long_as_a_real_delivery() {
    let f = fixture(
        &[RecoveryOptionNameType::VerifiedEmail],
        TriggerLimits::default(),
    )
    .await;
    // A team's function that takes its time before it answers.
    f.lambda.register_python(
        TEAM_MAIL,
        &format!("import time; time.sleep(0.6)\n{DELIVERS}"),
    );
    f.forgot("jane").await.unwrap();
    // What a simulated answer waits: the real request's encryption and invocation.
    let wait = f
        .service
        .timing
        .draw(DeliveryMedium::Email, &mut StdRng::seed_from_u64(1));
    assert!(wait >= Duration::from_millis(600), "{wait:?}");
    let answer = f.forgot("nobody@example.com").await.unwrap();
    assert_eq!(answer["CodeDeliveryDetails"]["DeliveryMedium"], "EMAIL");
    // Cognito sends nothing for a user it does not have: no invocation, nothing sent.
    assert_eq!(f.lambda.invocations().len(), 1);
    assert!(f.inbox.is_empty());
}

#[tokio::test]
async fn a_deployment_not_allowed_the_pools_key_is_refused_at_start() {
    let f = fixture(
        &[RecoveryOptionNameType::VerifiedEmail],
        TriggerLimits::default(),
    )
    .await;
    let directory = CognitoPool::connect(
        f.cognito.clone(),
        f.pool_id.clone(),
        CognitoOptions::default(),
    )
    .await
    .unwrap();
    let invoked = directory.description().triggers.among(&[TEAM_MAIL.into()]);
    assert_eq!(invoked.kms_key_id.as_deref(), Some(f.key_arn.as_str()));
    let refused = sender_key(&invoked, None).unwrap_err();
    assert_eq!(refused.setting, "POOL_SENDER_KEY_ARN");
    assert!(refused.to_string().contains(&f.key_arn), "{refused}");
    // A pool whose senders are this stack's own (not listed) keeps delivering in-process.
    let own = directory.description().triggers.among(&[]);
    assert_eq!(sender_key(&own, None).unwrap(), None);
}

#[tokio::test]
async fn a_key_kms_will_not_use_delivers_nothing_and_invokes_nothing() {
    let mut f = fixture(
        &[RecoveryOptionNameType::VerifiedEmail],
        TriggerLimits::default(),
    )
    .await;
    f.lambda.register_python(TEAM_MAIL, DELIVERS);
    // The pool's key gone (deleted, or never this account's): KMS refuses GenerateDataKey.
    let gone = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000";
    let invoked = TriggerFunctions {
        custom_email_sender: Some(TEAM_MAIL.into()),
        kms_key_id: Some(gone.into()),
        ..TriggerFunctions::default()
    };
    f.service.triggers.as_mut().unwrap().senders =
        Some(pool_senders_on(&invoked, gone, moto::kms()));
    let err = f.forgot("jane").await.unwrap_err();
    // Ours (Cognito does not publish its answer): the code could not go out; no detail shown.
    assert_eq!(err.kind(), "CodeDeliveryFailureException");
    assert!(!err.to_string().contains(gone), "{err}");
    assert!(f.lambda.invocations().is_empty());
    assert!(f.inbox.is_empty());
}
