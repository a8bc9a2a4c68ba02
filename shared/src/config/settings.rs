//! `Settings`: everything a process needs to build its service, from the environment (Lambda) or
//! a pool file (`pool_file`, the local runner).

use std::path::PathBuf;

use serde::Deserialize;

use super::ConfigError;
use super::code_keys::decode_key;
use super::env::{self, Env, Spellings};
use super::messages::messages_from_env;
use super::recovery::mechanisms_from_env;
use super::source_users::source_users_from_env;
use crate::domain::caller::MAX_CALLER_REQUESTS;
use crate::domain::code::{CodeKey, CodePolicy};
use crate::domain::delivery::DeliveryMedium;
use crate::domain::message_catalog::MessageCatalog;
use crate::domain::migration::SourceUser;
use crate::domain::operation::Operation;
use crate::domain::password::PasswordPolicy;
use crate::domain::pool::{
    AppClient, BlocklistSettings, PoolSettings, PreventUserExistenceErrors, StuckUsers,
    WhenBreachCheckFails,
};
use crate::domain::recovery::{AccountRecovery, RecoveryMechanism};
use crate::domain::user::User;

/// Everything a process needs to build its service.
#[derive(Debug, Clone)]
pub struct Settings {
    pub pool: PoolSettings,
    pub key: Option<CodeKey>,
    pub users: Vec<User>,
    /// A source user source kept in memory (the pool file's `SourceUsers`, or `SOURCE_USERS_FILE`).
    pub source_users: Option<Vec<SourceUser>>,
    pub outbox: OutboxSettings,
    /// Which pool settings were given here, so a user pool's own fill in only the others.
    pub explicit: Explicit,
}

/// Settings given explicitly (environment or pool file) rather than defaulted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Explicit {
    pub recovery: bool,
    pub password_policy: bool,
    pub case_sensitive: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OutboxSettings {
    /// Where delivered messages are appended, one JSON line each.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// When present, the outbox imitates a sandbox: only these destinations are accepted.
    #[serde(default)]
    pub verified_destinations: Option<Vec<String>>,
}

/// The pool's settings, validated; each failure names the pool file's section.
pub(super) fn pool_settings(
    user_pool_id: String,
    clients: Vec<AppClient>,
    mechanisms: &[RecoveryMechanism],
    prevent: PreventUserExistenceErrors,
    password_policy: PasswordPolicy,
    codes: CodePolicy,
    messages: MessageCatalog,
) -> Result<PoolSettings, ConfigError> {
    Ok(PoolSettings {
        user_pool_id,
        clients,
        recovery: AccountRecovery::from_mechanisms(mechanisms)
            .map_err(|e| ConfigError::new("AccountRecoverySetting", e))?,
        prevent_user_existence_errors: prevent,
        password_policy: password_policy
            .validated()
            .map_err(|e| ConfigError::new("PasswordPolicy", e))?,
        codes: codes
            .validated()
            .map_err(|e| ConfigError::new("Codes", e))?,
        messages,
        notify_password_changed: true,
        case_sensitive: false,
        blocklist: Default::default(),
        stuck_users: Default::default(),
    })
}

const WHEN_BREACH_CHECK_FAILS: Spellings<WhenBreachCheckFails> = Spellings {
    what: "accept or refuse",
    values: &[
        ("accept", WhenBreachCheckFails::Accept),
        ("refuse", WhenBreachCheckFails::Refuse),
    ],
};

const PREVENT_MODES: Spellings<PreventUserExistenceErrors> = Spellings {
    what: "a PreventUserExistenceErrors mode",
    values: &[
        ("ENABLED", PreventUserExistenceErrors::Enabled),
        ("LEGACY", PreventUserExistenceErrors::Legacy),
    ],
};

/// The password policy's variables: any one given makes the whole policy explicit.
const PASSWORD_POLICY: [&str; 5] = [
    env::PASSWORD_MIN_LENGTH,
    env::PASSWORD_REQUIRE_UPPERCASE,
    env::PASSWORD_REQUIRE_LOWERCASE,
    env::PASSWORD_REQUIRE_NUMBERS,
    env::PASSWORD_REQUIRE_SYMBOLS,
];

impl Settings {
    /// The media a process serving `serves` sends by, as far as these settings tell before any
    /// user pool is read: ForgotPassword sends codes by the recovery's media, and
    /// ConfirmForgotPassword sends its PasswordChanged notices by them when notices are on.
    /// `pool_decides`: the directory is a user pool, whose AccountRecoverySetting fills in the
    /// recovery unless RECOVERY_MECHANISMS is given; then nothing is known yet.
    pub fn media_sent(&self, serves: &[Operation], pool_decides: bool) -> Vec<DeliveryMedium> {
        let sends = serves.iter().any(|op| match op {
            Operation::ForgotPassword => true,
            Operation::ConfirmForgotPassword => self.pool.notify_password_changed,
        });
        if !sends || (pool_decides && !self.explicit.recovery) {
            return Vec::new();
        }
        self.pool.recovery.order().to_vec()
    }

