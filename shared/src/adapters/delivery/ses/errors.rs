//! SendEmail failures, each turned into what the caller should be told. Throttling is a retry
//! later; a refusal says why in plain words; anything else is logged and reported generically.

use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;

use crate::adapters::delivery::redact::{describe, redact};
use crate::domain::mask;
use crate::ports::DeliveryError;

use super::sandbox::sandbox_refusal;

/// What the failure is judged against.
pub(super) struct Context<'a> {
    pub to: &'a str,
    pub from_address: &'a str,
    pub region: &'a str,
}

pub(super) fn send_failure(error: &SdkError<SendEmailError>, cx: &Context<'_>) -> DeliveryError {
    let Some(service) = error.as_service_error() else {
        return DeliveryError::Failed(format!("SES SendEmail: {}", describe(error)));
    };
    let masked = mask::email(cx.to);
    let region = cx.region;
    let code = service.code().unwrap_or("unknown");
    // The error's Display carries its message; a modeled error may have no metadata.
    let detail = redact(&service.to_string());
    let refused = |reason: String| {
        tracing::warn!(code, %detail, recipient = %masked, "SES refused the message");
        DeliveryError::Refused(reason)
    };
    match service {
        SendEmailError::MessageRejected(e) => {
            let lower = e.message().unwrap_or_default().to_ascii_lowercase();
            if lower.contains("not verified")
                && lower.contains(&cx.from_address.to_ascii_lowercase())
            {
                refused(format!(
                    "The code could not be sent by email: the sender address is not a verified identity \
                     in Amazon SES in {region}. Verify the From address (or its domain) in SES."
                ))
            } else if lower.contains("not verified") {
                refused(sandbox_refusal(&masked, region))
            } else {
                refused(format!(
                    "Amazon SES rejected the message to {masked}. Check that the address is not on the \
                     SES suppression list and that the message template is acceptable."
                ))
            }
        }
        SendEmailError::AccountSuspendedException(_) => refused(format!(
            "The code could not be sent by email: the Amazon SES account in {region} is suspended \
             and cannot send. Contact AWS Support to restore sending."
        )),
        SendEmailError::SendingPausedException(_) => refused(format!(
            "The code could not be sent by email: sending is paused for the Amazon SES account (or its \
             configuration set) in {region}. Re-enable sending, then try again."
        )),
        SendEmailError::MailFromDomainNotVerifiedException(_) => refused(format!(
            "The code could not be sent by email: the custom MAIL FROM domain of the sender identity is \
             not verified in Amazon SES in {region}. Fix its MX and SPF records or stop using it."
        )),
        SendEmailError::LimitExceededException(_) => refused(format!(
            "The code could not be sent by email: the Amazon SES sending quota in {region} is used up. \
             Try again later, or request a higher sending quota."
        )),
        SendEmailError::NotFoundException(_) => refused(format!(
            "The code could not be sent by email: the SES configuration set or sender identity configured \
             for this pool does not exist in {region}. Check SES_CONFIGURATION_SET and SES_FROM_ADDRESS."
        )),
        SendEmailError::TooManyRequestsException(_) => {
            tracing::warn!(code, %detail, "SES throttled SendEmail");
            DeliveryError::Throttled
        }
        _ if matches!(code, "Throttling" | "ThrottlingException") => DeliveryError::Throttled,
        _ => DeliveryError::Failed(format!("SES SendEmail {code}: {detail}")),
    }
}
