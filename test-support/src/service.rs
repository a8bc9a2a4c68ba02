//! The reset service assembled by hand for the use-case suites: the demo pool's settings, a fixed
//! code key, the directory and code store each suite chooses, deliveries recorded.

use std::sync::Arc;

use password_reset::ResetService;
use password_reset::adapters::migration_source::memory::MemorySourceUsers;
use password_reset::assembly::{Chosen, EmbeddedAdapters, compose};
use password_reset::config::Settings;
use password_reset::domain::code::CodeKey;
use password_reset::ports::{CodeStore, MigrationSource, UserDirectory};

use crate::inbox::Inbox;

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
