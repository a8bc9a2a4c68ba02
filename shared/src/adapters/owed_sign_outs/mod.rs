//! Where a sign-out that failed after a password change is recorded (`OwedSignOuts`): an SQS queue
//! the confirm function itself reads (`entry::lambda::owed_sign_outs`), retried until it succeeds.

#[cfg(feature = "sqs")]
pub mod sqs;

use std::sync::Arc;

use crate::aws_sdk::Aws;
use crate::config::{ConfigError, Wiring};
use crate::ports::OwedSignOuts;

/// The queue `SIGN_OUT_RETRY_QUEUE_URL` names; `None`: a failed sign-out fails the reset's answer.
#[cfg_attr(not(feature = "sqs"), allow(unused_variables))]
pub fn build(wiring: &Wiring, aws: &Aws) -> Result<Option<Arc<dyn OwedSignOuts>>, ConfigError> {
    match &wiring.sign_out_retry_queue_url {
        None => Ok(None),
        #[cfg(feature = "sqs")]
        Some(url) => {
            let sdk = aws.config(crate::config::env::SIGN_OUT_RETRY_QUEUE_URL)?;
            Ok(Some(Arc::new(sqs::SqsOwedSignOuts::new(
                aws_sdk_sqs::Client::new(sdk),
                url.clone(),
            ))))
        }
        // `Wiring` refuses the setting in a build without `sqs`.
        #[cfg(not(feature = "sqs"))]
        Some(_) => Ok(None),
    }
}
