//! CustomEmailSender / CustomSMSSender as one Lambda function: settings, templates and the KMS,
//! SES and SMS clients built once, a thin handler borrowing them.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use password_reset::entry::lambda::start::started;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    password_reset::entry::lambda::log::init();
    password_reset::entry::lambda::metrics::init("custom-sender");
    // A bad setting (key ARN, context, template, sender) stops the function here, named.
    let sender = started(custom_sender::sender_from_env().await, "ConfigError").await?;
    let sender = &sender;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        password_reset::entry::lambda::metrics::flushed(custom_sender::handle(sender, event)).await
    }))
    .await
}
