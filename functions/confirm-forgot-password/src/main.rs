//! ConfirmForgotPassword as a Lambda function: `lambda::run` builds config and clients once, and a
//! thin handler borrows them.

use password_reset::entry::protocol::Operation;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    password_reset::entry::lambda::api::run(Operation::ConfirmForgotPassword).await
}
