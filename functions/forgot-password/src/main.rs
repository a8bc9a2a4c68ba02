//! ForgotPassword as a Lambda function: config and clients built once, a thin handler borrowing them.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use password_reset::protocol::Operation;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    password_reset::lambda_log::init();
    let service = password_reset::assembly::service_from_env().await?;
    let service = &service;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        password_reset::lambda::handle(service, Operation::ForgotPassword, event).await
    }))
    .await
}
