//! Cognito user pools on moto made through the SDK, as an administrator makes them: the pool, its
//! app client, its users, and signing in to prove which password a user has.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::operation::create_user_pool::builders::CreateUserPoolFluentBuilder;
use aws_sdk_cognitoidentityprovider::types::{
    AccountRecoverySettingType, AliasAttributeType, AttributeType, AuthFlowType,
    ExplicitAuthFlowsType, MessageActionType, RecoveryOptionNameType, RecoveryOptionType,
};

use crate::unique;

/// Account recovery by these mechanisms, in this order (priority 1 first).
pub fn recovery(order: &[RecoveryOptionNameType]) -> AccountRecoverySettingType {
    let mut setting = AccountRecoverySettingType::builder();
    for (name, priority) in order.iter().zip(1..) {
        setting = setting.recovery_mechanisms(
            RecoveryOptionType::builder()
                .name(name.clone())
                .priority(priority)
                .build()
                .unwrap(),
        );
    }
    setting.build()
}

pub fn recovery_email_then_phone() -> AccountRecoverySettingType {
    recovery(&[
        RecoveryOptionNameType::VerifiedEmail,
        RecoveryOptionNameType::VerifiedPhoneNumber,
    ])
}

/// A fresh pool (email then phone recovery), shaped by `shape`.
pub async fn new_pool(
    client: &Client,
    shape: impl FnOnce(CreateUserPoolFluentBuilder) -> CreateUserPoolFluentBuilder,
) -> String {
    let builder = client
        .create_user_pool()
        .pool_name(unique("pool"))
        .account_recovery_setting(recovery_email_then_phone());
    let out = shape(builder).send().await.unwrap();
    out.user_pool().unwrap().id().unwrap().to_string()
}

pub fn aliases_email_and_phone(b: CreateUserPoolFluentBuilder) -> CreateUserPoolFluentBuilder {
    b.alias_attributes(AliasAttributeType::Email)
        .alias_attributes(AliasAttributeType::PhoneNumber)
}

/// An app client with USER_PASSWORD_AUTH; (id, secret).
pub async fn app_client(client: &Client, pool: &str, secret: bool) -> (String, Option<String>) {
    let out = client
        .create_user_pool_client()
        .user_pool_id(pool)
        .client_name(unique("client"))
        .generate_secret(secret)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap();
    let c = out.user_pool_client().unwrap();
    (
        c.client_id().unwrap().to_string(),
        c.client_secret().map(str::to_string),
    )
}

pub fn attr(name: &str, value: &str) -> AttributeType {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .unwrap()
}

/// A user created by an admin; with a password, CONFIRMED, else FORCE_CHANGE_PASSWORD.
/// Returns the username the pool gave.
pub async fn add_user(
    client: &Client,
    pool: &str,
    username: &str,
    attrs: &[(&str, &str)],
    password: Option<&str>,
) -> String {
    let out = client
        .admin_create_user()
        .user_pool_id(pool)
        .username(username)
        .message_action(MessageActionType::Suppress)
        .set_user_attributes(Some(attrs.iter().map(|(k, v)| attr(k, v)).collect()))
        .send()
        .await
        .unwrap();
    let assigned = out.user().unwrap().username().unwrap().to_string();
    if let Some(password) = password {
        client
            .admin_set_user_password()
            .user_pool_id(pool)
            .username(&assigned)
            .password(password)
            .permanent(true)
            .send()
            .await
            .unwrap();
    }
    assigned
}

/// USER_PASSWORD_AUTH against the pool: the refresh token, or the error code.
pub async fn sign_in(
    client: &Client,
    app: &str,
    user: &str,
    password: &str,
) -> Result<String, String> {
    client
        .initiate_auth()
        .client_id(app)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", user)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .map(|out| {
            out.authentication_result()
                .and_then(|r| r.refresh_token())
                .unwrap_or_default()
                .to_string()
        })
        .map_err(|e| e.code().unwrap_or("?").to_string())
}

pub async fn refresh(client: &Client, app: &str, token: &str) -> Result<(), String> {
    client
        .initiate_auth()
        .client_id(app)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", token)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| e.code().unwrap_or("?").to_string())
}
