//! A team's own CustomEmailSender on its pool, end to end: the `aws` CLI's forgot-password against
//! the runner on moto's pool, the team's function behind the fake Lambda Invoke API; the event it
//! was handed goes through this repository's own custom-sender handler (functions/custom-sender,
//! its KMS keyring on moto), whose message carries the code that resets the pool's password.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::types::{
    CustomEmailLambdaVersionConfigType, CustomEmailSenderLambdaVersionType, LambdaConfigType,
};
use lambda_runtime::{Context, LambdaEvent};
use password_reset::adapters::esdk::{CodeDecryptor, KmsKeyring};
use password_reset::config::custom_sender::SenderKey;
use password_reset::usecases::custom_sender::CustomSender;
use serde_json::json;
use test_support::Inbox;
use test_support::cli::*;
use test_support::fake_lambda::FakeLambda;
use test_support::moto::endpoint as moto;
use test_support::runner_sdk::block_on;

use super::{sign_in_to, team_env, team_pool, user};

const TEAM_MAIL: &str = "arn:aws:lambda:us-east-1:123456789012:function:team-email-sender";

#[test]
fn the_pools_own_custom_email_sender_is_handed_a_code_this_repos_custom_sender_decrypts() {
    let kms = test_support::moto::kms();
    let key_arn = block_on(kms.create_key().send())
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let lambda = FakeLambda::start();
    lambda.register_python(
        TEAM_MAIL,
        "import json, sys; json.load(sys.stdin); print('null')",
    );
    let config = LambdaConfigType::builder()
        .custom_email_sender(
            CustomEmailLambdaVersionConfigType::builder()
                .lambda_version(CustomEmailSenderLambdaVersionType::V10)
                .lambda_arn(TEAM_MAIL)
                .build()
                .unwrap(),
        )
        .kms_key_id(&key_arn)
        .build();
    let pool = team_pool(config);
    user(
        &pool,
        "jane",
        &[("email", "jane@example.com"), ("email_verified", "true")],
    );
    let endpoint = moto();
    let mut vars = team_env(&pool, &endpoint, &lambda.endpoint);
    vars.extend([
        ("POOL_TRIGGER_FUNCTIONS", TEAM_MAIL),
        ("POOL_SENDER_KEY_ARN", key_arn.as_str()),
    ]);
    let runner = Runner::start("cognito-team-sender", None, &vars);
    let out = runner.aws(&[
        "forgot-password",
        "--client-id",
        &pool.client,
        "--username",
        "jane",
        "--client-metadata",
        "locale=fr",
        "--no-sign-request",
    ]);
    assert_eq!(
        out.ok_json()["CodeDeliveryDetails"]["Destination"],
        "j***@e***.com"
    );
    // The runner sent nothing itself: the team's function delivers.
    assert!(runner.outbox().is_empty(), "{:?}", runner.outbox());
    let invoked = lambda.invocations();
    assert_eq!(invoked.len(), 1);
    let event = invoked[0].event.clone();
    assert_eq!(event["triggerSource"], "CustomEmailSender_ForgotPassword");
    assert_eq!(event["request"]["clientMetadata"], json!({"locale": "fr"}));

    // This repository's custom-sender, configured on the pool's key and the context Cognito
    // binds codes with, decrypts it and sends the message.
    let env: BTreeMap<&str, String> = BTreeMap::from([
        ("KMS_KEY_ARN", key_arn.clone()),
        (
            "KMS_ENCRYPTION_CONTEXT",
            json!({"userpool-id": pool.id}).to_string(),
        ),
        ("DELIVERY", "outbox".to_string()),
    ]);
    let settings = custom_sender::settings_from_env(&|name| env.get(name).cloned()).unwrap();
    let SenderKey::Kms(key) = settings.key else {
        panic!("not the KMS key");
    };
    let inbox = Arc::new(Inbox::default());
    let sender: custom_sender::Sender<KmsKeyring> = CustomSender {
        decryptor: CodeDecryptor {
            keyring: KmsKeyring::new(kms, key.key_arn),
            required_context: key.encryption_context,
        },
        catalog: settings.catalog,
        email: inbox.clone(),
        sms: inbox.clone(),
    };
    block_on(custom_sender::handle(
        &sender,
        LambdaEvent::new(event, Context::default()),
    ))
    .unwrap();
    let code = inbox.last_code("jane@example.com");
    assert!(
        runner
            .confirm_as(&pool.client, "jane", &code, NEW_PASSWORD, None)
            .ok
    );
    assert!(sign_in_to(&pool, "jane", NEW_PASSWORD).is_ok());
    assert!(
        runner.logs().contains("team-email-sender"),
        "{}",
        runner.logs()
    );
}
