//! How codes and notices reach people (`EmailSender`, `SmsSender`): the outbox (a file, for the
//! local runner and tests), or Amazon SES and AWS End User Messaging SMS.

#[cfg(all(feature = "ses", feature = "sms"))]
pub mod aws;
pub mod outbox;
#[cfg(any(feature = "ses", feature = "sms"))]
pub mod redact;
#[cfg(any(feature = "ses", feature = "sms"))]
pub mod sandbox_cache;
#[cfg(feature = "ses")]
pub mod ses;
#[cfg(feature = "sms")]
pub mod sms;

use std::sync::Arc;

use crate::aws_sdk::Aws;
use crate::config::{ConfigError, DeliveryKind, Wiring};
use crate::ports::{EmailSender, SmsSender};

/// The email and SMS senders.
pub type Senders = (Arc<dyn EmailSender>, Arc<dyn SmsSender>);

/// The senders `wiring` chose; `None`: the outbox.
#[cfg_attr(not(all(feature = "ses", feature = "sms")), allow(unused_variables))]
pub fn build(wiring: &Wiring, aws: &Aws) -> Result<Option<Senders>, ConfigError> {
    match wiring.delivery {
        DeliveryKind::Outbox => Ok(None),
        #[cfg(all(feature = "ses", feature = "sms"))]
        DeliveryKind::Aws => {
            use crate::config::env;
            let settings = wiring.aws_delivery.clone().ok_or_else(|| {
                ConfigError::new(env::DELIVERY, "SES and SMS settings were not read")
            })?;
            let delivery = aws::AwsDelivery::new(aws.config(env::DELIVERY)?, settings);
            Ok(Some((delivery.email, delivery.sms)))
        }
    }
}