    /// Lambda configuration. `env` is the process environment in production, a map in tests.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Env::new(&env);
        // Not needed when the directory is a user pool (its own clients): checked at assembly.
        let clients: Vec<AppClient> = vars
            .json(
                env::APP_CLIENTS,
                r#"expected a JSON list of {"ClientId", "ClientSecret"}"#,
            )?
            .unwrap_or_default();
        let given = |name: &str| vars.text(name).is_some();
        let explicit = Explicit {
            recovery: given(env::RECOVERY_MECHANISMS),
            password_policy: PASSWORD_POLICY.into_iter().any(given),
            case_sensitive: given(env::USERNAME_CASE_SENSITIVE),
        };
        let mechanisms = mechanisms_from_env(&env)?;
        let prevent = vars
            .choice(env::PREVENT_USER_EXISTENCE_ERRORS, &PREVENT_MODES)?
            .unwrap_or(PreventUserExistenceErrors::Enabled);
        let d = CodePolicy::default();
        let count = |name: &str, default: u32| vars.number(name, 0..=u32::MAX, default);
        let per_caller =
            |name: &str, default: u32| vars.number(name, 0..=MAX_CALLER_REQUESTS, default);
        // Only the type's range here: the policy's own limits are checked by `pool_settings`.
        let codes = CodePolicy {
            length: vars.number(env::CODE_LENGTH, 0..=u8::MAX, d.length)?,
            ttl_seconds: vars.number(env::CODE_TTL_SECONDS, 0..=u64::MAX, d.ttl_seconds)?,
            sms_ttl_seconds: vars.number(
                env::CODE_TTL_SMS_SECONDS,
                0..=u64::MAX,
                d.sms_ttl_seconds,
            )?,
            max_requests: count(env::MAX_REQUESTS_PER_HOUR, d.max_requests)?,
            window_seconds: d.window_seconds,
            max_failed_attempts: count(env::MAX_FAILED_ATTEMPTS, d.max_failed_attempts)?,
            max_requests_per_caller: per_caller(
                env::MAX_REQUESTS_PER_CALLER_PER_HOUR,
                d.max_requests_per_caller,
            )?,
            max_confirms_per_caller: per_caller(
                env::MAX_CONFIRMS_PER_CALLER_PER_HOUR,
                d.max_confirms_per_caller,
            )?,
        };
        let p = PasswordPolicy::default();
        let password_policy = PasswordPolicy {
            minimum_length: vars.number(env::PASSWORD_MIN_LENGTH, 0..=u8::MAX, p.minimum_length)?,
            require_uppercase: vars.flag(env::PASSWORD_REQUIRE_UPPERCASE, p.require_uppercase)?,
            require_lowercase: vars.flag(env::PASSWORD_REQUIRE_LOWERCASE, p.require_lowercase)?,
            require_numbers: vars.flag(env::PASSWORD_REQUIRE_NUMBERS, p.require_numbers)?,
            require_symbols: vars.flag(env::PASSWORD_REQUIRE_SYMBOLS, p.require_symbols)?,
        };
        let email_lifetime = codes.ttl_seconds;
        let mut pool = pool_settings(
            vars.raw(env::USER_POOL_ID).unwrap_or_default(),
            clients,
            &mechanisms,
            prevent,
            password_policy,
            codes,
            messages_from_env(&env)?.with_email_code_lifetime(email_lifetime),
        )?;
        pool.notify_password_changed = vars.flag(env::NOTIFY_PASSWORD_CHANGED, true)?;
        pool.case_sensitive = vars.flag(env::USERNAME_CASE_SENSITIVE, false)?;
        pool.blocklist = BlocklistSettings {
            enabled: vars.flag(env::PASSWORD_BLOCKLIST, true)?,
            app_name: vars.text(env::APP_NAME),
            when_breach_check_fails: vars
                .choice(
                    env::PWNED_PASSWORDS_WHEN_UNREACHABLE,
                    &WHEN_BREACH_CHECK_FAILS,
                )?
                .unwrap_or_default(),
        };
        pool.stuck_users = StuckUsers {
            force_change_password: vars.flag(env::RESET_FORCE_CHANGE_PASSWORD, false)?,
            unverified_email: vars.flag(env::RESET_UNVERIFIED_EMAIL, false)?,
        };
        let key = vars
            .text(env::CODE_HASH_KEY)
            .map(|k| decode_key(env::CODE_HASH_KEY, &k))
            .transpose()?;
        let users = vars
            .json_file(env::SEED_USERS_FILE, "expected a JSON list of users")?
            .unwrap_or_default();
        let outbox = OutboxSettings {
            path: vars.text(env::OUTBOX_PATH).map(PathBuf::from),
            verified_destinations: None,
        };
        Ok(Self {
            pool,
            key,
            users,
            source_users: source_users_from_env(&env)?,
            outbox,
            explicit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::test_env as env;

    #[test]
    fn media_sent_are_known_at_start_only_when_the_settings_say() {
        use DeliveryMedium::{Email, Sms};
        use Operation::{ConfirmForgotPassword as Confirm, ForgotPassword as Forgot};
        let with = |vars: &[(&str, &str)]| {
            let mut all = vec![("APP_CLIENTS", r#"[{"ClientId":"abc"}]"#)];
            all.extend_from_slice(vars);
            Settings::from_env(env(&all)).unwrap()
        };
        let email = with(&[("RECOVERY_MECHANISMS", "verified_email")]);
        assert_eq!(email.media_sent(&[Forgot], false), [Email]);
        assert_eq!(
            email.media_sent(&[Forgot], true),
            [Email],
            "given: the pool's is not used"
        );
        assert_eq!(
            email.media_sent(&[Confirm], true),
            [Email],
            "notices are on by default"
        );
        let quiet = with(&[
            ("RECOVERY_MECHANISMS", "verified_email"),
            ("NOTIFY_PASSWORD_CHANGED", "false"),
        ]);
        assert!(
            quiet.media_sent(&[Confirm], false).is_empty(),
            "no notices: nothing sent"
        );
        assert_eq!(quiet.media_sent(&[Forgot, Confirm], false), [Email]);
        let unset = with(&[]);
        assert_eq!(
            unset.media_sent(&[Forgot], false),
            [Sms, Email],
            "the legacy order"
        );
        assert!(
            unset.media_sent(&[Forgot], true).is_empty(),
            "the pool will say"
        );
    }

    #[test]
    fn environment_with_defaults() {
        let s = Settings::from_env(env(&[("APP_CLIENTS", r#"[{"ClientId":"abc"}]"#)])).unwrap();
        assert_eq!(s.pool.codes, CodePolicy::default());
        assert_eq!(s.pool.recovery, AccountRecovery::Legacy);
        assert_eq!(
            s.pool.prevent_user_existence_errors,
            PreventUserExistenceErrors::Enabled
        );
    }

    #[test]
    fn the_reset_email_names_the_code_lifetime_set() {
        use crate::domain::message_catalog::MessageSource;
        let s = Settings::from_env(env(&[
            ("APP_CLIENTS", r#"[{"ClientId":"abc"}]"#),
            ("CODE_TTL_SECONDS", "900"),
        ]))
        .unwrap();
        let text = &s
            .pool
            .messages
            .templates(MessageSource::ForgotPassword)
            .default;
        assert!(text.email_message.contains("It expires in 15 minutes."));
    }

    #[test]
    fn every_bad_setting_is_named() {
        let clients = ("APP_CLIENTS", r#"[{"ClientId":"abc"}]"#);
        for (name, value) in [
            ("CODE_LENGTH", "5"),
            ("CODE_LENGTH", "six"),
            ("MAX_FAILED_ATTEMPTS", "0"),
            ("PASSWORD_MIN_LENGTH", "3"),
            ("PASSWORD_REQUIRE_SYMBOLS", "yes"),
            ("RECOVERY_MECHANISMS", "carrier_pigeon"),
            ("RECOVERY_MECHANISMS", "admin_only,verified_email"),
            ("PREVENT_USER_EXISTENCE_ERRORS", "MAYBE"),
            ("CODE_HASH_KEY", "c2hvcnQ="),
            ("MAX_REQUESTS_PER_CALLER_PER_HOUR", "101"),
            ("MAX_CONFIRMS_PER_CALLER_PER_HOUR", "many"),
        ] {
            let err = Settings::from_env(env(&[clients, (name, value)])).unwrap_err();
            let shown = err.to_string();
            let expected = match name {
                "CODE_LENGTH" | "MAX_FAILED_ATTEMPTS" if value != "six" => "Codes",
                "PASSWORD_MIN_LENGTH" => "PasswordPolicy",
                "RECOVERY_MECHANISMS" if value.contains(',') => "AccountRecoverySetting",
                _ => name,
            };
            assert!(shown.contains(expected), "{name}={value}: {shown}");
        }
        assert!(
            Settings::from_env(env(&[("APP_CLIENTS", "[{")]))
                .unwrap_err()
                .to_string()
                .contains("APP_CLIENTS")
        );
    }

    #[test]
    fn per_caller_limits_are_read_from_the_environment_and_the_pool_file() {
        let s = Settings::from_env(env(&[
            ("APP_CLIENTS", r#"[{"ClientId":"abc"}]"#),
            ("MAX_REQUESTS_PER_CALLER_PER_HOUR", "12"),
            ("MAX_CONFIRMS_PER_CALLER_PER_HOUR", "0"),
        ]))
        .unwrap();
        assert_eq!(s.pool.codes.max_requests_per_caller, 12);
        assert_eq!(s.pool.codes.max_confirms_per_caller, 0);
        let s = Settings::from_json(
            r#"{"Clients":[{"ClientId":"abc"}],"Codes":{"MaxRequestsPerCaller":7,"MaxConfirmsPerCaller":9}}"#,
        )
        .unwrap();
        assert_eq!(s.pool.codes.max_requests_per_caller, 7);
        assert_eq!(s.pool.codes.max_confirms_per_caller, 9);
        let err = Settings::from_json(
            r#"{"Clients":[{"ClientId":"abc"}],"Codes":{"MaxConfirmsPerCaller":500}}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("Codes"), "{err}");
    }
}
