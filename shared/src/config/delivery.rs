//! Settings of real delivery (SES v2 for email, End User Messaging SMS v2 for SMS), read from the
//! environment once at start. The variable names are public: the SAM template sets the same ones.

use super::{ConfigError, bad};

/// `DELIVERY=aws` picks SES and SMS; `outbox` (the default) keeps local delivery.
pub const DELIVERY: &str = "DELIVERY";
/// The From address, a verified SES identity (address or domain): `no-reply@example.com` or
/// `Example <no-reply@example.com>`. Required with `DELIVERY=aws`.
pub const SES_FROM_ADDRESS: &str = "SES_FROM_ADDRESS";
/// Optional SES configuration set (event publishing, dedicated IPs).
pub const SES_CONFIGURATION_SET: &str = "SES_CONFIGURATION_SET";
/// Optional Reply-To address.
pub const SES_REPLY_TO: &str = "SES_REPLY_TO";
/// The SMS origination identity: phone number (E.164, id or ARN), pool id or ARN, or sender id.
/// Optional for AWS (it picks one), but required to send to many countries, the US included.
pub const SMS_ORIGINATION_IDENTITY: &str = "SMS_ORIGINATION_IDENTITY";
/// Optional SMS configuration set.
pub const SMS_CONFIGURATION_SET: &str = "SMS_CONFIGURATION_SET";
/// `true`: SMS are validated by the service but neither sent nor charged.
pub const SMS_DRY_RUN: &str = "SMS_DRY_RUN";
/// How long the carrier may keep trying to deliver an SMS, 5-259200 seconds.
pub const SMS_TTL_SECONDS: &str = "SMS_TTL_SECONDS";

/// A code is valid for an hour by default: an SMS arriving later than that is useless.
pub const DEFAULT_SMS_TTL_SECONDS: u32 = 3600;
const SMS_TTL_RANGE: std::ops::RangeInclusive<u32> = 5..=259_200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesSettings {
    /// As given: may carry a display name.
    pub from: String,
    pub configuration_set: Option<String>,
    pub reply_to: Option<String>,
}

impl SesSettings {
    /// The address part of `from`, the identity SES checks.
    pub fn from_address(&self) -> &str {
        address_of(&self.from)
    }
}

/// `Name <a@b.c>` -> `a@b.c`; a bare address is returned as it is.
pub fn address_of(mailbox: &str) -> &str {
    match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(open), Some(close)) if open < close => mailbox[open + 1..close].trim(),
        _ => mailbox.trim(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSettings {
    pub origination_identity: Option<String>,
    pub configuration_set: Option<String>,
    pub dry_run: bool,
    pub ttl_seconds: u32,
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            origination_identity: None,
            configuration_set: None,
            dry_run: false,
            ttl_seconds: DEFAULT_SMS_TTL_SECONDS,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsDeliverySettings {
    pub ses: SesSettings,
    pub sms: SmsSettings,
}

impl AwsDeliverySettings {
    /// `env` is the process environment in production, a map in tests.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            ses: SesSettings::from_env(&env)?,
            sms: SmsSettings::from_env(&env)?,
        })
    }
}

fn optional(env: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl SesSettings {
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let from = optional(env, SES_FROM_ADDRESS).ok_or_else(|| {
            bad(
                SES_FROM_ADDRESS,
                "not set: DELIVERY=aws needs a verified SES identity to send from",
            )
        })?;
        if !looks_like_address(address_of(&from)) {
            return Err(bad(
                SES_FROM_ADDRESS,
                format!("{from:?} is not an email address"),
            ));
        }
        let reply_to = optional(env, SES_REPLY_TO);
        if let Some(r) = reply_to
            .as_deref()
            .filter(|r| !looks_like_address(address_of(r)))
        {
            return Err(bad(SES_REPLY_TO, format!("{r:?} is not an email address")));
        }
        Ok(Self {
            from,
            configuration_set: optional(env, SES_CONFIGURATION_SET),
            reply_to,
        })
    }
}

impl SmsSettings {
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let dry_run = match optional(env, SMS_DRY_RUN).as_deref() {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                return Err(bad(SMS_DRY_RUN, format!("{v:?} is neither true nor false")));
            }
        };
        let ttl_seconds = match optional(env, SMS_TTL_SECONDS) {
            None => DEFAULT_SMS_TTL_SECONDS,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|t| SMS_TTL_RANGE.contains(t))
                .ok_or_else(|| {
                    bad(
                        SMS_TTL_SECONDS,
                        format!("{v:?} is not a number of seconds between 5 and 259200"),
                    )
                })?,
        };
        Ok(Self {
            origination_identity: optional(env, SMS_ORIGINATION_IDENTITY),
            configuration_set: optional(env, SMS_CONFIGURATION_SET),
            dry_run,
            ttl_seconds,
        })
    }
}

fn looks_like_address(s: &str) -> bool {
    matches!(s.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !s.contains(char::is_whitespace))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::test_env as env;

    #[test]
    fn minimal_and_full_settings() {
        let s = AwsDeliverySettings::from_env(env(&[(SES_FROM_ADDRESS, "no-reply@example.com")]))
            .unwrap();
        assert_eq!(s.ses.from_address(), "no-reply@example.com");
        assert_eq!(s.sms, SmsSettings::default());

        let s = AwsDeliverySettings::from_env(env(&[
            (SES_FROM_ADDRESS, "Example <no-reply@example.com>"),
            (SES_CONFIGURATION_SET, "reset"),
            (SES_REPLY_TO, "help@example.com"),
            (SMS_ORIGINATION_IDENTITY, "pool-123"),
            (SMS_CONFIGURATION_SET, "sms-set"),
            (SMS_DRY_RUN, "TRUE"),
            (SMS_TTL_SECONDS, "300"),
        ]))
        .unwrap();
        assert_eq!(s.ses.from_address(), "no-reply@example.com");
        assert_eq!(s.ses.configuration_set.as_deref(), Some("reset"));
        assert_eq!(s.ses.reply_to.as_deref(), Some("help@example.com"));
        assert_eq!(s.sms.origination_identity.as_deref(), Some("pool-123"));
        assert_eq!(s.sms.configuration_set.as_deref(), Some("sms-set"));
        assert!(s.sms.dry_run);
        assert_eq!(s.sms.ttl_seconds, 300);
    }

    #[test]
    fn every_bad_setting_is_named() {
        let from = (SES_FROM_ADDRESS, "no-reply@example.com");
        for (name, value) in [
            (SES_FROM_ADDRESS, "no-reply"),
            (SES_REPLY_TO, "not an address"),
            (SMS_DRY_RUN, "yes"),
            (SMS_TTL_SECONDS, "4"),
            (SMS_TTL_SECONDS, "259201"),
            (SMS_TTL_SECONDS, "soon"),
        ] {
            let pairs = if name == SES_FROM_ADDRESS {
                vec![(name, value)]
            } else {
                vec![from, (name, value)]
            };
            let err = AwsDeliverySettings::from_env(env(&pairs)).unwrap_err();
            assert_eq!(err.setting, name, "{name}={value}: {err}");
        }
        let err = AwsDeliverySettings::from_env(env(&[])).unwrap_err();
        assert_eq!(err.setting, SES_FROM_ADDRESS);
    }
}
