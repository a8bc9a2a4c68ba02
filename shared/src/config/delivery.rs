//! Settings of real delivery (SES v2 for email, End User Messaging SMS v2 for SMS), read from the
//! environment once at start (the variables are `config::env`'s `SES_*` and `SMS_*`).

use super::ConfigError;
use super::env::{
    Env, SES_CONFIGURATION_SET, SES_FROM_ADDRESS, SES_REPLY_TO, SMS_CONFIGURATION_SET, SMS_DRY_RUN,
    SMS_ORIGINATION_IDENTITY, SMS_TTL_SECONDS,
};

/// A code is valid for an hour by default: an SMS arriving later than that is useless.
/// A code sent by SMS lives 10 minutes (`CodePolicy::sms_ttl_seconds`): later, its message is no use.
pub const DEFAULT_SMS_TTL_SECONDS: u32 = 600;
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

impl SesSettings {
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Env::new(env);
        let from = vars.required(
            SES_FROM_ADDRESS,
            "not set: DELIVERY=aws needs a verified SES identity to send from",
        )?;
        if !looks_like_address(address_of(&from)) {
            return Err(ConfigError::new(
                SES_FROM_ADDRESS,
                format!("{from:?} is not an email address"),
            ));
        }
        let reply_to = vars.text(SES_REPLY_TO);
        if let Some(r) = reply_to
            .as_deref()
            .filter(|r| !looks_like_address(address_of(r)))
        {
            return Err(ConfigError::new(
                SES_REPLY_TO,
                format!("{r:?} is not an email address"),
            ));
        }
        Ok(Self {
            from,
            configuration_set: vars.text(SES_CONFIGURATION_SET),
            reply_to,
        })
    }
}

impl SmsSettings {
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Env::new(env);
        Ok(Self {
            origination_identity: vars.text(SMS_ORIGINATION_IDENTITY),
            configuration_set: vars.text(SMS_CONFIGURATION_SET),
            dry_run: vars.flag(SMS_DRY_RUN, false)?,
            ttl_seconds: vars.number(SMS_TTL_SECONDS, SMS_TTL_RANGE, DEFAULT_SMS_TTL_SECONDS)?,
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
