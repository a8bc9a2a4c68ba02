//! UserMigration on the memory migration source: the trigger's use cases (both hash kinds, unknown
//! users, wrong passwords) and forgot-password's in-process migration and message rendering.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use async_trait::async_trait;
use password_reset::adapters::codes::memory::MemoryCodes;
use password_reset::adapters::directory::memory::MemoryDirectory;
use password_reset::adapters::migration_source::memory::MemorySourceUsers;
use password_reset::config::Settings;
use password_reset::domain::delivery::DeliveryMedium;
use password_reset::domain::message_catalog::MessageCatalog;
use password_reset::domain::migration::SourceUser;
use password_reset::domain::pool::PreventUserExistenceErrors;
use password_reset::domain::request::{ConfirmForgotPasswordRequest, ForgotPasswordRequest};
use password_reset::domain::time::UnixTime;
use password_reset::domain::user::UserStatus;
use password_reset::ports::{MigrationSource, StoreError, UserDirectory};
use password_reset::usecases::migrate_user::{self, MigrationError};
use password_reset::{CognitoError, ResetService};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;
use test_support::service::{demo_settings, demo_source_users, service_on};
use test_support::{Inbox, Operations};

const CLIENT: &str = "38fjsnc484p94kpqsnet7mpld0";
const T0: UnixTime = UnixTime(1_800_000_000);
const SOURCE_PASSWORD: &str = "Legacy-Passw0rd!";

fn demo() -> Settings {
    demo_settings()
}

fn migration_source() -> MemorySourceUsers {
    demo_source_users()
}

#[tokio::test]
async fn sign_in_verifies_bcrypt_and_argon2id_hashes() {
    let source = migration_source();
    let recovery = demo().pool.recovery;
    // lena's hash is bcrypt, omar's argon2id.
    for login in ["lena", "lena@legacy.example.com", "omar"] {
        let m = migrate_user::for_sign_in(&source, &recovery, login, SOURCE_PASSWORD)
            .await
            .unwrap();
        assert_eq!(m.final_user_status, UserStatus::Confirmed, "{login}");
        assert_eq!(m.message_action, "SUPPRESS");
    }
    let omar = migrate_user::for_sign_in(&source, &recovery, "omar", SOURCE_PASSWORD)
        .await
        .unwrap();
    assert_eq!(omar.user_attributes["phone_number_verified"], "true");
    assert_eq!(omar.desired_delivery_mediums, vec![DeliveryMedium::Sms]);
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_answer() {
    let source = migration_source();
    let recovery = demo().pool.recovery;
    for (login, password) in [
        ("lena", "legacy-passw0rd!"),
        ("omar", ""),
        ("nobody", SOURCE_PASSWORD),
    ] {
        let err = migrate_user::for_sign_in(&source, &recovery, login, password)
            .await
            .unwrap_err();
        assert_eq!(err, MigrationError::IncorrectCredentials, "{login}");
        assert_eq!(err.to_string(), "Incorrect username or password.");
    }
}

#[tokio::test]
async fn forgot_password_migration_answers_reset_required_or_user_does_not_exist() {
    let source = migration_source();
    let recovery = demo().pool.recovery;
    let m = migrate_user::for_forgot_password(&source, &recovery, "lena@legacy.example.com")
        .await
        .unwrap();
    assert_eq!(m.final_user_status, UserStatus::ResetRequired);
    assert_eq!(m.message_action, "SUPPRESS");
    assert_eq!(m.desired_delivery_mediums, vec![DeliveryMedium::Email]);
    assert_eq!(m.user_attributes["email"], "lena@legacy.example.com");
    assert_eq!(m.user_attributes["email_verified"], "true");
    let err = migrate_user::for_forgot_password(&source, &recovery, "nobody")
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "User does not exist.");
}

/// Records every message sent.
struct Broken;

#[async_trait]
impl MigrationSource for Broken {
    async fn find(&self, _: &str) -> Result<Option<SourceUser>, StoreError> {
        Err(StoreError::Unavailable(
            "connection refused to old-db:5432".into(),
        ))
    }
}

fn assemble(
    migration_source: Option<Arc<dyn MigrationSource>>,
    tweak: impl FnOnce(&mut Settings),
) -> (ResetService, Arc<MemoryDirectory>, Arc<Inbox>) {
    let mut settings = demo();
    tweak(&mut settings);
    let store = Arc::new(MemoryDirectory::with_users(settings.users.clone()));
    let inbox = Arc::new(Inbox::default());
    let service = service_on(
        &settings,
        5,
        store.clone(),
        Arc::new(MemoryCodes::new()),
        inbox.clone(),
        migration_source,
    );
    (service, store, inbox)
}

