//! The service assembled on the embedded adapters: memory store and outbox.

use std::sync::Arc;

use rand::CryptoRng;

use crate::adapters::app_clients::FixedAppClients;
use crate::adapters::memory::MemoryStore;
use crate::adapters::outbox::Outbox;
use crate::config::Settings;
use crate::domain::code::CodeKey;
use crate::usecases::{Ports, ResetService};

pub struct Embedded {
    pub service: ResetService,
    pub store: Arc<MemoryStore>,
    pub outbox: Arc<Outbox>,
}

/// `print`: whether the outbox prints each message to stdout (the local runner does).
pub fn assemble<R: CryptoRng + ?Sized>(settings: &Settings, rng: &mut R, print: bool) -> Embedded {
    let store = Arc::new(MemoryStore::with_users(settings.users.iter().cloned()));
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
            users: store.clone(),
            clients: Arc::new(FixedAppClients::new(settings.pool.clients.clone())),
            codes: store.clone(),
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
        store,
        outbox,
    }
}
