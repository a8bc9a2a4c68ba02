//! The users Cognito leaves stuck (`StuckUsers`), on the memory directory: an admin-created user in
//! FORCE_CHANGE_PASSWORD (the demo pool's fran) and a user whose email is unverified (sam). Off,
//! each gets an unknown login's answers; on, each resets, and the reset leaves fran CONFIRMED and
//! sam's email verified.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use test_support::service::{demo_settings, service_on};
use test_support::{Inbox, Operations, PASSWORD, confirm, forgot};

use password_reset::adapters::codes::memory::MemoryCodes;
use password_reset::adapters::directory::memory::MemoryDirectory;
use password_reset::domain::password;
use password_reset::domain::pool::StuckUsers;
use password_reset::domain::time::UnixTime;
use password_reset::domain::user::UserStatus;
use password_reset::ports::UserDirectory;
use password_reset::{CognitoError, ResetService};
use rand::SeedableRng;
use rand::rngs::StdRng;

const T0: UnixTime = UnixTime(1_800_000_000);

fn service(stuck: StuckUsers) -> (ResetService, Arc<MemoryDirectory>, Arc<Inbox>) {
    let mut settings = demo_settings();
    settings.pool.stuck_users = stuck;
    let users = Arc::new(MemoryDirectory::with_users(settings.users.clone()));
    let inbox = Arc::new(Inbox::default());
    let service = service_on(
        &settings,
        6,
        users.clone(),
        Arc::new(MemoryCodes::new()),
        inbox.clone(),
        None,
    );
    (service, users, inbox)
}

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

const ON: StuckUsers = StuckUsers {
    force_change_password: true,
    unverified_email: true,
};

#[tokio::test]
async fn with_the_options_off_stuck_users_are_answered_as_unknown_logins() {
    let (s, users, inbox) = service(StuckUsers::default());
    for login in ["fran", "sam"] {
        let answer = s.forgot_at(&forgot(login), T0, &mut rng(1)).await.unwrap();
        let unknown = s
            .forgot_at(&forgot(&format!("{login}x")), T0, &mut rng(1))
            .await
            .unwrap();
        assert_eq!(
            answer.code_delivery_details.delivery_medium,
            unknown.code_delivery_details.delivery_medium
        );
        assert_eq!(
            s.confirm_at(&confirm(login, "123456"), T0.plus(1)).await,
            Err(CognitoError::CodeMismatch)
        );
    }
    assert!(inbox.sent.lock().unwrap().is_empty(), "nothing sent");
    assert_eq!(
        users.user("fran").unwrap().status,
        UserStatus::ForceChangePassword
    );
}

#[tokio::test]
async fn a_force_change_password_user_resets_and_is_confirmed() {
    let (s, users, inbox) = service(ON);
    let answer = s.forgot_at(&forgot("fran"), T0, &mut rng(1)).await.unwrap();
    assert_eq!(answer.code_delivery_details.destination, "f***@e***.com");
    let code = inbox.last_code("fran@example.com");
    s.confirm_at(&confirm("fran", &code), T0.plus(1))
        .await
        .unwrap();
    let fran = users.user("fran").unwrap();
    assert_eq!(fran.status, UserStatus::Confirmed);
    assert!(password::verify(PASSWORD, &fran.password_hash.unwrap()));
}

#[tokio::test]
async fn an_unverified_email_resets_and_is_verified_by_it() {
    let (s, users, inbox) = service(ON);
    assert!(
        !users
            .user("sam")
            .unwrap()
            .attributes
            .is_true("email_verified")
    );
    let answer = s.forgot_at(&forgot("sam"), T0, &mut rng(1)).await.unwrap();
    assert_eq!(answer.code_delivery_details.destination, "s***@e***.net");
    let code = inbox.last_code("sam@example.net");
    // A wrong code proves nothing.
    assert_eq!(
        s.confirm_at(&confirm("sam", "000000"), T0.plus(1)).await,
        Err(CognitoError::CodeMismatch)
    );
    assert!(
        !users
            .user("sam")
            .unwrap()
            .attributes
            .is_true("email_verified")
    );
    s.confirm_at(&confirm("sam", &code), T0.plus(2))
        .await
        .unwrap();
    let sam = users.user("sam").unwrap();
    assert!(sam.attributes.is_true("email_verified"));
    // The phone stays as it was: only the email carried the code.
    assert!(!sam.attributes.is_true("phone_number_verified"));
    assert!(password::verify(PASSWORD, &sam.password_hash.unwrap()));
    // Verified, the email now gets the password-changed notice too.
    let sent = inbox.sent.lock().unwrap();
    let to_sam: Vec<&String> = sent
        .iter()
        .filter(|(to, _)| to == "sam@example.net")
        .map(|(_, code)| code)
        .collect();
    assert_eq!(to_sam, [&code, &String::new()], "the code, then the notice");
}

/// The users table (moto): the reset marks sam's email verified in his item, and an admin-created
/// user leaves FORCE_CHANGE_PASSWORD.
#[tokio::test]
async fn on_the_users_table_the_reset_verifies_the_email_and_confirms_the_user() {
    let settings = test_support::dynamo::settings(|pool| {
        pool["StuckUsers"] =
            serde_json::json!({"ForceChangePassword": true, "UnverifiedEmail": true});
    });
    let f = test_support::dynamo::fixture("stuck-users", settings).await;
    let now = UnixTime::now();
    for (login, to) in [("sam", "sam@example.net"), ("fran", "fran@example.com")] {
        f.ask(login, now).await.unwrap();
        let code = f.inbox.last_code(to);
        f.confirm(login, &code, now.plus(1)).await.unwrap();
    }
    let sam = f.store.find("sam").await.unwrap().unwrap();
    assert!(sam.attributes.is_true("email_verified"));
    assert!(!sam.attributes.is_true("phone_number_verified"));
    let fran = f.store.find("fran").await.unwrap().unwrap();
    assert_eq!(fran.status, UserStatus::Confirmed);
    assert!(password::verify(PASSWORD, &fran.password_hash.unwrap()));
}
