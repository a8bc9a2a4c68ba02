//! ForgotPassword as a Lambda function: `lambda::run` builds config and clients once, and a
//! thin handler borrows them.

use password_reset::protocol::Operation;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    password_reset::lambda::run(Operation::ForgotPassword).await
}
