//! The local runner: the password-reset workflow as a Cognito-compatible endpoint on your machine.

mod delivery;
mod doctor;
mod dynamo;
mod server;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use password_reset::config::Settings;

/// The pool the runner serves when no --config is given.
const DEMO_POOL: &str = include_str!("../config/demo-pool.json");

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Cognito ForgotPassword / ConfirmForgotPassword on your machine"
)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", env = "RESET_HOST")]
    host: std::net::IpAddr,
    /// Port to listen on (9229 is the port Cognito emulators use).
    #[arg(long, default_value_t = 9229, env = "RESET_PORT")]
    port: u16,
    /// A pool file (clients, recovery setting, policies, users); the bundled demo pool by default.
    #[arg(long, env = "RESET_CONFIG")]
    config: Option<PathBuf>,
    /// Where delivered messages are appended as JSON lines (overrides the pool file's Outbox.Path).
    #[arg(long, env = "RESET_OUTBOX")]
    outbox: Option<PathBuf>,
    /// Where users and codes live: `memory` (embedded, seeded from the pool file) or `dynamodb`
    /// (the tables below, at `AWS_ENDPOINT_URL` when set).
    #[arg(long, value_enum, default_value = "memory", env = "RESET_STORE")]
    store: dynamo::StoreKind,
    #[command(flatten)]
    tables: dynamo::TableArgs,
    /// How codes are delivered: `outbox` (printed and appended to the outbox file) or `aws` (SES v2
    /// and End User Messaging SMS v2, configured by SES_FROM_ADDRESS, SMS_ORIGINATION_IDENTITY...).
    #[arg(long, value_enum, default_value = "outbox", env = "RESET_DELIVERY")]
    delivery: delivery::DeliveryKind,
    #[command(subcommand)]
    command: Option<Command>,
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
        None => Settings::from_json(DEMO_POOL),
    }
    .map_err(|e| e.to_string())?;
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

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
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
    let mut embedded =
        password_reset::embedded::assemble(&settings, &mut password_reset::request_rng(), true);
    if cli.store == dynamo::StoreKind::Dynamodb {
        dynamo::use_dynamodb(&mut embedded, &cli.tables).await;
        println!(
            "store: DynamoDB tables {} and {}",
            cli.tables.users_table, cli.tables.codes_table
        );
    }
    if cli.delivery == delivery::DeliveryKind::Aws
        && let Err(e) = delivery::use_aws(&mut embedded).await
    {
        eprintln!("error: {e}");
        return std::process::ExitCode::from(2);
    }
    let addr = SocketAddr::new(cli.host, cli.port);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let addr = listener.local_addr().unwrap_or(addr);
    let pool = &embedded.service.pool;
    println!(
        "Cognito password reset on http://{addr} (user pool {})",
        pool.user_pool_id
    );
    for client in &pool.clients {
        let secret = if client.client_secret.is_some() {
            " (with secret)"
        } else {
            ""
        };
        println!("  app client {}{secret}", client.client_id);
    }
    match embedded.outbox.path() {
        _ if cli.delivery == delivery::DeliveryKind::Aws => {}
        Some(path) => println!("outbox: {}", path.display()),
        None => println!("outbox: printed only"),
    }
    if let Err(e) = server::serve(listener, embedded).await {
        eprintln!("error: {e}");
        return std::process::ExitCode::from(1);
    }
    std::process::ExitCode::SUCCESS
}