fn forgot(user: &str) -> ForgotPasswordRequest {
    ForgotPasswordRequest {
        client_id: CLIENT.into(),
        username: user.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn forgot_password_migrates_a_source_only_user_then_issues_a_code_that_resets() {
    let french = json!({"ForgotPassword": {"Locales": {"fr": {
        "EmailSubject": "Réinitialisation du mot de passe",
        "EmailMessage": "Bonjour {name}, votre code est {####}."}}}});
    let (service, store, inbox) = assemble(Some(Arc::new(migration_source())), |s| {
        s.pool.messages = MessageCatalog::from_json(french).unwrap();
    });
    let mut rng = StdRng::seed_from_u64(1);
    let login = "lena@legacy.example.com";
    assert!(store.find(login).await.unwrap().is_none());
    let out = service
        .forgot_at(&forgot(login), T0, &mut rng)
        .await
        .unwrap();
    assert_eq!(out.code_delivery_details.destination, "l***@l***.com");
    assert_eq!(
        out.code_delivery_details.delivery_medium,
        DeliveryMedium::Email
    );

    // Created in the directory as Cognito would: under the source's username (not the email
    // typed), RESET_REQUIRED, verified email, a fresh sub.
    assert!(store.user(login).is_none());
    let user = store.user("lena").unwrap();
    assert_eq!(user.status, UserStatus::ResetRequired);
    assert!(user.attributes.is_true("email_verified"));
    assert_eq!(user.sub.len(), 36);
    assert!(user.password_hash.is_none());

    // The message went through the CustomMessage templates, in the user's locale.
    let (to, message) = inbox.last_message();
    assert_eq!(to, "lena@legacy.example.com");
    assert_eq!(message.subject, "Réinitialisation du mot de passe");
    assert_eq!(
        message.body,
        format!("Bonjour Lena, votre code est {}.", message.code)
    );

    let confirm = ConfirmForgotPasswordRequest {
        client_id: CLIENT.into(),
        username: login.into(),
        confirmation_code: message.code.clone(),
        password: "N3w-Passw0rd!".into(),
        ..Default::default()
    };
    service.confirm_at(&confirm, T0.plus(60)).await.unwrap();
    let user = store.user("lena").unwrap();
    assert_eq!(user.status, UserStatus::Confirmed);
    assert!(password_reset::domain::password::verify(
        "N3w-Passw0rd!",
        user.password_hash.as_deref().unwrap()
    ));

    // The second request finds the migrated user: no second migration, same sub.
    let sub = user.sub.clone();
    service
        .forgot_at(&forgot(login), T0.plus(120), &mut rng)
        .await
        .unwrap();
    assert_eq!(store.user("lena").unwrap().sub, sub);
}

#[tokio::test]
async fn without_a_migration_source_or_source_user_nothing_is_migrated() {
    let mut rng = StdRng::seed_from_u64(2);
    let (service, store, inbox) = assemble(None, |_| {});
    service
        .forgot_at(&forgot("lena"), T0, &mut rng)
        .await
        .unwrap();
    assert!(store.user("lena").is_none());
    assert!(inbox.is_empty(), "simulated: nothing sent");

    let (service, store, _) = service_legacy_pool();
    let err = service
        .forgot_at(&forgot("nobody"), T0, &mut rng)
        .await
        .unwrap_err();
    assert_eq!(err, CognitoError::UserNotFound);
    assert!(store.user("nobody").is_none());
}

fn service_legacy_pool() -> (ResetService, Arc<MemoryDirectory>, Arc<Inbox>) {
    assemble(Some(Arc::new(migration_source())), |s| {
        s.pool.prevent_user_existence_errors = PreventUserExistenceErrors::Legacy;
    })
}

#[tokio::test]
async fn a_source_user_without_a_verified_channel_is_answered_as_a_directory_user_would_be() {
    let unverified: SourceUser = serde_json::from_value(json!({
        "Username": "ivy", "Attributes": {"email": "ivy@legacy.example.com", "email_verified": "false"}
    }))
    .unwrap();
    let mut rng = StdRng::seed_from_u64(3);
    let source: Arc<dyn MigrationSource> = Arc::new(MemorySourceUsers::new([unverified]));
    let (service, store, _) = assemble(Some(source.clone()), |s| {
        s.pool.prevent_user_existence_errors = PreventUserExistenceErrors::Legacy;
    });
    let err = service
        .forgot_at(&forgot("ivy"), T0, &mut rng)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "InvalidParameterException");
    assert!(store.user("ivy").is_none());
    // PreventUserExistenceErrors ENABLED: the simulated answer, nothing created.
    let (service, store, inbox) = assemble(Some(source), |_| {});
    let out = service
        .forgot_at(&forgot("ivy"), T0, &mut rng)
        .await
        .unwrap();
    assert_eq!(
        out.code_delivery_details.delivery_medium,
        DeliveryMedium::Email
    );
    assert!(store.user("ivy").is_none());
    assert!(inbox.is_empty());
}

#[tokio::test]
async fn a_failing_migration_source_is_a_user_lambda_validation_error_naming_nothing_internal() {
    let mut rng = StdRng::seed_from_u64(4);
    let (service, _, inbox) = assemble(Some(Arc::new(Broken)), |_| {});
    let err = service
        .forgot_at(&forgot("lena"), T0, &mut rng)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "UserLambdaValidationException");
    assert_eq!(
        err.to_string(),
        "UserMigration failed with error Migration source unavailable."
    );
    assert!(inbox.is_empty());
    // A directory user never touches the migration source.
    service
        .forgot_at(&forgot("jane"), T0, &mut rng)
        .await
        .unwrap();
}
