//! The service assembled on the embedded adapters: memory store and outbox.

use std::sync::Arc;

use rand::CryptoRng;

use crate::adapters::codes::memory::MemoryCodes;
use crate::adapters::delivery::outbox::Outbox;
use crate::adapters::directory::fixed_app_clients::FixedAppClients;
use crate::adapters::directory::memory::MemoryDirectory;
use crate::config::Settings;
use crate::domain::code::CodeKey;
use crate::usecases::{Ports, ResetService};

pub struct Embedded {
    pub service: ResetService,
    pub users: Arc<MemoryDirectory>,
    pub codes: Arc<MemoryCodes>,
    pub outbox: Arc<Outbox>,
}

/// `print`: whether the outbox prints each message to stdout (the local runner does).
pub fn assemble<R: CryptoRng + ?Sized>(settings: &Settings, rng: &mut R, print: bool) -> Embedded {
    let users = Arc::new(MemoryDirectory::with_users(settings.users.iter().cloned()));
    let codes = Arc::new(MemoryCodes::new());
    let outbox = Arc::new(Outbox::new(
        settings.outbox.path.clone(),
        settings.outbox.verified_destinations.clone(),
        print,
    ));
    let key = settings
        .key
        .clone()
        .unwrap_or_else(|| CodeKey::generate(rng));
    let mut service = ResetService::new(
        settings.pool.clone(),
        key,
        Ports {
            users: users.clone(),
            clients: Arc::new(FixedAppClients::new(settings.pool.clients.clone())),
            codes: codes.clone(),
            email: outbox.clone(),
            sms: outbox.clone(),
            migration_source: settings.source_users.clone().map(|users| {
                Arc::new(crate::adapters::migration_source::memory::MemorySourceUsers::new(users))
                    as Arc<dyn crate::ports::MigrationSource>
            }),
        },
    );
    // The outbox takes no time: nothing to wait out before the first delivery.
    service.timing = crate::usecases::DeliveryTiming::unseeded();
    Embedded {
        service,
        users,
        codes,
        outbox,
    }
}
