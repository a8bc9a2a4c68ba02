//! The reset service on the memory store with real senders plugged in, and what the delivery
//! tests look at: the code a message carries, and that no live code outlives a failed delivery.

use std::sync::Arc;

use password_reset::adapters::codes::memory::MemoryCodes;
use password_reset::config::Settings;
use password_reset::domain::caller::Caller;
use password_reset::domain::code::CodeState;
use password_reset::domain::user::User;
use password_reset::ports::{EmailSender, SmsSender};
use password_reset::{CognitoError, ResetService};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::requests::{confirm, forgot};

pub fn user(username: &str, attributes: serde_json::Value) -> User {
    serde_json::from_value(serde_json::json!({
        "Username": username,
        "Sub": format!("sub-{username}"),
        "Status": "CONFIRMED",
        "Attributes": attributes,
    }))
    .unwrap()
}

pub fn email_user(username: &str, email: &str) -> User {
    user(
        username,
        serde_json::json!({ "email": email, "email_verified": "true" }),
    )
}

pub fn phone_user(username: &str, phone: &str) -> User {
    user(
        username,
        serde_json::json!({ "phone_number": phone, "phone_number_verified": "true" }),
    )
}

/// The demo pool's settings (clients, recovery, policies), these users, and the given senders.
pub fn service(
    users: Vec<User>,
    email: Arc<dyn EmailSender>,
    sms: Arc<dyn SmsSender>,
) -> (Arc<ResetService>, Arc<MemoryCodes>) {
    let mut settings = Settings::from_json(include_str!("../../config/demo-pool.json")).unwrap();
    settings.users = users;
    settings.outbox.path = None;
    // These suites check the adapters' explicit refusals, which the caller sees under LEGACY;
    // under ENABLED it gets a generic CodeDeliveryFailureException (tests/tells.rs).
    settings.pool.prevent_user_existence_errors =
        password_reset::domain::pool::PreventUserExistenceErrors::Legacy;
    let embedded =
        password_reset::embedded::assemble(&settings, &mut StdRng::seed_from_u64(7), false);
    let mut service = embedded.service;
    service.ports.email = email;
    service.ports.sms = sms;
    (Arc::new(service), embedded.codes)
}

pub async fn request_code(
    service: &ResetService,
    username: &str,
) -> Result<password_reset::usecases::ForgotPasswordResponse, CognitoError> {
    service
        .forgot_password(
            &forgot(username),
            &Caller::unknown(),
            password_reset::domain::time::UnixTime::now(),
            &mut password_reset::request_rng(),
        )
        .await
}

pub async fn confirm_code(
    service: &ResetService,
    username: &str,
    code: &str,
) -> Result<(), CognitoError> {
    service
        .confirm_forgot_password(
            &confirm(username, code),
            &Caller::unknown(),
            password_reset::domain::time::UnixTime::now(),
        )
        .await
        .map(|_| ())
}

/// The first run of exactly six digits in a message body: the code.
pub fn code_in(body: &str) -> String {
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 6 {
                return body[start..i].to_string();
            }
        } else {
            i += 1;
        }
    }
    panic!("no code in {body:?}")
}

/// After a failed delivery: no live code, and the request was given back.
pub fn assert_no_live_code(store: &MemoryCodes, username: &str) {
    if let Some(record) = store.code_record(username) {
        assert!(
            !matches!(record.state, CodeState::Live(_)),
            "{username} still has a live code"
        );
        assert!(
            record.requests.is_empty(),
            "{username}'s failed request was counted: {:?}",
            record.requests
        );
    }
}
