//! The SMS account's sandbox. `DescribeAccountAttributes` (ACCOUNT_TIER) and `DescribeSpendLimits`
//! are read once per container; in the sandbox SMS go only to VERIFIED destination numbers, so an
//! unverified number is refused before anything is sent. Each number's verdict is cached
//! (`delivery::sandbox_cache`, shared with SES).

use aws_sdk_pinpointsmsvoicev2::Client;
use aws_sdk_pinpointsmsvoicev2::types::{AccountAttributeName, SpendLimitName, VerificationStatus};

use crate::adapters::delivery::redact::{describe, describe_response};
use crate::adapters::delivery::sandbox_cache::{SandboxAccount, SandboxCache};
use crate::domain::mask;
use crate::ports::DeliveryError;

/// The monthly text-message spend limit, in US dollars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpendLimit {
    pub enforced: i64,
    pub max: i64,
    pub overridden: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsAccount {
    /// The ACCOUNT_TIER attribute as the service wrote it (SANDBOX, PRODUCTION).
    pub tier: Option<String>,
    pub text_spend_limit: Option<SpendLimit>,
}

/// The account, or why its attributes could not be read.
pub type AccountState = crate::adapters::delivery::sandbox_cache::AccountState<SmsAccount>;

impl AccountState {
    pub fn spend_limit(&self) -> Option<SpendLimit> {
        match self {
            Self::Known(a) => a.text_spend_limit,
            Self::Unknown(_) => None,
        }
    }
}

impl SandboxAccount for SmsAccount {
    const NAME: &'static str = "the SMS account (DescribeAccountAttributes, DescribeSpendLimits)";
    const READ_REMEDIATION: &'static str = "allow sms-voice:DescribeAccountAttributes and sms-voice:DescribeSpendLimits to the function's role";

    fn in_sandbox(&self) -> Option<bool> {
        match self.tier.as_deref() {
            Some(t) if t.eq_ignore_ascii_case("SANDBOX") => Some(true),
            Some(t) if t.eq_ignore_ascii_case("PRODUCTION") => Some(false),
            _ => None,
        }
    }

    fn log(&self, region: &str) {
        if self.in_sandbox() == Some(true) {
            tracing::warn!(
                region,
                "the SMS account is in the sandbox: only verified destination numbers receive messages"
            );
        }
        tracing::info!(
            region,
            tier = self.tier.as_deref().unwrap_or("unknown"),
            spend_limit_usd = self.text_spend_limit.map(|l| l.enforced),
            "SMS account read"
        );
    }
}

pub async fn read_account(client: &Client) -> AccountState {
    let (attributes, limits) = tokio::join!(
        client.describe_account_attributes().send(),
        client.describe_spend_limits().send()
    );
    let attributes = match attributes {
        Ok(out) => out,
        Err(e) => return AccountState::Unknown(describe_response(&e)),
    };
    let tier = attributes
        .account_attributes()
        .iter()
        .find(|a| a.name() == &AccountAttributeName::AccountTier)
        .map(|a| a.value().to_string());
    let text_spend_limit = match limits {
        Ok(out) => out
            .spend_limits()
            .iter()
            .find(|l| l.name() == &SpendLimitName::TextMessageMonthlySpendLimit)
            .map(|l| SpendLimit {
                enforced: l.enforced_limit(),
                max: l.max_limit(),
                overridden: l.overridden(),
            }),
        Err(e) => {
            tracing::warn!(detail = %describe(&e), "could not read the SMS spend limits");
            None
        }
    };
    AccountState::Known(SmsAccount {
        tier,
        text_spend_limit,
    })
}

/// Whether `number` is a VERIFIED destination of this account.
pub async fn destination_verified(client: &Client, number: &str) -> Result<bool, String> {
    let out = client
        .describe_verified_destination_numbers()
        .destination_phone_numbers(number)
        .send()
        .await
        .map_err(|e| describe(&e))?;
    Ok(out.verified_destination_numbers().iter().any(|v| {
        v.destination_phone_number() == number && v.status() == &VerificationStatus::Verified
    }))
}

/// Every VERIFIED destination number of the account (a sandbox holds at most ten).
pub async fn verified_destinations(client: &Client) -> Result<Vec<String>, String> {
    let mut numbers = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = client
            .describe_verified_destination_numbers()
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        numbers.extend(
            out.verified_destination_numbers()
                .iter()
                .filter(|v| v.status() == &VerificationStatus::Verified)
                .map(|v| v.destination_phone_number().to_string()),
        );
        match out.next_token() {
            Some(token) if !token.is_empty() => next = Some(token.to_string()),
            _ => return Ok(numbers),
        }
    }
}

/// `Ok` when the service may be asked to send to `to`; a refusal saying why otherwise.
pub(super) async fn admit(
    sandbox: &SandboxCache<SmsAccount>,
    client: &Client,
    to: &str,
) -> Result<(), DeliveryError> {
    let account = sandbox.account(read_account(client)).await;
    let region = sandbox.region();
    let masked = mask::phone(to);
    if account.spend_limit().is_some_and(|l| l.enforced <= 0) {
        tracing::warn!(recipient = %masked, region,
            remediation = "aws pinpoint-sms-voice-v2 set-text-message-spend-limit-override --monthly-limit ...",
            "the monthly SMS spend limit is $0: refused before sending");
        return Err(DeliveryError::Refused(format!(
            "The code could not be sent to {masked}: the monthly SMS spend limit of the AWS End User \
             Messaging SMS account in {region} is $0. Raise the text message spend limit."
        )));
    }
    if account.in_sandbox() != Some(true) {
        return Ok(());
    }
    match sandbox.verified(to, destination_verified(client, to)).await {
        Ok(true) => Ok(()),
        Ok(false) => {
            tracing::warn!(recipient = %masked, region,
                remediation = "verify the number (aws pinpoint-sms-voice-v2 create-verified-destination-number, then send-destination-number-verification-code and verify-destination-number), or request production access",
                "SMS sandbox: destination number not verified, refused before sending");
            Err(DeliveryError::Refused(sandbox_refusal(&masked, region)))
        }
        Err(detail) => {
            // The check is a courtesy; the service enforces the sandbox and its refusal is mapped.
            tracing::warn!(recipient = %masked, %detail,
                "could not check the number against the SMS sandbox; sending anyway");
            Ok(())
        }
    }
}

pub(super) fn sandbox_refusal(masked: &str, region: &str) -> String {
    format!(
        "The code could not be sent to {masked}: AWS End User Messaging SMS in {region} is in the \
         sandbox, where text messages go only to verified destination numbers, and this number is not \
         verified. Verify the number in AWS End User Messaging SMS, or request production access."
    )
}
