//! The SES account's sandbox. `GetAccount` is read once per container; in the sandbox mail goes
//! only to verified identities (the address or its domain), so an unverified recipient is refused
//! before SES is asked to send, with a message that says why and what to do. Each recipient's
//! verdict is cached (`delivery::sandbox_cache`, shared with SMS): once known, the check costs no
//! round trip.

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::SdkError;
use aws_sdk_sesv2::operation::get_email_identity::GetEmailIdentityError;
use aws_sdk_sesv2::types::VerificationStatus;

use crate::adapters::delivery::redact::{describe, describe_response};
use crate::adapters::delivery::sandbox_cache::{SandboxAccount, SandboxCache};
use crate::domain::mask;
use crate::ports::DeliveryError;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SendQuota {
    pub max_24_hour_send: f64,
    pub max_send_rate: f64,
    pub sent_last_24_hours: f64,
}

/// What `GetAccount` says about sending in this region.
#[derive(Debug, Clone, PartialEq)]
pub struct SesAccount {
    /// `false`: the sandbox.
    pub production_access: bool,
    pub sending_enabled: bool,
    /// HEALTHY, PROBATION or SHUTDOWN.
    pub enforcement_status: Option<String>,
    pub quota: Option<SendQuota>,
}

/// The account, or why `GetAccount` failed.
pub type AccountState = crate::adapters::delivery::sandbox_cache::AccountState<SesAccount>;

impl SandboxAccount for SesAccount {
    const NAME: &'static str = "the SES account (GetAccount)";
    const READ_REMEDIATION: &'static str = "allow ses:GetAccount to the function's role";

    fn in_sandbox(&self) -> Option<bool> {
        Some(!self.production_access)
    }

    fn log(&self, region: &str) {
        if !self.production_access {
            tracing::warn!(
                region,
                "the SES account is in the sandbox: mail goes only to verified identities"
            );
        }
        if !self.sending_enabled {
            tracing::error!(
                region,
                remediation = "aws sesv2 put-account-sending-attributes --sending-enabled",
                "SES sending is disabled for this account: every email will be refused"
            );
        }
        tracing::info!(
            region,
            sandbox = !self.production_access,
            sending_enabled = self.sending_enabled,
            max_24_hour_send = self.quota.map(|q| q.max_24_hour_send),
            sent_last_24_hours = self.quota.map(|q| q.sent_last_24_hours),
            "SES account read"
        );
    }
}

/// Whether SES may send from / to an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityStatus {
    Verified,
    /// Created but not (or no longer) verified.
    Pending,
    /// Not an identity of this account in this region.
    Missing,
}

/// The account as `GetAccount` describes it, or why it could not be read.
pub async fn read_account(client: &Client) -> AccountState {
    match client.get_account().send().await {
        Ok(out) => AccountState::Known(SesAccount {
            production_access: out.production_access_enabled(),
            sending_enabled: out.sending_enabled(),
            enforcement_status: out.enforcement_status().map(str::to_string),
            quota: out.send_quota().map(|q| SendQuota {
                max_24_hour_send: q.max24_hour_send(),
                max_send_rate: q.max_send_rate(),
                sent_last_24_hours: q.sent_last24_hours(),
            }),
        }),
        Err(e) => AccountState::Unknown(describe_response(&e)),
    }
}

pub async fn identity_status(client: &Client, identity: &str) -> Result<IdentityStatus, String> {
    match client
        .get_email_identity()
        .email_identity(identity)
        .send()
        .await
    {
        Ok(out) => {
            let verified = out.verified_for_sending_status()
                || out.verification_status() == Some(&VerificationStatus::Success);
            Ok(if verified {
                IdentityStatus::Verified
            } else {
                IdentityStatus::Pending
            })
        }
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), GetEmailIdentityError::NotFoundException(_)) =>
        {
            Ok(IdentityStatus::Missing)
        }
        Err(e) => Err(describe(&e)),
    }
}

/// `Ok` when SES may be asked to send to `to`; a refusal saying why otherwise.
pub(super) async fn admit(
    sandbox: &SandboxCache<SesAccount>,
    client: &Client,
    to: &str,
) -> Result<(), DeliveryError> {
    match sandbox.account(read_account(client)).await.in_sandbox() {
        Some(true) => {}
        Some(false) | None => return Ok(()),
    }
    let region = sandbox.region();
    // The address as SES will see it; domains are case-insensitive.
    let address = to.trim().to_string();
    let domain = address
        .rsplit_once('@')
        .map(|(_, d)| d.to_ascii_lowercase());
    let ask = |identity: String| async move {
        let status =
            async { Ok(identity_status(client, &identity).await? == IdentityStatus::Verified) };
        sandbox.verified(&identity, status).await
    };
    // Either verified admits. Unless the address is known verified, it and its domain are asked
    // together: one round trip on a recipient's first delivery, not two.
    let (address, domain) = if sandbox.known(&address) == Some(true) {
        (Ok(true), None)
    } else {
        tokio::join!(ask(address), async {
            match domain {
                Some(domain) => Some(ask(domain).await),
                None => None,
            }
        })
    };
    for verdict in std::iter::once(address).chain(domain) {
        match verdict {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(detail) => {
                // The check is a courtesy; SES itself enforces the sandbox and its refusal is mapped.
                tracing::warn!(recipient = %mask::email(to), %detail,
                    "could not check the recipient against the SES sandbox; sending anyway");
                return Ok(());
            }
        }
    }
    let masked = mask::email(to);
    tracing::warn!(recipient = %masked, region,
        remediation = "verify the recipient address or its domain (aws sesv2 create-email-identity --email-identity ...), or request production access (aws sesv2 put-account-details --production-access-enabled ...)",
        "SES sandbox: recipient not verified, refused before sending");
    Err(DeliveryError::Refused(sandbox_refusal(&masked, region)))
}

pub(super) fn sandbox_refusal(masked: &str, region: &str) -> String {
    format!(
        "The code could not be sent to {masked}: Amazon SES in {region} is in the sandbox, where mail \
         goes only to verified addresses and domains, and this recipient is not verified. Verify the \
         address or its domain in Amazon SES, or request production access for SES."
    )
}
