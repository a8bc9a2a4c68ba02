//! The Cognito directory adapter on moto's cognito-idp (a fresh pool per test, made through the
//! SDK), and faults through aws-smithy-mocks. Needs `MOTO_ENDPOINT`.

#![cfg(feature = "cognito")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserOutput;
use aws_sdk_cognitoidentityprovider::operation::admin_set_user_password::AdminSetUserPasswordError;
use aws_sdk_cognitoidentityprovider::operation::admin_user_global_sign_out::AdminUserGlobalSignOutError;
use aws_sdk_cognitoidentityprovider::operation::create_user_pool::builders::CreateUserPoolFluentBuilder;
use aws_sdk_cognitoidentityprovider::operation::describe_user_pool::DescribeUserPoolOutput;
use aws_sdk_cognitoidentityprovider::operation::describe_user_pool_client::DescribeUserPoolClientOutput;
use aws_sdk_cognitoidentityprovider::types::error::{
    InternalErrorException, TooManyRequestsException,
};
use aws_sdk_cognitoidentityprovider::types::{
    PasswordPolicyType, SmsMfaSettingsType, UserPoolClientType, UserPoolMfaType,
    UserPoolPolicyType, UserPoolType, UserStatusType, UsernameAttributeType,
    UsernameConfigurationType,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use password_reset::adapters::codes::memory::MemoryCodes;
use password_reset::adapters::directory::cognito::{CognitoOptions, CognitoPool};
use password_reset::adapters::migration_source::memory::MemorySourceUsers;
use password_reset::config::Settings;
use password_reset::domain::code::CodeKey;
use password_reset::domain::delivery::DeliveryMedium;
use password_reset::domain::migration::SourceUser;
use password_reset::domain::pool::PreventUserExistenceErrors;
use password_reset::domain::recovery::AccountRecovery;
use password_reset::domain::request::{ConfirmForgotPasswordRequest, ForgotPasswordRequest};
use password_reset::domain::secret_hash;
use password_reset::domain::time::UnixTime;
use password_reset::domain::user::{Attributes, MfaChannel, UserStatus};
use password_reset::ports::{
    AppClients, MigrationSource, PasswordChangeError, StoreError, UserDirectory,
};
use password_reset::usecases::{ForgotPasswordResponse, Ports};
use password_reset::{CognitoError, ResetService};
use test_support::Operations;
use test_support::cognito_pool::{
    add_user, aliases_email_and_phone, app_client, attr, new_pool, recovery_email_then_phone,
    refresh, sign_in,
};
use test_support::moto::{self, Calls, counts};
use test_support::{Inbox, PASSWORD};

const OLD_PASSWORD: &str = "Legacy-Passw0rd!";
const T0: UnixTime = UnixTime(1_800_000_000);

const JANE: [(&str, &str); 4] = [
    ("email", "jane@example.com"),
    ("email_verified", "true"),
    ("phone_number", "+12065550142"),
    ("phone_number_verified", "true"),
];

fn key() -> CodeKey {
    CodeKey::from_bytes(&[7u8; 32]).unwrap()
}

fn rng() -> rand::rngs::StdRng {
    password_reset::request_rng()
}

/// The service on `pool` as the directory and app clients, codes in memory, deliveries
/// recorded; the recovery setting is the pool's own.
fn service_on(
    pool: Arc<CognitoPool>,
    codes: Arc<MemoryCodes>,
    prevent: PreventUserExistenceErrors,
    migration_source: Option<Arc<dyn MigrationSource>>,
) -> (ResetService, Arc<Inbox>) {
    let settings =
        Settings::from_json(include_str!("../../../config/demo-pool.json")).expect("demo pool");
    let mut pool_settings = settings.pool;
    pool_settings.user_pool_id = pool.description().user_pool_id.clone();
    pool_settings.clients = Vec::new();
    pool_settings.recovery = pool.description().recovery.clone().unwrap_or_default();
    pool_settings.prevent_user_existence_errors = prevent;
    let inbox = Arc::new(Inbox::default());
    let service = ResetService::new(
        pool_settings,
        key(),
        Ports {
            users: pool.clone(),
            clients: pool,
            codes,
            email: inbox.clone(),
            sms: inbox.clone(),
            migration_source,
            breached: None,
            claims: None,
            owed_sign_outs: None,
        },
    );
    (service, inbox)
}

fn forgot(app: &str, user: &str) -> ForgotPasswordRequest {
    ForgotPasswordRequest {
        client_id: app.into(),
        username: user.into(),
        ..Default::default()
    }
}

fn confirm(app: &str, user: &str, code: &str, password: &str) -> ConfirmForgotPasswordRequest {
    ConfirmForgotPasswordRequest {
        client_id: app.into(),
        username: user.into(),
        confirmation_code: code.into(),
        password: password.into(),
        ..Default::default()
    }
}

/// The service asked through one app client, from an unknown caller, with a fresh generator.
struct OnPool {
    service: ResetService,
    app: String,
}

impl std::ops::Deref for OnPool {
    type Target = ResetService;

    fn deref(&self) -> &ResetService {
        &self.service
    }
}

impl OnPool {
    async fn ask(
        &self,
        login: &str,
        now: UnixTime,
    ) -> Result<ForgotPasswordResponse, CognitoError> {
        self.forgot_at(&forgot(&self.app, login), now, &mut rng())
            .await
    }

    async fn reset(
        &self,
        login: &str,
        code: &str,
        password: &str,
        now: UnixTime,
    ) -> Result<(), CognitoError> {
        self.confirm_at(&confirm(&self.app, login, code, password), now)
            .await
    }
}

struct Fixture {
    client: Client,
    calls: Calls,
    pool_id: String,
    app: String,
    pool: Arc<CognitoPool>,
}

async fn fixture(
    shape: impl FnOnce(CreateUserPoolFluentBuilder) -> CreateUserPoolFluentBuilder,
    options: CognitoOptions,
) -> Fixture {
    let calls = Calls::default();
    let client = moto::cognito(&calls);
    let pool_id = new_pool(&client, shape).await;
    let (app, _) = app_client(&client, &pool_id, false).await;
    let pool = Arc::new(
        CognitoPool::connect(client.clone(), pool_id.clone(), options)
            .await
            .unwrap(),
    );
    calls.take();
    Fixture {
        client,
        calls,
        pool_id,
        app,
        pool,
    }
}

impl Fixture {
    /// `service_on` this pool, codes in memory, asked through the fixture's app client.
    fn service(
        &self,
        prevent: PreventUserExistenceErrors,
        migration_source: Option<Arc<dyn MigrationSource>>,
    ) -> (OnPool, Arc<Inbox>) {
        self.service_with(Arc::new(MemoryCodes::new()), prevent, migration_source)
    }

    fn service_with(
        &self,
        codes: Arc<MemoryCodes>,
        prevent: PreventUserExistenceErrors,
        migration_source: Option<Arc<dyn MigrationSource>>,
    ) -> (OnPool, Arc<Inbox>) {
        let (service, inbox) = service_on(self.pool.clone(), codes, prevent, migration_source);
        (self.asking(service), inbox)
    }

    fn asking(&self, service: ResetService) -> OnPool {
        OnPool {
            service,
            app: self.app.clone(),
        }
    }

    /// `add_user` to this pool.
    async fn add(&self, username: &str, attrs: &[(&str, &str)], password: Option<&str>) -> String {
        add_user(&self.client, &self.pool_id, username, attrs, password).await
    }

    /// `sign_in` through the fixture's app client.
    async fn sign_in(&self, user: &str, password: &str) -> Result<String, String> {
        sign_in(&self.client, &self.app, user, password).await
    }

    async fn refresh(&self, token: &str) -> Result<(), String> {
        refresh(&self.client, &self.app, token).await
    }

    async fn disable(&self, user: &str) {
        self.client
            .admin_disable_user()
            .user_pool_id(&self.pool_id)
            .username(user)
            .send()
            .await
            .unwrap();
    }

    /// SMS as the user's preferred MFA.
    async fn prefer_sms_mfa(&self, user: &str) {
        self.client
            .admin_set_user_mfa_preference()
            .user_pool_id(&self.pool_id)
            .username(user)
            .sms_mfa_settings(
                SmsMfaSettingsType::builder()
                    .enabled(true)
                    .preferred_mfa(true)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
}

// ---------------------------------------------------------------- lookup

/// The calls a lookup costs depend on the login's form only: for each form (username, email
/// alias, phone alias, sub), a login of a user and one of nobody cost the same calls, in kind
/// and number.
#[tokio::test]
async fn existence_never_changes_the_calls() {
    let f = fixture(aliases_email_and_phone, CognitoOptions::default()).await;
    f.add("jane", &JANE, Some(OLD_PASSWORD)).await;
    f.add(
        "bob",
        &[("email", "bob@example.com"), ("email_verified", "false")],
        Some(OLD_PASSWORD),
    )
    .await;
    let jane = f.pool.find_user_for_test("jane").await;
    f.calls.take();
    let forms = [
        ("username", "jane", "nobody", counts(&[("AdminGetUser", 1)])),
        (
            "email",
            "jane@example.com",
            "nobody@example.com",
            counts(&[("AdminGetUser", 1), ("ListUsers", 1)]),
        ),
        (
            "unverified email",
            "bob@example.com",
            "nobody@example.com",
            counts(&[("AdminGetUser", 1), ("ListUsers", 1)]),
        ),
        (
            "phone",
            "+12065550142",
            "+12065550999",
            counts(&[("AdminGetUser", 1), ("ListUsers", 1)]),
        ),
        (
            "sub",
            jane.sub.as_str(),
            "00000000-0000-4000-8000-000000000000",
            counts(&[("AdminGetUser", 1), ("ListUsers", 1)]),
        ),
    ];
    for (form, known, unknown, want) in forms {
        let found = UserDirectory::find(&*f.pool, known).await.unwrap();
        assert_eq!(found.is_some(), form != "unverified email", "{form}");
        let known_calls = f.calls.take();
        assert_eq!(UserDirectory::find(&*f.pool, unknown).await.unwrap(), None);
        assert_eq!(f.calls.take(), known_calls, "{form}: unknown as known");
        assert_eq!(known_calls, want, "{form}");
    }

    // Through the service: ForgotPassword and ConfirmForgotPassword for a user and for nobody
    // cost the same Cognito calls, login form by login form.
    let (svc, _inbox) = f.service(PreventUserExistenceErrors::Enabled, None);
    svc.ask("jane", T0).await.unwrap(); // the app client, cached from here on
    f.calls.take();
    for (known, unknown) in [
        ("jane", "nobody"),
        ("jane@example.com", "nobody@example.com"),
        ("+12065550142", "+12065550999"),
    ] {
        svc.ask(known, T0).await.unwrap();
        let _ = svc.reset(known, "000000", PASSWORD, T0).await;
        let known_calls = f.calls.take();
        svc.ask(unknown, T0).await.unwrap();
        let _ = svc.reset(unknown, "000000", PASSWORD, T0).await;
        assert_eq!(f.calls.take(), known_calls, "{known} vs {unknown}");
    }
}

/// An unknown ClientId is counted against its caller before any Cognito call: once the caller's
/// window is full, random ClientIds cost no DescribeUserPoolClient; and ids never seen draw on a
/// process-wide bucket, so even callers the window cannot tell apart spend a bounded number.
#[tokio::test]
async fn unknown_client_ids_cost_no_cognito_call_past_the_callers_window() {
    use password_reset::domain::caller::Caller;
    use password_reset::domain::operation::Operation;
    let started = std::time::Instant::now();
    let f = fixture(aliases_email_and_phone, CognitoOptions::default()).await;
    let (mut service, _inbox) = service_on(
        f.pool.clone(),
        Arc::new(MemoryCodes::new()),
        PreventUserExistenceErrors::Enabled,
        None,
    );
    service.pool.codes.max_requests_per_caller = 3;
    let svc = f.asking(service);
    let max = svc
        .pool
        .codes
        .caller_limit(Operation::ForgotPassword)
        .max_requests as usize;
    let caller = Caller::peer("198.51.100.7".parse().unwrap());
    let mut answers = Vec::new();
    for i in 0..max + 3 {
        let request = forgot(&format!("randomclient{i}"), "jane");
        let answer = svc.forgot_password(&request, &caller, T0, &mut rng()).await;
        answers.push(answer.map(|_| ()).unwrap_err().kind());
    }
    assert!(
        answers[..max]
            .iter()
            .all(|k| *k == "ResourceNotFoundException"),
        "{answers:?}"
    );
    assert!(
        answers[max..]
            .iter()
            .all(|k| *k == "LimitExceededException"),
        "{answers:?}"
    );
    // The user is looked up beside the caller's window (issue 21), so each request costs one
    // AdminGetUser; the client is asked only once the window admits it.
    assert_eq!(
        f.calls.take(),
        counts(&[("AdminGetUser", max + 3), ("DescribeUserPoolClient", max)]),
        "no DescribeUserPoolClient once the caller's window is full"
    );

    // No caller identity at all (a direct invocation): the bucket bounds the misses.
    let (svc, _inbox) = f.service(PreventUserExistenceErrors::Enabled, None);
    let mut throttled = 0;
    for i in 0..40 {
        let answer = svc
            .forgot_at(
                &forgot(&format!("anotherclient{i}"), "jane"),
                T0,
                &mut rng(),
            )
            .await
            .unwrap_err();
        if answer.kind() == "TooManyRequestsException" {
            throttled += 1;
        }
    }
    let asked = f.calls.take();
    let described = asked.get("DescribeUserPoolClient").copied().unwrap_or(0);
    // A burst of 10, then one a second.
    let bound = 10 + started.elapsed().as_secs() as usize + 1;
    assert!(
        described + max <= bound,
        "at most {bound} in all: {asked:?}"
    );
    assert_eq!(
        described + throttled,
        40,
        "each id either asked or refused: {asked:?}"
    );
    assert!(throttled > 0);
}

#[tokio::test]
async fn finds_by_username_alias_phone_and_sub_on_an_alias_pool() {
    let f = fixture(aliases_email_and_phone, CognitoOptions::default()).await;
    f.add("jane", &JANE, Some(OLD_PASSWORD)).await;
    // An unverified email is no alias: Cognito does not accept it as a login.
    f.add(
        "bob",
        &[("email", "bob@example.com"), ("email_verified", "false")],
        Some(OLD_PASSWORD),
    )
    .await;
    f.calls.take();

    let jane = f.pool.find_user_for_test("jane").await;
    assert_eq!(jane.username, "jane");
    assert_eq!(jane.status, UserStatus::Confirmed);
    assert!(jane.enabled);
    assert!(jane.attributes.is_true("email_verified"));
    assert!(jane.attributes.is_true("phone_number_verified"));
    assert_eq!(jane.mfa, None);
    assert_eq!(
        f.calls.take(),
        counts(&[("AdminGetUser", 1)]),
        "a username is one call"
    );

    for login in ["jane@example.com", "+12065550142", jane.sub.as_str()] {
        let found = UserDirectory::find(&*f.pool, login).await.unwrap();
        assert_eq!(
            found.map(|u| u.username),
            Some("jane".to_string()),
            "{login}"
        );
    }
    // An alias or sub is one ListUsers (moto's AdminGetUser resolves neither), then one
    // AdminGetUser by the username found (for the MFA settings).
    assert_eq!(
        f.calls.take(),
        counts(&[("AdminGetUser", 3), ("ListUsers", 3)])
    );

    assert_eq!(
        UserDirectory::find(&*f.pool, "bob@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(UserDirectory::find(&*f.pool, "nobody").await.unwrap(), None);
    assert_eq!(
        f.calls.take(),
        counts(&[("AdminGetUser", 2), ("ListUsers", 1)]),
        "a plain unknown username needs no ListUsers"
    );
    // A case-sensitive pool: another case is another name.
    assert_eq!(UserDirectory::find(&*f.pool, "JANE").await.unwrap(), None);
}

#[tokio::test]
async fn an_email_that_is_no_alias_is_no_login() {
    let f = fixture(|b| b, CognitoOptions::default()).await;
    f.add("jane", &JANE, Some(OLD_PASSWORD)).await;
    f.calls.take();
    assert_eq!(
        UserDirectory::find(&*f.pool, "jane@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        UserDirectory::find(&*f.pool, "+12065550142").await.unwrap(),
        None
    );
    assert_eq!(
        f.calls.take(),
        counts(&[("AdminGetUser", 2)]),
        "no ListUsers for attributes that are not logins"
    );
}

#[tokio::test]
async fn finds_by_email_and_sub_on_an_email_username_pool_in_any_case() {
    let f = fixture(
        |b| {
            b.username_attributes(UsernameAttributeType::Email)
                .username_configuration(
                    UsernameConfigurationType::builder()
                        .case_sensitive(false)
                        .build()
                        .unwrap(),
                )
        },
        CognitoOptions::default(),
    )
    .await;
    assert!(!f.pool.description().case_sensitive);
    assert_eq!(f.pool.description().username_attributes, ["email"]);
    let assigned = f
        .add(
            "jane@example.com",
            &[("email_verified", "true")],
            Some(OLD_PASSWORD),
        )
        .await;
    assert_ne!(
        assigned, "jane@example.com",
        "the pool assigns a UUID username"
    );
    f.calls.take();

    for login in ["jane@example.com", "JANE@EXAMPLE.COM", "Jane@Example.com"] {
        let found = UserDirectory::find(&*f.pool, login).await.unwrap().unwrap();
        assert_eq!(found.username, assigned, "{login}");
        assert_eq!(found.email(), Some("jane@example.com"));
    }
    assert_eq!(
        f.calls.take(),
        counts(&[("AdminGetUser", 3)]),
        "one call each"
    );
    let by_sub = f.pool.find_user_for_test(&assigned).await;
    assert_eq!(by_sub.username, assigned);
    assert_eq!(
        UserDirectory::find(&*f.pool, "JOHN@EXAMPLE.COM")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn maps_status_enabled_and_mfa() {
    let f = fixture(
        |b| b.mfa_configuration(UserPoolMfaType::Optional),
        CognitoOptions::default(),
    )
    .await;
    assert_eq!(
        f.pool.description().mfa_configuration.as_deref(),
        Some("OPTIONAL")
    );
    f.add("jane", &JANE, Some(OLD_PASSWORD)).await;
    f.add("fred", &JANE[..2], None).await;
    f.disable("jane").await;
    f.prefer_sms_mfa("jane").await;
    let jane = f.pool.find_user_for_test("jane").await;
    assert!(!jane.enabled);
    assert_eq!(jane.mfa, Some(MfaChannel::Sms));
    let fred = f.pool.find_user_for_test("fred").await;
    assert_eq!(fred.status, UserStatus::ForceChangePassword);
}

#[tokio::test]
async fn describes_the_pool_once_and_refuses_a_missing_pool() {
    let calls = Calls::default();
    let client = moto::cognito(&calls);
    let pool_id = new_pool(&client, |b| {
        aliases_email_and_phone(b)
            .mfa_configuration(UserPoolMfaType::Off)
            .policies(
                UserPoolPolicyType::builder()
                    .password_policy(
                        PasswordPolicyType::builder()
                            .minimum_length(12)
                            .require_uppercase(true)
                            .require_lowercase(true)
                            .require_numbers(false)
                            .require_symbols(false)
                            .build(),
                    )
                    .build(),
            )
    })
    .await;
    calls.take();
    let pool = CognitoPool::connect(client.clone(), pool_id.clone(), CognitoOptions::default())
        .await
        .unwrap();
    assert_eq!(calls.take(), counts(&[("DescribeUserPool", 1)]));
    let d = pool.description();
    assert_eq!(d.user_pool_id, pool_id);
    assert!(d.case_sensitive, "no UsernameConfiguration: case sensitive");
    assert_eq!(d.alias_attributes, ["email", "phone_number"]);
    assert!(d.username_attributes.is_empty());
    let policy = d.password_policy.unwrap();
    assert_eq!(policy.minimum_length, 12);
    assert!(policy.require_uppercase && !policy.require_numbers && !policy.require_symbols);
    assert_eq!(
        d.recovery,
        Some(AccountRecovery::Ordered(vec![
            DeliveryMedium::Email,
            DeliveryMedium::Sms
        ]))
    );
    assert_eq!(d.mfa_configuration.as_deref(), Some("OFF"));

    let missing = CognitoPool::connect(
        client,
        "us-east-1_doesnotexist".into(),
        CognitoOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(missing, StoreError::Unavailable(ref d) if d.contains("ResourceNotFoundException")),
        "{missing:?}"
    );
}

// ---------------------------------------------------------------- the use cases on the pool

#[tokio::test]
async fn a_reset_changes_the_pools_password_and_ends_every_session() {
    let f = fixture(aliases_email_and_phone, CognitoOptions::default()).await;
    f.add("jane", &JANE, Some(OLD_PASSWORD)).await;
    let old_session = f.sign_in("jane", OLD_PASSWORD).await.unwrap();
    assert!(!old_session.is_empty());
    let (service, inbox) = f.service(PreventUserExistenceErrors::Enabled, None);
    f.calls.take();

    let sent = service.ask("jane", T0).await.unwrap();
    assert_eq!(sent.code_delivery_details.destination, "j***@e***.com");
    assert_eq!(
        f.calls.take(),
        counts(&[("AdminGetUser", 1), ("DescribeUserPoolClient", 1)]),
        "the client is described on its first request only"
    );
    service.ask("jane", T0.plus(1)).await.unwrap();
    assert_eq!(f.calls.take(), counts(&[("AdminGetUser", 1)]));
    let code = inbox.last_code("jane@example.com");

    service
        .reset("jane", &code, PASSWORD, T0.plus(2))
        .await
        .unwrap();
    assert_eq!(
        f.calls.take(),
        counts(&[
            ("AdminGetUser", 1),
            ("AdminSetUserPassword", 1),
            ("AdminUserGlobalSignOut", 1)
        ])
    );

    assert!(f.sign_in("jane", PASSWORD).await.is_ok());
    assert_eq!(
        f.sign_in("jane", OLD_PASSWORD).await,
        Err("NotAuthorizedException".to_string())
    );
    assert_eq!(
        f.refresh(&old_session).await,
        Err("NotAuthorizedException".to_string()),
        "a refresh token from before the reset is revoked"
    );
    let user = f.pool.find_user_for_test("jane").await;
    assert_eq!(user.status, UserStatus::Confirmed);
    // Single use: the spent code is told to request a new one.
    assert_eq!(
        service
            .reset("jane", &code, "An0ther-Passw0rd!", T0.plus(3))
            .await,
        Err(CognitoError::ExpiredCode)
    );
}

#[tokio::test]
async fn a_code_asked_for_by_alias_is_confirmed_by_any_login_of_the_user() {
    let f = fixture(aliases_email_and_phone, CognitoOptions::default()).await;
    f.add("jane", &JANE, Some(OLD_PASSWORD)).await;
    let (service, inbox) = f.service(PreventUserExistenceErrors::Enabled, None);
    service.ask("+12065550142", T0).await.unwrap();
    // The pool's recovery setting: verified email first, whatever login was typed.
    let code = inbox.last_code("jane@example.com");
    service
        .reset("jane@example.com", &code, PASSWORD, T0.plus(1))
        .await
        .unwrap();
    assert!(f.sign_in("jane", PASSWORD).await.is_ok());
}

#[tokio::test]
async fn without_sign_out_moto_keeps_the_old_refresh_token() {
    let f = fixture(
        |b| b,
        CognitoOptions {
            sign_out_on_reset: false,
            ..CognitoOptions::default()
        },
    )
    .await;
    f.add("jane", &JANE, Some(OLD_PASSWORD)).await;
    let old_session = f.sign_in("jane", OLD_PASSWORD).await.unwrap();
    let (service, inbox) = f.service(PreventUserExistenceErrors::Enabled, None);
    service.ask("jane", T0).await.unwrap();
    let code = inbox.last_code("jane@example.com");
    f.calls.take();
    service
        .reset("jane", &code, PASSWORD, T0.plus(1))
        .await
        .unwrap();
    assert_eq!(
        f.calls.take(),
        counts(&[("AdminGetUser", 1), ("AdminSetUserPassword", 1)])
    );
    // moto revokes refresh tokens only on a global sign-out, not on a password change: the
    // revocation in the test above is this adapter's doing.
    assert_eq!(f.refresh(&old_session).await, Ok(()));
}

#[tokio::test]
async fn each_refusal_against_the_pool() {
    let f = fixture(|b| b, CognitoOptions::default()).await;
    f.add("dora", &JANE, Some(OLD_PASSWORD)).await;
    f.disable("dora").await;
    f.add("fred", &JANE, None).await;
    f.add(
        "sam",
        &[
            ("email", "sam@example.net"),
            ("email_verified", "false"),
            ("phone_number", "+13125550199"),
            ("phone_number_verified", "false"),
        ],
        Some(OLD_PASSWORD),
    )
    .await;
    // Phone verified, but it is the SMS MFA channel: it cannot also recover the account.
    f.add(
        "mia",
        &[
            ("phone_number", "+13125550100"),
            ("phone_number_verified", "true"),
        ],
        Some(OLD_PASSWORD),
    )
    .await;
    f.prefer_sms_mfa("mia").await;

    let (legacy, legacy_inbox) = f.service(PreventUserExistenceErrors::Legacy, None);
    let refused = |user: &'static str| {
        let legacy = &legacy;
        async move { legacy.ask(user, T0).await.unwrap_err() }
    };
    let e = refused("dora").await;
    assert_eq!(
        (e.kind(), e.to_string().as_str()),
        ("NotAuthorizedException", "User is disabled.")
    );
    let e = refused("fred").await;
    assert_eq!(
        (e.kind(), e.to_string().as_str()),
        (
            "NotAuthorizedException",
            "User password cannot be reset in the current state."
        )
    );
    let no_channel = "Cannot reset password for the user as there is no registered/verified email or phone_number";
    for user in ["sam", "mia"] {
        let e = refused(user).await;
        assert_eq!(
            (e.kind(), e.to_string().as_str()),
            ("InvalidParameterException", no_channel),
            "{user}"
        );
    }
    assert_eq!(refused("nobody").await, CognitoError::UserNotFound);
    assert_eq!(legacy_inbox.count(), 0);

    // ENABLED: the same users, FORCE_CHANGE_PASSWORD (fred) included, get a simulated answer,
    // nothing is sent, and Confirm answers them as it answers an unknown login.
    let (enabled, enabled_inbox) = f.service(PreventUserExistenceErrors::Enabled, None);
    for user in ["dora", "sam", "mia", "fred", "nobody"] {
        enabled
            .ask(user, T0)
            .await
            .unwrap_or_else(|e| panic!("{user}: {e:?}"));
    }
    assert_eq!(enabled_inbox.count(), 0);
    for user in ["fred", "nobody"] {
        assert_eq!(
            enabled.reset(user, "123456", PASSWORD, T0).await,
            Err(CognitoError::CodeMismatch),
            "{user}"
        );
    }
}

#[tokio::test]
async fn cognitos_password_policy_refusal_keeps_the_code() {
    let f = fixture(
        |b| {
            b.policies(
                UserPoolPolicyType::builder()
                    .password_policy(
                        PasswordPolicyType::builder()
                            .minimum_length(16)
                            .require_uppercase(true)
                            .require_lowercase(true)
                            .require_numbers(true)
                            .require_symbols(true)
                            .build(),
                    )
                    .build(),
            )
        },
        CognitoOptions::default(),
    )
    .await;
    f.add("jane", &JANE, Some("Legacy-Passw0rd!-long")).await;
    // The service's own policy (8) lets PASSWORD through; the pool's (16) does not.
    let (service, inbox) = f.service(PreventUserExistenceErrors::Enabled, None);
    service.ask("jane", T0).await.unwrap();
    let code = inbox.last_code("jane@example.com");
    let e = service
        .reset("jane", &code, PASSWORD, T0.plus(1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "InvalidPasswordException");
    // moto's message has no "Password does not conform to policy: " prefix; the use case adds it.
    assert_eq!(
        e.to_string(),
        "Password does not conform to policy: The provided password does not confirm to the configured password policy"
    );
    assert!(f.sign_in("jane", "Legacy-Passw0rd!-long").await.is_ok());
    service
        .reset("jane", &code, "A-much-L0nger-Passw0rd", T0.plus(2))
        .await
        .unwrap();
    assert!(f.sign_in("jane", "A-much-L0nger-Passw0rd").await.is_ok());
}

#[tokio::test]
async fn the_app_client_is_the_pools_own() {
    let f = fixture(|b| b, CognitoOptions::default()).await;
    f.add("jane", &JANE, Some(OLD_PASSWORD)).await;
    let (secret_app, secret) = app_client(&f.client, &f.pool_id, true).await;
    let secret = secret.unwrap();
    let (service, inbox) = f.service(PreventUserExistenceErrors::Enabled, None);
    f.calls.take();

    let e = service
        .forgot_at(&forgot("unknownclient123", "jane"), T0, &mut rng())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "ResourceNotFoundException");
    let e = service
        .forgot_at(&forgot("unknownclient123", "jane"), T0, &mut rng())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "ResourceNotFoundException");
    // Each request also looks the user up, beside the caller's window (issue 21).
    assert_eq!(
        f.calls.take(),
        counts(&[("AdminGetUser", 2), ("DescribeUserPoolClient", 1)]),
        "a miss is believed until client_miss_recheck"
    );

    let mut request = forgot(&secret_app, "jane");
    let e = service
        .forgot_at(&request, T0, &mut rng())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "NotAuthorizedException", "no SecretHash");
    request.secret_hash = Some(secret_hash::compute(&secret, "jane", &f.app).unwrap());
    let e = service
        .forgot_at(&request, T0, &mut rng())
        .await
        .unwrap_err();
    assert_eq!(
        e.kind(),
        "NotAuthorizedException",
        "another client's SecretHash"
    );
    request.secret_hash = Some(secret_hash::compute(&secret, "jane", &secret_app).unwrap());
    service.forgot_at(&request, T0, &mut rng()).await.unwrap();
    assert_eq!(inbox.count(), 1);
    assert_eq!(
        f.calls.take(),
        counts(&[("AdminGetUser", 3), ("DescribeUserPoolClient", 1)]),
        "a found client is described once"
    );

    let found = AppClients::find(&*f.pool, &secret_app)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.client_secret.as_deref(), Some(secret.as_str()));
    assert!(
        !format!("{found:?}").contains(&secret),
        "the secret is never printed"
    );
    assert_eq!(
        AppClients::find(&*f.pool, &f.app)
            .await
            .unwrap()
            .unwrap()
            .client_secret,
        None
    );
}

#[tokio::test]
async fn an_unknown_client_is_asked_again_after_the_recheck_interval() {
    let f = fixture(
        |b| b,
        CognitoOptions {
            client_miss_recheck: Duration::ZERO,
            ..CognitoOptions::default()
        },
    )
    .await;
    for _ in 0..2 {
        assert_eq!(
            AppClients::find(&*f.pool, "unknownclient123")
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(f.calls.take(), counts(&[("DescribeUserPoolClient", 2)]));
}

// ---------------------------------------------------------------- migration into the pool

fn migration_source(users: &[(&str, &str)]) -> Arc<dyn MigrationSource> {
    Arc::new(MemorySourceUsers::new(users.iter().map(
        |(username, email)| {
            let mut attributes = Attributes::default();
            attributes.set("email", *email);
            attributes.set("email_verified", "true");
            attributes.set("given_name", "Leo");
            SourceUser {
                username: username.to_string(),
                attributes,
                password_hash: None,
            }
        },
    )))
}

#[tokio::test]
async fn a_source_user_is_created_in_the_pool_resets_and_signs_in() {
    let f = fixture(|b| b, CognitoOptions::default()).await;
    let (service, inbox) = f.service(
        PreventUserExistenceErrors::Enabled,
        Some(migration_source(&[("leo", "leo@example.com")])),
    );
    f.calls.take();
    service.ask("leo", T0).await.unwrap();
    let code = inbox.last_code("leo@example.com");
    // The lookup that missed, the creation with a password nobody knows, the user read back.
    assert_eq!(
        f.calls.take(),
        counts(&[
            ("AdminCreateUser", 1),
            ("AdminGetUser", 2),
            ("AdminSetUserPassword", 1),
            ("DescribeUserPoolClient", 1)
        ])
    );

    let leo = f
        .client
        .admin_get_user()
        .user_pool_id(&f.pool_id)
        .username("leo")
        .send()
        .await
        .unwrap();
    assert_eq!(
        leo.user_status(),
        Some(&UserStatusType::Confirmed),
        "a password nobody knows"
    );
    let attribute = |name: &str| {
        leo.user_attributes()
            .iter()
            .find(|a| a.name() == name)
            .and_then(|a| a.value())
            .map(str::to_string)
    };
    assert_eq!(attribute("email").as_deref(), Some("leo@example.com"));
    assert_eq!(attribute("email_verified").as_deref(), Some("true"));
    assert_eq!(attribute("given_name").as_deref(), Some("Leo"));
    assert!(attribute("sub").is_some());

    service
        .reset("leo", &code, PASSWORD, T0.plus(1))
        .await
        .unwrap();
    assert!(f.sign_in("leo", PASSWORD).await.is_ok());
    // A second request finds the user in the pool: no second migration.
    service.ask("leo", T0.plus(2)).await.unwrap();
    assert_eq!(f.calls.take().get("AdminCreateUser"), None);
}

#[tokio::test]
async fn a_source_user_migrates_into_an_email_username_pool() {
    let f = fixture(
        |b| b.username_attributes(UsernameAttributeType::Email),
        CognitoOptions::default(),
    )
    .await;
    let (service, inbox) = f.service(
        PreventUserExistenceErrors::Enabled,
        Some(migration_source(&[("lea", "lea@example.com")])),
    );
    service.ask("lea@example.com", T0).await.unwrap();
    let code = inbox.last_code("lea@example.com");
    let lea = f.pool.find_user_for_test("lea@example.com").await;
    assert_ne!(
        lea.username, "lea@example.com",
        "the pool assigned a UUID username"
    );
    service
        .reset("lea@example.com", &code, PASSWORD, T0.plus(1))
        .await
        .unwrap();
    assert!(f.sign_in("lea@example.com", PASSWORD).await.is_ok());
}

#[tokio::test]
async fn a_source_user_known_by_email_migrates_into_an_alias_pool() {
    let f = fixture(aliases_email_and_phone, CognitoOptions::default()).await;
    let (service, inbox) = f.service(
        PreventUserExistenceErrors::Enabled,
        Some(migration_source(&[("lia", "lia@example.com")])),
    );
    service.ask("lia@example.com", T0).await.unwrap();
    let code = inbox.last_code("lia@example.com");
    // Asked by the email alias, created under the source's username, as Cognito's trigger names
    // the user it creates: AdminGetUser with the old username finds them.
    let lia = f.pool.find_user_for_test("lia@example.com").await;
    assert_eq!(lia.username, "lia");
    let by_name = f
        .client
        .admin_get_user()
        .user_pool_id(&f.pool_id)
        .username("lia")
        .send()
        .await
        .unwrap();
    assert_eq!(by_name.username(), "lia");
    service
        .reset("lia@example.com", &code, PASSWORD, T0.plus(1))
        .await
        .unwrap();
    assert!(f.sign_in("lia", PASSWORD).await.is_ok());
}

// ---------------------------------------------------------------- faults (aws-smithy-mocks)

fn wire_code(code: &str) -> aws_sdk_cognitoidentityprovider::error::ErrorMetadata {
    aws_sdk_cognitoidentityprovider::error::ErrorMetadata::builder()
        .code(code)
        .build()
}

fn mocked_pool_description() -> aws_smithy_mocks::Rule {
    mock!(Client::describe_user_pool).then_output(|| {
        DescribeUserPoolOutput::builder()
            .user_pool(
                UserPoolType::builder()
                    .id("us-east-1_mocked")
                    .account_recovery_setting(recovery_email_then_phone())
                    .build(),
            )
            .build()
    })
}

fn mocked_jane(username: String, sub: String) -> aws_smithy_mocks::Rule {
    mock!(Client::admin_get_user).then_output(move || {
        AdminGetUserOutput::builder()
            .username(&username)
            .enabled(true)
            .user_status(UserStatusType::Confirmed)
            .user_attributes(attr("sub", &sub))
            .user_attributes(attr("email", "jane@example.com"))
            .user_attributes(attr("email_verified", "true"))
            .build()
            .unwrap()
    })
}

#[tokio::test]
async fn a_throttled_password_change_keeps_the_code_and_the_password() {
    let f = fixture(|b| b, CognitoOptions::default()).await;
    f.add("jane", &JANE, Some(OLD_PASSWORD)).await;
    let codes = Arc::new(MemoryCodes::new());
    let (real, inbox) = f.service_with(codes.clone(), PreventUserExistenceErrors::Enabled, None);
    real.ask("jane", T0).await.unwrap();
    let code = inbox.last_code("jane@example.com");

    // The same code store and key, with a pool whose AdminSetUserPassword is throttled.
    let jane = f.pool.find_user_for_test("jane").await;
    let app = f.app.clone();
    let throttled = mock!(Client::admin_set_user_password)
        .sequence()
        .error(|| {
            AdminSetUserPasswordError::TooManyRequestsException(
                TooManyRequestsException::builder()
                    .message("Too many requests")
                    .meta(wire_code("TooManyRequestsException"))
                    .build(),
            )
        })
        .repeatedly()
        .build();
    let described = mock!(Client::describe_user_pool_client).then_output(move || {
        DescribeUserPoolClientOutput::builder()
            .user_pool_client(UserPoolClientType::builder().client_id(&app).build())
            .build()
    });
    let mocked: Client = mock_client!(
        aws_sdk_cognitoidentityprovider,
        RuleMode::MatchAny,
        [
            &mocked_pool_description(),
            &described,
            &mocked_jane(jane.username.clone(), jane.sub.clone()),
            &throttled
        ]
    );
    let pool = Arc::new(
        CognitoPool::connect(mocked, "us-east-1_mocked".into(), CognitoOptions::default())
            .await
            .unwrap(),
    );
    let faulty = f.asking(service_on(pool, codes, PreventUserExistenceErrors::Enabled, None).0);
    let e = faulty
        .reset("jane", &code, PASSWORD, T0.plus(1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "TooManyRequestsException");
    assert_eq!(
        throttled.num_calls(),
        1,
        "one attempt: the throttle answers it"
    );

    assert!(f.sign_in("jane", OLD_PASSWORD).await.is_ok(), "unchanged");
    real.reset("jane", &code, PASSWORD, T0.plus(2))
        .await
        .unwrap();
    assert!(
        f.sign_in("jane", PASSWORD).await.is_ok(),
        "the code still worked"
    );
}

#[tokio::test]
async fn a_sign_out_that_keeps_failing_fails_the_reset_within_its_deadline() {
    let changed = mock!(Client::admin_set_user_password).then_output(|| {
        aws_sdk_cognitoidentityprovider::operation::admin_set_user_password::AdminSetUserPasswordOutput::builder().build()
    });
    let sign_out_failed = mock!(Client::admin_user_global_sign_out)
        .sequence()
        .error(|| {
            AdminUserGlobalSignOutError::InternalErrorException(
                InternalErrorException::builder().message("boom").build(),
            )
        })
        .repeatedly()
        .build();
    let mocked: Client = mock_client!(
        aws_sdk_cognitoidentityprovider,
        RuleMode::MatchAny,
        [&mocked_pool_description(), &changed, &sign_out_failed]
    );
    let options = CognitoOptions {
        sign_out_deadline: Duration::from_millis(600),
        ..CognitoOptions::default()
    };
    let pool = CognitoPool::connect(mocked, "us-east-1_mocked".into(), options)
        .await
        .unwrap();
    pool.set_password("jane", PASSWORD).await.unwrap();
    let started = std::time::Instant::now();
    // The use case answers SessionsNotEnded for it, never a 200 (confirm_faults holds that end to
    // end): here, the adapter's part, a failure after retries within the deadline.
    assert!(
        pool.end_sessions("jane").await.is_err(),
        "never a success after a failed sign-out"
    );
    assert!(sign_out_failed.num_calls() >= 2, "retried");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn faults_become_store_errors() {
    let throttled_lookup = mock!(Client::admin_get_user)
        .sequence()
        .error(|| {
            aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserError::TooManyRequestsException(
                TooManyRequestsException::builder()
                    .meta(wire_code("TooManyRequestsException"))
                    .build(),
            )
        })
        .repeatedly()
        .build();
    let refused = mock!(Client::admin_set_user_password).then_error(|| {
        AdminSetUserPasswordError::InvalidPasswordException(
            aws_sdk_cognitoidentityprovider::types::error::InvalidPasswordException::builder()
                .message(
                    "Password does not conform to policy: Password must have symbol characters",
                )
                .build(),
        )
    });
    let broken = mock!(Client::describe_user_pool_client).then_error(|| {
        aws_sdk_cognitoidentityprovider::operation::describe_user_pool_client::DescribeUserPoolClientError::InternalErrorException(
            InternalErrorException::builder().message("boom").build(),
        )
    });
    let mocked: Client = mock_client!(
        aws_sdk_cognitoidentityprovider,
        RuleMode::MatchAny,
        [
            &mocked_pool_description(),
            &throttled_lookup,
            &refused,
            &broken
        ]
    );
    let pool = CognitoPool::connect(mocked, "us-east-1_mocked".into(), CognitoOptions::default())
        .await
        .unwrap();
    assert_eq!(
        UserDirectory::find(&pool, "jane").await,
        Err(StoreError::Throttled)
    );
    assert_eq!(
        pool.set_password("jane", "weak").await,
        Err(PasswordChangeError::Refused(
            "Password must have symbol characters".into()
        ))
    );
    assert!(matches!(
        AppClients::find(&pool, "someclient").await,
        Err(StoreError::Unavailable(_))
    ));
}

mod confirm_faults;
mod shared_clients;

/// Test shorthand: the user `login` names, which must exist.
trait FindForTest {
    async fn find_user_for_test(&self, login: &str) -> password_reset::domain::user::User;
}

impl FindForTest for CognitoPool {
    async fn find_user_for_test(&self, login: &str) -> password_reset::domain::user::User {
        UserDirectory::find(self, login)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{login} not found"))
    }
}
