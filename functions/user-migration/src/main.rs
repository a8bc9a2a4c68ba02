//! UserMigration as a Lambda function: migration source and settings built once, a thin handler.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use password_reset::entry::lambda::start::started;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    password_reset::entry::lambda::log::init();
    password_reset::entry::lambda::metrics::init("user-migration");
    let migrator = started(user_migration::Migrator::from_env().await, "ConfigError").await?;
    let migrator = &migrator;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        password_reset::entry::lambda::metrics::flushed(user_migration::handle(migrator, event))
            .await
    }))
    .await
}
