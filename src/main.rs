//! The local runner: the password-reset workflow as a Cognito-compatible endpoint on your machine.

#[cfg(feature = "aws")]
mod doctor;
mod dynamo;
/// Delivery readiness (`doctor`): SES and SMS sandbox, identities, quotas.
#[cfg(feature = "aws")]
mod readiness;
mod server;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use password_reset::assembly::{CodeStoreKind, DeliveryKind, DirectoryKind, Wiring};
use password_reset::config::Settings;
use password_reset::config::env;
use password_reset::entry::cors::AllowedOrigins;
use password_reset::entry::protocol::Operation;

/// The pool the runner serves when no --config is given.
const DEMO_POOL: &str = include_str!("../config/demo-pool.json");

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Cognito ForgotPassword / ConfirmForgotPassword on your machine"
)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", env = env::RESET_HOST)]
    host: std::net::IpAddr,
    /// Port to listen on (9229 is the port Cognito emulators use).
    #[arg(long, default_value_t = 9229, env = env::RESET_PORT)]
    port: u16,
    /// A pool file (clients, recovery setting, policies, users); the bundled demo pool by default.
    #[arg(long, env = env::RESET_CONFIG)]
    config: Option<PathBuf>,
    /// Where delivered messages are appended as JSON lines (overrides the pool file's Outbox.Path).
    #[arg(long, env = env::RESET_OUTBOX)]
    outbox: Option<PathBuf>,
    /// Where codes and request counts live: `memory` (embedded) or `dynamodb` (the codes table, at
    /// `AWS_ENDPOINT_URL` when set).
    #[arg(long, value_enum, default_value = "memory", env = env::RESET_STORE)]
    store: CodeStoreKind,
    /// Who exists and which password signs in: `memory` (seeded from the pool file), `dynamodb`
    /// (the users table) or `cognito` (a user pool, with --user-pool-id); by default the same as
    /// --store.
    #[arg(long, value_enum, env = env::RESET_DIRECTORY)]
    directory: Option<DirectoryKind>,
    /// The user pool serving as the directory with `--directory cognito`.
    #[arg(long, env = env::USER_POOL_ID)]
    user_pool_id: Option<String>,
    /// The code-hashing key, base64 of at least 32 bytes (overrides the pool file's CodeHashKey);
    /// required with `--store dynamodb`, where codes outlive the process.
    #[arg(long, env = env::CODE_HASH_KEY, hide_env_values = true)]
    code_hash_key: Option<String>,
    #[command(flatten)]
    tables: dynamo::TableArgs,
    /// How codes are delivered: `outbox` (printed and appended to the outbox file) or `aws` (SES v2
    /// and End User Messaging SMS v2, configured by SES_FROM_ADDRESS, SMS_ORIGINATION_IDENTITY...).
    #[arg(long, value_enum, default_value = "outbox", env = env::RESET_DELIVERY)]
    delivery: DeliveryKind,
    /// The origins browser apps may call the endpoint from, comma-separated
    /// (`https://app.example.com,http://localhost:3000`); `*`, the default, allows any, as
    /// Cognito's public endpoint does (the API takes no cookies or credentials).
    #[arg(long, value_delimiter = ',', env = env::RESET_CORS_ORIGINS)]
    cors_origins: Vec<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

