//! The one composition root: directory × code store × delivery × migration source, for the Lambda
//! functions and the local runner alike. Settings are read first (`Wiring`, a bad one named before
//! any client exists); the AWS SDK configuration is then loaded once, only when an AWS adapter is
//! chosen, and each port's builder (beside its adapters) makes its adapter. `compose` puts every
//! port no adapter was chosen for on the embedded ones (memory stores, outbox), for `assemble` and
//! for `crate::embedded` alike.

use std::sync::Arc;

use rand::CryptoRng;

use crate::adapters::codes::KeySource;
use crate::adapters::codes::memory::MemoryCodes;
use crate::adapters::delivery::Senders;
use crate::adapters::delivery::outbox::Outbox;
use crate::adapters::directory::fixed_app_clients::FixedAppClients;
use crate::adapters::directory::memory::MemoryDirectory;
use crate::adapters::migration_source::memory::MemorySourceUsers;
use crate::adapters::{
    breached, codes, delivery, directory, migration_source, owed_sign_outs, triggers,
};
use crate::aws_sdk::Aws;
use crate::config::env;
use crate::config::{ConfigError, Settings};
use crate::domain::code::CodeKeys;
use crate::domain::delivery::DeliveryMedium;
use crate::domain::operation::Operation;
use crate::domain::pool::PoolSettings;
use crate::entry::edge::OriginVerifier;
use crate::ports::{
    self, AppClients, BreachedPasswords, ClaimWithPassword, CodeStore, MigrationSource,
    OwedSignOuts, UserDirectory,
};
use crate::usecases::{DeliveryTiming, Ports, ResetService};

pub use crate::config::wiring::{CodeStoreKind, DeliveryKind, DirectoryKind, Wiring};

/// What the assembly built: the service, and the embedded parts a runner or a test looks into.
pub struct Assembled {
    pub service: ResetService,
    /// The embedded directory, when it serves.
    pub memory_users: Option<Arc<MemoryDirectory>>,
    /// The embedded code store, when it serves.
    pub memory_codes: Option<Arc<MemoryCodes>>,
    /// The outbox, when it is the delivery.
    pub outbox: Option<Arc<Outbox>>,
    /// The origin secret CloudFront sends, when the API is behind it (`ORIGIN_VERIFY_SECRET_ARN`).
    pub origin: Option<OriginVerifier>,
}

/// Builds the service `wiring` describes, for a process serving `serves`. The start-up reads
/// that do not wait on each other (the code keys' secret, the user pool's description, the
/// sending accounts the process will need) run at once.
pub async fn assemble<R: CryptoRng + ?Sized>(
    settings: &Settings,
    wiring: &Wiring,
    serves: &[Operation],
    rng: &mut R,
) -> Result<Assembled, ConfigError> {
    let keys = KeySource::choose(settings, wiring, rng)?;
    let aws = Aws::load(wiring.needs_aws()).await;
    let senders = delivery::build(wiring, &aws)?;
    let media = settings.media_sent(serves, wiring.directory.is_user_pool());
    let (key, directory, (), origin) = tokio::join!(
        keys.read(&aws),
        directory::build(settings, wiring, &aws),
        prepare_senders(senders.as_ref(), &media),
        origin_verifier(wiring, &aws),
    );
    let (key, (directory, pool), origin) = (key?, directory?, origin?);
    directory.share_clients_under(&key);
    let pool_triggers = triggers::build(&directory.triggers, wiring, serves, &aws)?;
    let chosen = Chosen {
        users: directory.users,
        clients: directory.clients,
        codes: codes::build(wiring, &pool.codes, &aws)?,
        claims: codes::build_claims(wiring, &pool.codes, &aws)?,
        owed_sign_outs: owed_sign_outs::build(wiring, &aws)?,
        senders,
        migration_source: migration_source::build(wiring, &aws)?,
        breached: breached::build(wiring)?,
    };
    tracing::info!(
        directory = ?wiring.directory,
        codes = ?wiring.codes,
        delivery = ?wiring.delivery,
        migration = chosen.migration_source.is_some() || settings.source_users.is_some(),
        pwned_passwords = chosen.breached.is_some(),
        "service assembled"
    );
    let embedded = EmbeddedAdapters::new(settings, wiring.print_outbox);
    let mut service = compose(settings, pool, key, chosen, &embedded);
    service.triggers = pool_triggers;
    Ok(Assembled {
        service,
        memory_users: (wiring.directory == DirectoryKind::Memory).then_some(embedded.users),
        memory_codes: (wiring.codes == CodeStoreKind::Memory).then_some(embedded.codes),
        outbox: (wiring.delivery == DeliveryKind::Outbox).then_some(embedded.outbox),
        origin,
    })
}

