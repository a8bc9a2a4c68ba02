//! SendTextMessage failures, each turned into what the caller should be told. The service names
//! the reason of a refusal (`Reason`); each known one gets a plain explanation and a next step.

use aws_sdk_pinpointsmsvoicev2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_pinpointsmsvoicev2::operation::send_text_message::SendTextMessageError;
use aws_sdk_pinpointsmsvoicev2::types::{
    AccessDeniedExceptionReason, ConflictExceptionReason, ServiceQuotaExceededExceptionReason,
    ValidationExceptionReason,
};

use crate::adapters::delivery::redact::{describe, redact};
use crate::domain::mask;
use crate::ports::DeliveryError;

use super::sandbox::sandbox_refusal;

pub(super) fn send_failure(
    error: &SdkError<SendTextMessageError>,
    to: &str,
    region: &str,
) -> DeliveryError {
    let Some(service) = error.as_service_error() else {
        return DeliveryError::Failed(format!("SMS SendTextMessage: {}", describe(error)));
    };
    let masked = mask::phone(to);
    let code = service.code().unwrap_or("unknown");
    let detail = redact(&service.to_string());
    let refused = |reason_name: &str, reason: String| {
        tracing::warn!(code, reason = reason_name, %detail, recipient = %masked, "SMS refused");
        DeliveryError::Refused(reason)
    };
    let cannot = format!("The code could not be sent to {masked}");
    match service {
        SendTextMessageError::ConflictException(e) => match e.reason() {
            Some(r @ ConflictExceptionReason::DestinationPhoneNumberNotVerified) => {
                refused(r.as_str(), sandbox_refusal(&masked, region))
            }
            Some(r @ ConflictExceptionReason::NoOriginationIdentitiesFound) => refused(
                r.as_str(),
                format!(
                    "{cannot}: no origination identity (phone number, pool or sender ID) of this account \
                     in {region} can send to that country. Register one for the country and set \
                     SMS_ORIGINATION_IDENTITY to it."
                ),
            ),
            Some(r @ ConflictExceptionReason::DestinationPhoneNumberOptedOut) => refused(
                r.as_str(),
                format!(
                    "{cannot}: the number has opted out of text messages from this sender. The owner of \
                     the number must opt back in (reply START) before a code can be sent by SMS."
                ),
            ),
            other => refused(
                other.map_or("unknown", |r| r.as_str()),
                format!(
                    "{cannot}: AWS End User Messaging SMS refused the message ({}).",
                    other.map_or("conflict", |r| r.as_str())
                ),
            ),
        },
        SendTextMessageError::ServiceQuotaExceededException(e) => match e.reason() {
            Some(r @ ServiceQuotaExceededExceptionReason::MonthlySpendLimitReachedForText) => {
                refused(
                    r.as_str(),
                    format!(
                        "{cannot}: the monthly SMS spend limit of the account in {region} is reached. Raise \
                     the text message spend limit, or wait for next month."
                    ),
                )
            }
            other => refused(
                other.map_or("unknown", |r| r.as_str()),
                format!(
                    "{cannot}: an AWS End User Messaging SMS quota is reached ({}). Try again later or \
                     raise the quota.",
                    other.map_or("quota", |r| r.as_str())
                ),
            ),
        },
        SendTextMessageError::ValidationException(e) => match e.reason() {
            Some(r @ ValidationExceptionReason::SenderIdNotRegistered) => refused(
                r.as_str(),
                format!(
                    "{cannot}: the sender ID in SMS_ORIGINATION_IDENTITY is not registered for that \
                     country. Register it, or use a registered phone number or pool."
                ),
            ),
            Some(r @ ValidationExceptionReason::DestinationCountryBlocked) => refused(
                r.as_str(),
                format!(
                    "{cannot}: text messages to that country are blocked for this account in {region}. \
                     Allow the country in the account's protect configuration to send there."
                ),
            ),
            _ => DeliveryError::Failed(format!("SMS SendTextMessage {code}: {detail}")),
        },
        SendTextMessageError::AccessDeniedException(e) => match e.reason() {
            Some(r @ AccessDeniedExceptionReason::AccountDisabled) => refused(
                r.as_str(),
                format!(
                    "{cannot}: the AWS End User Messaging SMS account in {region} is disabled. Contact \
                     AWS Support to enable it."
                ),
            ),
            _ => DeliveryError::Failed(format!("SMS SendTextMessage {code}: {detail}")),
        },
        SendTextMessageError::ResourceNotFoundException(_) => refused(
            "RESOURCE_NOT_FOUND",
            format!(
                "{cannot}: the SMS origination identity or configuration set configured for this pool \
                 does not exist in {region}. Check SMS_ORIGINATION_IDENTITY and SMS_CONFIGURATION_SET."
            ),
        ),
        SendTextMessageError::ThrottlingException(_) => {
            tracing::warn!(code, %detail, "SMS throttled SendTextMessage");
            DeliveryError::Throttled
        }
        _ => DeliveryError::Failed(format!("SMS SendTextMessage {code}: {detail}")),
    }
}