impl Cli {
    /// The AWS-backed command asked for, as the user spelled it (`--store` and the others offer
    /// only the kinds this build serves).
    #[cfg_attr(feature = "aws", allow(dead_code))]
    fn aws_mode(&self) -> Option<&'static str> {
        Some(match self.command.as_ref()? {
            Command::CreateTables => "create-tables",
            Command::ImportUsers { .. } => "import-users",
            Command::Doctor => "doctor",
        })
    }

    fn wiring(&self) -> Wiring {
        Wiring {
            directory: self.directory.unwrap_or(DirectoryKind::beside(self.store)),
            codes: self.store,
            delivery: self.delivery,
            users_table: Some(self.tables.users_table.clone()),
            codes_table: Some(self.tables.codes_table.clone()),
            user_pool_id: self.user_pool_id.clone(),
            print_outbox: true,
            ..Wiring::default()
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the users and codes tables (keys, indexes, TTL) and exit.
    CreateTables,
    /// Put the users of a JSON file (a list, or a pool file's "Users") into the users table and exit.
    ImportUsers {
        /// The JSON file.
        file: PathBuf,
    },
    /// Check that SES and SMS can deliver codes (sandbox, identities, quotas) and exit; status 1
    /// when something blocks delivery.
    Doctor,
}

fn load(cli: &Cli) -> Result<Settings, String> {
    let mut settings = match &cli.config {
        Some(path) => Settings::from_file(path),
        // A user pool brings its own clients, users and policies: the demo pool's would shadow them.
        None if cli.directory.is_some_and(DirectoryKind::is_user_pool) => Settings::from_json("{}"),
        None => Settings::from_json(DEMO_POOL),
    }
    .map_err(|e| e.to_string())?;
    if let Some(key) = &cli.code_hash_key {
        settings.key = Some(
            password_reset::config::decode_key(env::CODE_HASH_KEY, key)
                .map_err(|e| e.to_string())?,
        );
    }
    if let Some(path) = &cli.outbox {
        settings.outbox.path = Some(path.clone());
    }
    // A relative outbox path is resolved once, so the path printed is the path written.
    if let Some(path) = settings.outbox.path.as_mut()
        && path.is_relative()
    {
        let cwd = std::env::current_dir().map_err(|e| format!("current directory: {e}"))?;
        *path = cwd.join(&*path);
    }
    Ok(settings)
}

/// RUST_LOG (else INFO), with the dependencies capped as in the functions (`log_caps`): the SDK's
/// request and response bodies never reach the log, whatever RUST_LOG asks.
fn init_logs() {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let levels = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let caps = password_reset::log_caps::CAPS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, (target, cap)| t.with_target(*target, *cap),
    );
    tracing_subscriber::registry()
        .with(levels)
        .with(caps)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .init();
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    init_logs();
    let cli = Cli::parse();
    #[cfg(not(feature = "aws"))]
    if let Some(mode) = cli.aws_mode() {
        eprintln!(
            "error: {mode} is an AWS-backed mode, and this runner was built without them; \
             build it with the `aws` feature: cargo run --release --features aws -- {mode}"
        );
        return std::process::ExitCode::from(2);
    }
    #[cfg(feature = "aws")]
    if let Some(command) = &cli.command {
        let result = match command {
            Command::CreateTables => dynamo::create_tables(&cli.tables).await,
            Command::ImportUsers { file } => dynamo::import_users(&cli.tables, file).await,
            Command::Doctor => return doctor::run().await,
        };
        return match result {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::ExitCode::from(1)
            }
        };
    }
    let settings = match load(&cli) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let origins =
        match AllowedOrigins::parse("--cors-origins (RESET_CORS_ORIGINS)", &cli.cors_origins) {
            Ok(origins) => origins,
            Err(e) => {
                eprintln!("error: {e}");
                return std::process::ExitCode::from(2);
            }
        };
    let mut wiring = cli.wiring();
    if let Err(e) = wiring.read_adapter_settings(&env::process) {
        eprintln!("error: {e}");
        return std::process::ExitCode::from(2);
    }
    let assembled = match password_reset::assembly::assemble(
        &settings,
        &wiring,
        &[Operation::ForgotPassword, Operation::ConfirmForgotPassword],
        &mut password_reset::request_rng(),
    )
    .await
    {
        Ok(assembled) => assembled,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let addr = SocketAddr::new(cli.host, cli.port);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let addr = listener.local_addr().unwrap_or(addr);
    let pool = &assembled.service.pool;
    match wiring.directory {
        DirectoryKind::Memory => {}
        #[cfg(feature = "aws")]
        DirectoryKind::Dynamodb => println!("directory: DynamoDB table {}", cli.tables.users_table),
        #[cfg(feature = "aws")]
        DirectoryKind::Cognito => println!("directory: Cognito user pool {}", pool.user_pool_id),
    }
    if wiring.codes != CodeStoreKind::Memory {
        println!("store: DynamoDB table {}", cli.tables.codes_table);
    }
    println!(
        "Cognito password reset on http://{addr} (user pool {})",
        pool.user_pool_id
    );
    if wiring.directory.is_user_pool() {
        println!("  app clients: the user pool's own");
    }
    for client in &pool.clients {
        let secret = if client.client_secret.is_some() {
            " (with secret)"
        } else {
            ""
        };
        println!("  app client {}{secret}", client.client_id);
    }
    match assembled.outbox.as_ref().map(|o| o.path()) {
        None => println!("delivery: SES v2 and SMS v2"),
        Some(Some(path)) => println!("outbox: {}", path.display()),
        Some(None) => println!("outbox: printed only"),
    }
    match &origins {
        AllowedOrigins::Any => println!("browsers: any origin (CORS)"),
        AllowedOrigins::List(list) => println!("browsers: {} (CORS)", list.join(", ")),
    }
    println!("reset page: http://{addr}/");
    // The same counts the functions publish to CloudWatch, at GET /metrics.
    let metrics_handle =
        match metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder() {
            Ok(handle) => {
                password_reset::metrics::describe();
                println!("metrics: http://{addr}/metrics");
                Some(handle)
            }
            Err(e) => {
                eprintln!("warning: no metrics recorder: {e}");
                None
            }
        };
    if let Err(e) = server::serve(listener, assembled.service, &origins, metrics_handle).await {
        eprintln!("error: {e}");
        return std::process::ExitCode::from(1);
    }
    std::process::ExitCode::SUCCESS
}
