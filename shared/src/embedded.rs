//! The service on the embedded adapters alone (memory directory and code store, outbox), built synchronously for
//! tests and benches: `assembly::compose` with no port chosen.

use std::sync::Arc;

use rand::CryptoRng;

use crate::adapters::codes::memory::MemoryCodes;
use crate::adapters::delivery::outbox::Outbox;
use crate::adapters::directory::memory::MemoryDirectory;
use crate::assembly::{Chosen, EmbeddedAdapters, compose};
use crate::config::Settings;
use crate::domain::code::CodeKeys;
use crate::usecases::ResetService;

pub struct Embedded {
    pub service: ResetService,
    pub users: Arc<MemoryDirectory>,
    pub codes: Arc<MemoryCodes>,
    pub outbox: Arc<Outbox>,
}

/// `print`: whether the outbox prints each message to stdout (the local runner does).
pub fn assemble<R: CryptoRng + ?Sized>(settings: &Settings, rng: &mut R, print: bool) -> Embedded {
    let adapters = EmbeddedAdapters::new(settings, print);
    let key = match &settings.key {
        Some(key) => CodeKeys::from(key.clone()),
        None => CodeKeys::generate(rng),
    };
    let service = compose(
        settings,
        settings.pool.clone(),
        key,
        Chosen::default(),
        &adapters,
    );
    Embedded {
        service,
        users: adapters.users,
        codes: adapters.codes,
        outbox: adapters.outbox,
    }
}