/// The origin secret's verifier, when `ORIGIN_VERIFY_SECRET_ARN` names one (`Wiring` refuses it
/// in a build without `secrets`).
#[cfg_attr(not(feature = "secrets"), allow(unused_variables))]
async fn origin_verifier(
    wiring: &Wiring,
    aws: &Aws,
) -> Result<Option<OriginVerifier>, ConfigError> {
    match &wiring.origin_verify_secret_arn {
        #[cfg(feature = "secrets")]
        Some(arn) => {
            let secret = crate::adapters::origin_secret::read(aws, arn).await?;
            OriginVerifier::new(&secret).map(Some).ok_or_else(|| {
                ConfigError::new(env::ORIGIN_VERIFY_SECRET_ARN, "the secret is blank")
            })
        }
        _ => Ok(None),
    }
}

/// Reads what each chosen sender of `media` needs before its first request (`ports::prepare`).
async fn prepare_senders(senders: Option<&Senders>, media: &[DeliveryMedium]) {
    if let Some((email, sms)) = senders {
        ports::prepare(media, email.as_ref(), sms.as_ref()).await;
    }
}

/// The adapters chosen for each port; `None`: the embedded one.
#[derive(Default)]
pub struct Chosen {
    pub users: Option<Arc<dyn UserDirectory>>,
    /// `None`: the settings' app clients.
    pub clients: Option<Arc<dyn AppClients>>,
    pub codes: Option<Arc<dyn CodeStore>>,
    pub senders: Option<Senders>,
    /// `None`: the settings' source users, if any, from memory.
    pub migration_source: Option<Arc<dyn MigrationSource>>,
    /// `None`: no breached-password lookup (`PWNED_PASSWORDS` off).
    pub breached: Option<Arc<dyn BreachedPasswords>>,
    /// `None`: the claim and the password change are two writes (`ports::ClaimWithPassword`).
    pub claims: Option<Arc<dyn ClaimWithPassword>>,
    /// `None`: a failed sign-out after a reset fails its answer (`ports::OwedSignOuts`).
    pub owed_sign_outs: Option<Arc<dyn OwedSignOuts>>,
}

/// The embedded adapters: the memory directory, seeded with the settings' users, the memory code
/// store and the outbox. All are cheap and touch nothing until used, so they are built whatever
/// the wiring.
pub struct EmbeddedAdapters {
    pub users: Arc<MemoryDirectory>,
    pub codes: Arc<MemoryCodes>,
    pub outbox: Arc<Outbox>,
}

impl EmbeddedAdapters {
    /// `print`: whether the outbox prints each message to stdout (the local runner does).
    pub fn new(settings: &Settings, print: bool) -> Self {
        Self {
            users: Arc::new(MemoryDirectory::with_users(settings.users.iter().cloned())),
            codes: Arc::new(MemoryCodes::new()),
            outbox: Arc::new(Outbox::new(
                settings.outbox.path.clone(),
                settings.outbox.verified_destinations.clone(),
                print,
            )),
        }
    }
}

/// The service on the adapters `chosen`, every port left open running on `embedded`: the one
/// place the embedded adapters are wired, for `assemble` and, synchronously, for
/// `crate::embedded`.
pub fn compose(
    settings: &Settings,
    pool: PoolSettings,
    key: CodeKeys,
    chosen: Chosen,
    embedded: &EmbeddedAdapters,
) -> ResetService {
    let on_outbox = chosen.senders.is_none();
    let (email, sms): Senders = chosen
        .senders
        .unwrap_or_else(|| (embedded.outbox.clone(), embedded.outbox.clone()));
    let clients = chosen
        .clients
        .unwrap_or_else(|| Arc::new(FixedAppClients::new(pool.clients.clone())));
    let ports = Ports {
        users: chosen.users.unwrap_or_else(|| embedded.users.clone()),
        codes: chosen.codes.unwrap_or_else(|| embedded.codes.clone()),
        migration_source: chosen.migration_source.or_else(|| {
            let users = settings.source_users.clone()?;
            Some(Arc::new(MemorySourceUsers::new(users)))
        }),
        clients,
        email,
        sms,
        breached: chosen.breached,
        claims: chosen.claims,
        owed_sign_outs: chosen.owed_sign_outs,
    };
    let mut service = ResetService::new(pool, key, ports);
    if on_outbox {
        // The outbox takes no time: nothing to wait out before the first delivery.
        service.timing = DeliveryTiming::unseeded();
    }
    service
}

/// The Lambda function's service for `operation`, the wiring it was built with and the origin
/// secret's verifier when CloudFront fronts the API: settings and wiring from the process
/// environment.
pub async fn service_from_env(
    operation: Operation,
) -> Result<(ResetService, Wiring, Option<OriginVerifier>), ConfigError> {
    let settings = Settings::from_env(env::process)?;
    let wiring = Wiring::from_env(&env::process)?;
    let assembled = assemble(&settings, &wiring, &[operation], &mut crate::request_rng()).await?;
    Ok((assembled.service, wiring, assembled.origin))
}
