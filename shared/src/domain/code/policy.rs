//! The code policy (lengths, lifetimes, limits, their bounds) and the code in clear it shapes.

use rand::{CryptoRng, RngExt};
use serde::{Deserialize, Serialize};

use crate::domain::delivery::DeliveryMedium;

/// Limits and lifetimes, published and configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CodePolicy {
    /// Digits per code, 6-10.
    pub length: u8,
    /// Lifetime in seconds of a code sent by email, clamped to 5 minutes .. 24 hours (NIST SP
    /// 800-63B-4 §4.2.1.2: at most 24 hours by email).
    pub ttl_seconds: u64,
    /// Lifetime in seconds of a code sent by SMS, clamped to 5 .. 10 minutes (NIST: at most 10
    /// minutes by SMS or voice; Cognito keeps every code an hour).
    pub sms_ttl_seconds: u64,
    /// ForgotPassword requests per user per rolling window.
    pub max_requests: u32,
    pub window_seconds: u64,
    /// Wrong codes per issued code before it is dead.
    pub max_failed_attempts: u32,
    /// ForgotPassword requests per caller (source network, and device where given) per rolling
    /// window, whatever the users asked for; 0 turns the limit off.
    pub max_requests_per_caller: u32,
    /// ConfirmForgotPassword requests per caller per rolling window; 0 turns the limit off.
    pub max_confirms_per_caller: u32,
}

impl Default for CodePolicy {
    fn default() -> Self {
        Self {
            length: 6,
            ttl_seconds: 3600,
            sms_ttl_seconds: 600,
            max_requests: 5,
            window_seconds: 3600,
            max_failed_attempts: 5,
            max_requests_per_caller: 30,
            max_confirms_per_caller: 60,
        }
    }
}

pub const MIN_TTL_SECONDS: u64 = 300;
pub const MAX_TTL_SECONDS: u64 = 86_400;
/// The longest life of a code sent by SMS (NIST SP 800-63B-4 §4.2.1.2).
pub const MAX_SMS_TTL_SECONDS: u64 = 600;
/// The largest per-caller limit: the DynamoDB store keeps one slot per request in the window.
pub const MAX_CALLER_REQUESTS: u32 = 100;

impl CodePolicy {
    /// Checks the settings, clamping the lifetime into its published range.
    pub fn validated(mut self) -> Result<Self, String> {
        if !(6..=10).contains(&self.length) {
            return Err(format!(
                "code length must be 6-10 digits, got {}",
                self.length
            ));
        }
        if self.max_requests == 0 || self.max_failed_attempts == 0 || self.window_seconds == 0 {
            return Err("request limit, window and attempt limit must be at least 1".into());
        }
        if self.max_requests_per_caller > MAX_CALLER_REQUESTS
            || self.max_confirms_per_caller > MAX_CALLER_REQUESTS
        {
            return Err(format!(
                "per-caller limits must be 0 (off) to {MAX_CALLER_REQUESTS}, got {} requests and {} confirms",
                self.max_requests_per_caller, self.max_confirms_per_caller
            ));
        }
        self.ttl_seconds = self.ttl_seconds.clamp(MIN_TTL_SECONDS, MAX_TTL_SECONDS);
        self.sms_ttl_seconds = self
            .sms_ttl_seconds
            .clamp(MIN_TTL_SECONDS, MAX_SMS_TTL_SECONDS);
        Ok(self)
    }

    /// How long a code sent by `medium` lives; a decoy's code lives as long as the medium its
    /// simulated answer names.
    pub fn ttl_for(&self, medium: DeliveryMedium) -> u64 {
        match medium {
            DeliveryMedium::Email => self.ttl_seconds,
            DeliveryMedium::Sms => self.sms_ttl_seconds,
        }
    }

    /// The longest any code lives, whatever its medium.
    pub fn longest_ttl(&self) -> u64 {
        self.ttl_seconds.max(self.sms_ttl_seconds)
    }
}

/// A code in clear: it exists only between generation and delivery, and in the confirm request.
#[derive(Clone, PartialEq, Eq)]
pub struct ConfirmationCode(String);

impl std::fmt::Debug for ConfirmationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConfirmationCode(<redacted>)")
    }
}

impl ConfirmationCode {
    /// Uniform decimal digits from a cryptographically secure generator.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R, length: u8) -> Self {
        Self(
            (0..length)
                .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
                .collect(),
        )
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn codes_are_digits_of_the_configured_length() {
        let mut rng = StdRng::seed_from_u64(1);
        for length in 6..=10 {
            let code = ConfirmationCode::generate(&mut rng, length);
            assert_eq!(code.expose().len(), length as usize);
            assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
        }
        assert_eq!(
            format!("{:?}", ConfirmationCode::generate(&mut rng, 6)),
            "ConfirmationCode(<redacted>)"
        );
    }

    #[test]
    fn digits_are_roughly_uniform() {
        let mut rng = StdRng::seed_from_u64(42);
        let mut counts = [0u32; 10];
        for _ in 0..10_000 {
            for b in ConfirmationCode::generate(&mut rng, 6).expose().bytes() {
                counts[(b - b'0') as usize] += 1;
            }
        }
        // 60,000 digits: each expected 6,000; 5 sigma is about 370.
        assert!(
            counts.iter().all(|c| (5_600..=6_400).contains(c)),
            "{counts:?}"
        );
    }

    #[test]
    fn policy_clamps_ttl_and_checks_length() {
        let p = CodePolicy {
            ttl_seconds: 10,
            ..Default::default()
        }
        .validated()
        .unwrap();
        assert_eq!(p.ttl_seconds, MIN_TTL_SECONDS);
        let p = CodePolicy {
            ttl_seconds: 999_999,
            sms_ttl_seconds: 3600,
            ..Default::default()
        }
        .validated()
        .unwrap();
        assert_eq!(p.ttl_seconds, MAX_TTL_SECONDS);
        assert_eq!(p.ttl_for(DeliveryMedium::Sms), MAX_SMS_TTL_SECONDS);
        let d = CodePolicy::default();
        assert_eq!(
            (
                d.ttl_for(DeliveryMedium::Sms),
                d.ttl_for(DeliveryMedium::Email)
            ),
            (600, 3600),
            "NIST's 10 minutes by SMS, Cognito's hour by email"
        );
        assert!(
            CodePolicy {
                length: 5,
                ..Default::default()
            }
            .validated()
            .is_err()
        );
        assert!(
            CodePolicy {
                length: 11,
                ..Default::default()
            }
            .validated()
            .is_err()
        );
    }
}
