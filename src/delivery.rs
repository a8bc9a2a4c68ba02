//! The runner on real delivery: `--delivery aws` sends codes through SES v2 and End User Messaging
//! SMS v2 with the same settings as the Lambda function (`SES_FROM_ADDRESS`, `SMS_...`), at
//! `AWS_ENDPOINT_URL` (or the per-service `AWS_ENDPOINT_URL_SESV2` /
//! `AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2`) when set.

use password_reset::adapters::aws_delivery::AwsDelivery;
use password_reset::embedded::Embedded;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeliveryKind {
    /// Print each message and append it to the outbox file.
    Outbox,
    /// SES v2 for email, End User Messaging SMS v2 for SMS.
    Aws,
}

pub async fn use_aws(embedded: &mut Embedded) -> Result<(), String> {
    let aws = AwsDelivery::from_env(|name| std::env::var(name).ok())
        .await
        .map_err(|e| e.to_string())?;
    let ses = aws.email.settings();
    let sms = aws.sms.settings();
    println!(
        "delivery: SES v2 from {} in {}, SMS v2 from {}{}",
        ses.from,
        aws.email.region(),
        sms.origination_identity
            .as_deref()
            .unwrap_or("the account's default identity"),
        if sms.dry_run { " (dry run)" } else { "" }
    );
    embedded.service.email = aws.email;
    embedded.service.sms = aws.sms;
    Ok(())
}
