//! Real delivery assembled once per process: SES v2 for email and End User Messaging SMS v2 for
//! SMS, both clients from one AWS SDK configuration (region, credentials, `AWS_ENDPOINT_URL` and
//! the per-service `AWS_ENDPOINT_URL_SESV2` / `AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2`).

use std::sync::Arc;

use super::ses::SesV2Sender;
use super::sms::SmsV2Sender;
use crate::config::delivery::AwsDeliverySettings;

pub struct AwsDelivery {
    pub email: Arc<SesV2Sender>,
    pub sms: Arc<SmsV2Sender>,
}

impl AwsDelivery {
    pub fn new(sdk: &crate::aws_sdk::SdkConfig, settings: AwsDeliverySettings) -> Self {
        Self {
            email: Arc::new(SesV2Sender::new(
                aws_sdk_sesv2::Client::new(sdk),
                settings.ses,
            )),
            sms: Arc::new(SmsV2Sender::new(
                aws_sdk_pinpointsmsvoicev2::Client::new(sdk),
                settings.sms,
            )),
        }
    }
}
