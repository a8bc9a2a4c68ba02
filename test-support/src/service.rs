//! The reset service assembled by hand for the use-case suites: the demo pool's settings, a fixed
//! code key, the directory and code store each suite chooses, deliveries recorded.

use std::sync::Arc;

use password_reset::adapters::codes::memory::MemoryCodes;
use password_reset::adapters::directory::memory::MemoryDirectory;
use password_reset::adapters::migration_source::memory::MemorySourceUsers;
use password_reset::assembly::{Chosen, EmbeddedAdapters, compose};
use password_reset::config::Settings;
use password_reset::domain::code::CodeKey;
use password_reset::domain::password;
use password_reset::domain::time::UnixTime;
use password_reset::ports::{CodeStore, MigrationSource, UserDirectory};
use password_reset::{CognitoError, ResetService};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::inbox::Inbox;
use crate::requests::{Operations, confirm, forgot};

/// The bundled demo pool (config/demo-pool.json): its clients, policies, users and source users.
pub fn demo_settings() -> Settings {
    Settings::from_json(include_str!("../../config/demo-pool.json")).expect("demo pool")
}

/// The demo pool's migration source users.
pub fn demo_source_users() -> MemorySourceUsers {
    MemorySourceUsers::new(demo_settings().source_users.unwrap())
}

/// The service on `settings`' pool and app clients, over `users` and `codes`, the code key 32
/// bytes of `key`, every delivery recorded by `inbox`.
pub fn service_on(
    settings: &Settings,
    key: u8,
    users: Arc<dyn UserDirectory>,
    codes: Arc<dyn CodeStore>,
    inbox: Arc<Inbox>,
    migration_source: Option<Arc<dyn MigrationSource>>,
) -> ResetService {
    // The suite names the migration source itself: none is `None`, not the settings' users.
    let settings = Settings {
        source_users: None,
        ..settings.clone()
    };
    let chosen = Chosen {
        users: Some(users),
        clients: None,
        codes: Some(codes),
        senders: Some((inbox.clone(), inbox)),
        migration_source,
        breached: None,
        claims: None,
        owed_sign_outs: None,
    };
    let key = CodeKey::from_bytes(&[key; 32]).unwrap().into();
    compose(
        &settings,
        settings.pool.clone(),
        key,
        chosen,
        &EmbeddedAdapters::new(&settings, false),
    )
}

/// The service on `settings` over the memory directory and code store, what it holds in reach:
/// the use-case suites that drive a reset at a chosen time and look at the stored result.
pub struct MemoryService {
    pub service: ResetService,
    pub users: Arc<MemoryDirectory>,
    pub codes: Arc<MemoryCodes>,
    pub inbox: Arc<Inbox>,
}

impl MemoryService {
    /// `settings`' users in the memory directory, an empty code store, the code key of `5`s.
    pub fn new(settings: &Settings) -> Self {
        let users = Arc::new(MemoryDirectory::with_users(settings.users.clone()));
        let codes = Arc::new(MemoryCodes::new());
        let inbox = Arc::new(Inbox::default());
        let service = service_on(
            settings,
            5,
            users.clone(),
            codes.clone(),
            inbox.clone(),
            None,
        );
        Self {
            service,
            users,
            codes,
            inbox,
        }
    }

    /// ForgotPassword for `login` at `now`: the code sent to `to`.
    pub async fn code_for(&self, login: &str, to: &str, now: UnixTime) -> String {
        self.service
            .forgot_at(&forgot(login), now, &mut StdRng::seed_from_u64(now.0))
            .await
            .unwrap();
        self.inbox.last_code(to)
    }

    /// ConfirmForgotPassword for `login` with `code` and the new `password`, at `now`.
    pub async fn confirm_with(
        &self,
        login: &str,
        code: &str,
        password: &str,
        now: UnixTime,
    ) -> Result<(), CognitoError> {
        let mut request = confirm(login, code);
        request.password = password.into();
        self.service.confirm_at(&request, now).await
    }

    /// Whether `username` now signs in with `password`.
    pub fn password_is(&self, username: &str, password: &str) -> bool {
        let user = self.users.user(username).unwrap();
        user.password_hash
            .is_some_and(|hash| password::verify(password, &hash))
    }
}
