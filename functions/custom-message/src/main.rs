//! CustomMessage as a Lambda function: templates read and checked once, a thin handler borrowing them.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use password_reset::entry::lambda::start::started;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    password_reset::entry::lambda::log::init();
    password_reset::entry::lambda::metrics::init("custom-message");
    // A template breaking Cognito's rules stops the function here, naming the template.
    let catalog = started(custom_message::catalog_from_env(), "ConfigError").await?;
    let catalog = &catalog;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        password_reset::entry::lambda::metrics::flushed(custom_message::handle(catalog, event))
            .await
    }))
    .await
}
