//! The environment: every variable the library, the Lambda functions and the local runner read, in
//! one list, and one typed parser per kind of value. A reader takes the environment as a closure
//! (`process` in production, a map in tests), so a test can record every name a function asks for
//! (`tests/agreement/template.rs` holds the template to this list).
//!
//! To every typed parser, unset and blank are the same: the default. Every failure is a
//! `ConfigError` naming the variable.

use std::fmt::Display;
use std::ops::RangeInclusive;

use serde::de::DeserializeOwned;

use super::ConfigError;

/// What an unset (or blank) variable means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unset {
    /// Wherever it is read, the reader refuses to start without it.
    Required,
    /// The default, in words.
    Default(&'static str),
}

/// One variable of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    pub name: &'static str,
    pub unset: Unset,
}

/// Each entry becomes a `pub const NAME: &str = "NAME"` with its doc, and a row of `ALL`.
macro_rules! variables {
    ($($(#[doc = $doc:literal])+ $name:ident: $unset:expr;)+) => {
        $($(#[doc = $doc])+ pub const $name: &str = stringify!($name);)+

        /// Every variable, in the order above, with what its absence means.
        pub const ALL: &[Variable] = &[$(Variable { name: $name, unset: $unset }),+];
    };
}

variables! {
    // ---- The pool (`Settings::from_env`): the API functions (the runner has its pool file).

    /// The user pool's id: the directory with `DIRECTORY=cognito`, a label otherwise.
    USER_POOL_ID: Unset::Default("empty, refused by DIRECTORY=cognito");
    /// The app clients, JSON: `[{"ClientId": "...", "ClientSecret": "..."}]`.
    APP_CLIENTS: Unset::Default("none: with DIRECTORY=cognito the pool's; else refused");
    /// Cognito's AccountRecoverySetting: `verified_email,verified_phone_number` (highest priority
    /// first), or `admin_only`.
    RECOVERY_MECHANISMS: Unset::Default("legacy (phone, then email); with cognito the pool's");
    /// `ENABLED` or `LEGACY`.
    PREVENT_USER_EXISTENCE_ERRORS: Unset::Default("ENABLED");
    /// Whether logins compare case-sensitively (Cognito's `UsernameConfiguration.CaseSensitive`).
    USERNAME_CASE_SENSITIVE: Unset::Default("false; with DIRECTORY=cognito the pool's");
    /// The password policy, as Cognito's.
    PASSWORD_MIN_LENGTH: Unset::Default("8; with DIRECTORY=cognito the pool's policy");
    /// `true` or `false`.
    PASSWORD_REQUIRE_UPPERCASE: Unset::Default("true; with DIRECTORY=cognito the pool's");
    /// `true` or `false`.
    PASSWORD_REQUIRE_LOWERCASE: Unset::Default("true; with DIRECTORY=cognito the pool's");
    /// `true` or `false`.
    PASSWORD_REQUIRE_NUMBERS: Unset::Default("true; with DIRECTORY=cognito the pool's");
    /// `true` or `false`.
    PASSWORD_REQUIRE_SYMBOLS: Unset::Default("true; with DIRECTORY=cognito the pool's");
    /// Digits in a code, 6-10.
    CODE_LENGTH: Unset::Default("6");
    /// How long a code sent by email is valid, 300-86400 (clamped).
    CODE_TTL_SECONDS: Unset::Default("3600");
    /// How long a code sent by SMS is valid, 300-600 (clamped: NIST SP 800-63B-4's 10 minutes).
    CODE_TTL_SMS_SECONDS: Unset::Default("600");
    /// Codes one user may request per window.
    MAX_REQUESTS_PER_HOUR: Unset::Default("5");
    /// Wrong codes before the code is dead.
    MAX_FAILED_ATTEMPTS: Unset::Default("5");
    /// ForgotPassword requests one caller (network) may make per hour, 0 (off) to 100.
    MAX_REQUESTS_PER_CALLER_PER_HOUR: Unset::Default("30");
    /// ConfirmForgotPassword requests one caller (network) may make per hour, 0 (off) to 100.
    MAX_CONFIRMS_PER_CALLER_PER_HOUR: Unset::Default("60");
    /// Whether a reset sends the PasswordChanged notice.
    NOTIFY_PASSWORD_CHANGED: Unset::Default("true");
    /// Whether new passwords are refused when common (the embedded list) or expected (the login,
    /// username, email, app's name): NIST SP 800-63B-4's blocklist.
    PASSWORD_BLOCKLIST: Unset::Default("true");
    /// The app's name as its users know it: refused inside new passwords.
    APP_NAME: Unset::Default("none: only the app client's name");
    /// What a new password gets when Have I Been Pwned cannot answer in time (`PWNED_PASSWORDS`):
    /// `accept` (the embedded blocklist still applies) or `refuse` (InternalErrorException, which
    /// clients retry; the code stays usable).
    PWNED_PASSWORDS_WHEN_UNREACHABLE: Unset::Default("accept");
    /// Whether a FORCE_CHANGE_PASSWORD user with a verified channel may reset (docs/security.md).
    RESET_FORCE_CHANGE_PASSWORD: Unset::Default("false");
    /// Whether a user whose only email is unverified may reset through it (docs/security.md).
    RESET_UNVERIFIED_EMAIL: Unset::Default("false");
    /// A literal code-hashing key, base64 of at least 32 bytes (local use; deployed functions read
    /// the keys from `CODE_HASH_KEY_SECRET_ARN`).
    CODE_HASH_KEY: Unset::Default("random per process (STORE=memory); STORE=dynamodb needs a key");
    /// A JSON file of users for the memory directory (or the JSON itself, as every `*_FILE` of
    /// JSON takes it: where no file can be given, as under `sam local`).
    SEED_USERS_FILE: Unset::Default("no users");
    /// Where the outbox appends each message, one JSON line each.
    OUTBOX_PATH: Unset::Default("no file: messages are only printed or dropped");
    /// A JSON file of CustomMessage templates shipped with the function.
    MESSAGE_TEMPLATES_FILE: Unset::Default("no file: MESSAGE_TEMPLATES, else the built-in texts");
    /// CustomMessage templates, JSON; its sources replace the file's.
    MESSAGE_TEMPLATES: Unset::Default("the file's templates, else the built-in texts");
    /// Source users served from memory: a JSON list, or a pool file holding `SourceUsers`.
    SOURCE_USERS_FILE: Unset::Default("none, refused by MIGRATION_SOURCE=memory");

    // ---- The adapters chosen (`Wiring::from_env`).

    /// The code store: `memory` or `dynamodb`.
    STORE: Unset::Default("memory");
    /// The directory: `memory`, `dynamodb` or `cognito`.
    DIRECTORY: Unset::Default("the same as STORE");
    /// `outbox` (local delivery) or `aws` (SES v2 and End User Messaging SMS v2); the custom
    /// sender's too.
    DELIVERY: Unset::Default("outbox (the custom sender: aws)");
    /// The users table, for `DIRECTORY=dynamodb`.
    USERS_TABLE: Unset::Default("needed by DIRECTORY=dynamodb (runner: cognito-reset-users)");
    /// The codes table, for `STORE=dynamodb`.
    CODES_TABLE: Unset::Default("needed by STORE=dynamodb (runner: cognito-reset-codes)");
    /// Whether a reset ends every session of the user (`AdminUserGlobalSignOut`).
    SIGN_OUT_ON_RESET: Unset::Default("true");
    /// The SQS queue (URL) a sign-out that still fails after a password change is recorded on, so
    /// the confirm function retries it from the queue until it succeeds; a reset whose sign-out
    /// is recorded answers success.
    SIGN_OUT_RETRY_QUEUE_URL: Unset::Default("none: a sign-out that fails fails the reset's answer");
    /// The user pool's trigger functions (ARNs, comma separated) forgot-password invokes as Cognito
    /// would (the template's `PoolTriggerFunctionArns`, which its role may invoke); a pool trigger
    /// not listed (this stack's own functions) runs in-process.
    POOL_TRIGGER_FUNCTIONS: Unset::Default("none: every trigger of the pool runs in-process");
    /// This stack's own trigger functions (names or ARNs, comma separated; the template gives
    /// them): a pool trigger among them runs in-process. A trigger of the pool on the reset path
    /// (CustomMessage, UserMigration, CustomEmailSender, CustomSMSSender) that is neither here
    /// nor in `POOL_TRIGGER_FUNCTIONS` fails the start, naming the trigger and the function.
    STACK_TRIGGER_FUNCTIONS: Unset::Default("none: every trigger of the pool must be listed in POOL_TRIGGER_FUNCTIONS");
    /// The pool's `KMSKeyID` (a key ARN), when `POOL_TRIGGER_FUNCTIONS` lists the pool's own
    /// CustomEmailSender / CustomSMSSender: forgot-password encrypts their codes under it (the
    /// template's `PoolSenderKeyArn`, the one key its role may `kms:GenerateDataKey` with).
    POOL_SENDER_KEY_ARN: Unset::Default("none: a listed custom sender is refused at start");
    /// Whether the API functions answer an HTTP `GET` with the reset page (the template's
    /// `ResetPage`); off, a `GET` is 404 Not Found.
    RESET_PAGE: Unset::Default("true");
    /// Whether new passwords are looked up in Have I Been Pwned's range API (k-anonymity: five hex
    /// characters of the password's SHA-1 leave, padded); a breached one is refused.
    PWNED_PASSWORDS: Unset::Default("false");
    /// The range API's base (`{base}/range/{prefix}` is asked).
    PWNED_PASSWORDS_URL: Unset::Default("https://api.pwnedpasswords.com");
    /// How long a range lookup may take, 100-5000 ms (inside the confirm's 8 s deadline).
    PWNED_PASSWORDS_TIMEOUT_MS: Unset::Default("1500");
    /// The Secrets Manager secret holding the code keys (see `config::parse_code_keys`);
    /// exclusive with a literal key.
    CODE_HASH_KEY_SECRET_ARN: Unset::Default("none: the literal key, CODE_HASH_KEY");
    /// The Secrets Manager secret (a plain string) the CloudFront distribution in front of the
    /// HTTP API sends in its `x-origin-verify` header (the template's `EdgeWaf`): an HTTP request
    /// without it is refused (ForbiddenException), and with it the caller is the viewer CloudFront
    /// names in `CloudFront-Viewer-Address`.
    ORIGIN_VERIFY_SECRET_ARN: Unset::Default("none: the API is called directly, sourceIp is the caller");

    // ---- Real delivery (`config::delivery`), with `DELIVERY=aws` and in the custom sender.

    /// The From address, a verified SES identity: `no-reply@example.com` or
    /// `Example <no-reply@example.com>`.
    SES_FROM_ADDRESS: Unset::Required;
    /// An SES configuration set (event publishing, dedicated IPs).
    SES_CONFIGURATION_SET: Unset::Default("none");
    /// A Reply-To address.
    SES_REPLY_TO: Unset::Default("none");
    /// The SMS origination identity: phone number (E.164, id or ARN), pool id or ARN, or sender
    /// id. Needed to send to many countries, the US included.
    SMS_ORIGINATION_IDENTITY: Unset::Default("AWS picks one");
    /// An SMS configuration set.
    SMS_CONFIGURATION_SET: Unset::Default("none");
    /// `true`: SMS are validated by the service but neither sent nor charged.
    SMS_DRY_RUN: Unset::Default("false");
    /// How long the carrier may keep trying to deliver an SMS, 5-259200 seconds.
    SMS_TTL_SECONDS: Unset::Default("600, an SMS code's life");

    // ---- The custom sender's decryption (`config::kms`).

    /// The ARN of the KMS key the user pool encrypts codes with (its `LambdaConfig.KMSKeyID`).
    KMS_KEY_ARN: Unset::Required;
    /// A JSON object of string pairs every code's encryption context must hold.
    KMS_ENCRYPTION_CONTEXT: Unset::Default("no pair required");
    /// A local AES-256 key (base64 of 32 bytes) the custom sender unwraps codes' data keys with
    /// instead of KMS: the Encryption SDK's raw AES keyring (`config::local_key` names its namespace
    /// and name), for `sam local` and tests (`events/local-env.json`). Exclusive with
    /// `KMS_KEY_ARN`; warned about at start; the template declares it empty and never sets it.
    SENDER_LOCAL_KEY: Unset::Default("none: KMS_KEY_ARN's key");

    // ---- The migration source: the UserMigration function, and ForgotPassword's migration.

    /// The UserMigration function's source: `dynamodb` or `memory`.
    MIGRATION_SOURCE: Unset::Default("dynamodb");
    /// The source user table.
    SOURCE_TABLE: Unset::Default("none, refused by MIGRATION_SOURCE=dynamodb");
    /// Its partition key (a string): what the user signs in with.
    SOURCE_KEY: Unset::Default("username");
    /// The attribute holding the argon2 or bcrypt hash.
    SOURCE_PASSWORD_HASH_ATTRIBUTE: Unset::Default("password_hash");
    /// JSON object, Cognito attribute name -> item attribute name.
    SOURCE_ATTRIBUTES: Unset::Default("the standard attributes under their own names");
    /// A global secondary index keyed by the mapped `email`, for email logins.
    SOURCE_EMAIL_INDEX: Unset::Default("no lookup by email");
    /// Treat the source contacts as verified when an item carries no `*_verified` flag.
    SOURCE_ASSUME_VERIFIED: Unset::Default("false");

    // ---- Set by Lambda, not by the template (`lambda_log`).

    /// The function's log level (its `LoggingConfig.ApplicationLogLevel`).
    AWS_LAMBDA_LOG_LEVEL: Unset::Default("RUST_LOG");
    /// A log level or `tracing` directives.
    RUST_LOG: Unset::Default("INFO");
    /// `JSON` or `Text` (its `LoggingConfig.LogFormat`).
    AWS_LAMBDA_LOG_FORMAT: Unset::Default("Text");

    // ---- The AWS SDK configuration (`aws_sdk::load_sdk_config`): set by Lambda, or for an
    // emulator. The functions read exactly these; the runner's `aws` modes (aws-config) also a
    // profile, SSO and the rest of aws-config's chain. The runner's `doctor` reports the endpoints.

    /// The access key of the function's credentials (Lambda sets the execution role's).
    AWS_ACCESS_KEY_ID: Unset::Default("refused by the functions; the runner's aws-config chain");
    /// Its secret key.
    AWS_SECRET_ACCESS_KEY: Unset::Default("refused by the functions; the runner's aws-config chain");
    /// Its session token (a role's temporary credentials carry one).
    AWS_SESSION_TOKEN: Unset::Default("none: long-term keys");
    /// The region to call (Lambda sets the function's).
    AWS_REGION: Unset::Default("AWS_DEFAULT_REGION, else refused by the functions");
    /// The region, when `AWS_REGION` is unset.
    AWS_DEFAULT_REGION: Unset::Default("refused by the functions when AWS_REGION is unset too");
    /// PEM certificates the functions trust beside Amazon's compiled-in roots (a TLS emulator or
    /// proxy; the runner trusts the system's store instead).
    AWS_CA_BUNDLE: Unset::Default("Amazon's roots alone");
    /// `true`: AWS's FIPS endpoints.
    AWS_USE_FIPS_ENDPOINT: Unset::Default("false");
    /// `true`: AWS's dual-stack (IPv4 and IPv6) endpoints.
    AWS_USE_DUALSTACK_ENDPOINT: Unset::Default("false");
    /// `true`: every `AWS_ENDPOINT_URL*` below is ignored.
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: Unset::Default("false");
    /// Every AWS service at one endpoint (an emulator).
    AWS_ENDPOINT_URL: Unset::Default("AWS");
    /// SES v2 at another endpoint.
    AWS_ENDPOINT_URL_SESV2: Unset::Default("AWS_ENDPOINT_URL, else AWS");
    /// End User Messaging SMS v2 at another endpoint.
    AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2: Unset::Default("AWS_ENDPOINT_URL, else AWS");
    /// DynamoDB at another endpoint.
    AWS_ENDPOINT_URL_DYNAMODB: Unset::Default("AWS_ENDPOINT_URL, else AWS");
    /// The user pool (Cognito Identity Provider) at another endpoint.
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: Unset::Default("AWS_ENDPOINT_URL, else AWS");
    /// Secrets Manager at another endpoint.
    AWS_ENDPOINT_URL_SECRETS_MANAGER: Unset::Default("AWS_ENDPOINT_URL, else AWS");
    /// KMS at another endpoint.
    AWS_ENDPOINT_URL_KMS: Unset::Default("AWS_ENDPOINT_URL, else AWS");

    // ---- The local runner's options (`src/main.rs`), beside the names above it shares.

    /// `--host`.
    RESET_HOST: Unset::Default("127.0.0.1");
    /// `--port`.
    RESET_PORT: Unset::Default("9229");
    /// `--config`: a pool file.
    RESET_CONFIG: Unset::Default("the bundled demo pool");
    /// `--outbox`.
    RESET_OUTBOX: Unset::Default("the pool file's Outbox.Path");
    /// `--store`.
    RESET_STORE: Unset::Default("memory");
    /// `--directory`.
    RESET_DIRECTORY: Unset::Default("the same as --store");
    /// `--delivery`.
    RESET_DELIVERY: Unset::Default("outbox");
    /// `--cors-origins`: the origins a browser app may call from, comma-separated
    /// (`https://app.example.com,http://localhost:3000`), or `*`; the template's
    /// `CorsAllowedOrigins` for the deployed API.
    RESET_CORS_ORIGINS: Unset::Default("*: any origin, as Cognito's public endpoint");
}

/// The variable of that name in the list.
pub fn variable(name: &str) -> Option<&'static Variable> {
    ALL.iter().find(|v| v.name == name)
}

/// The process environment; a variable that is not valid Unicode counts as unset.
pub fn process(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The environment as readers see it, with the typed parsers.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Env<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self { lookup }
    }

    /// The value exactly as given.
    pub fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }

    /// A non-empty string (a name, a table, an ARN), trimmed; blank is unset.
    pub fn text(&self, name: &str) -> Option<String> {
        self.raw(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// `text` as a comma-separated list, empty entries left out.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.text(name)
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `text`, or an error saying why it is needed.
    pub fn required(&self, name: &str, why: &str) -> Result<String, ConfigError> {
        self.text(name).ok_or_else(|| ConfigError::new(name, why))
    }

    /// `true` or `false`, in any case.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.text(name) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ConfigError::new(
                name,
                format!("{v:?} is neither true nor false"),
            )),
        }
    }

    /// A whole number in `range`.
    pub fn number<T>(
        &self,
        name: &str,
        range: RangeInclusive<T>,
        default: T,
    ) -> Result<T, ConfigError>
    where
        T: TryFrom<u64> + PartialOrd + Display + Copy,
    {
        let Some(v) = self.text(name) else {
            return Ok(default);
        };
        let n = v
            .parse::<u64>()
            .map_err(|_| ConfigError::new(name, format!("{v:?} is not a number")))?;
        T::try_from(n)
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                ConfigError::new(
                    name,
                    format!("{v} is out of range ({} to {})", range.start(), range.end()),
                )
            })
    }

    /// One of a fixed set of spellings, in any case.
    pub fn choice<T: Copy>(
        &self,
        name: &str,
        set: &Spellings<T>,
    ) -> Result<Option<T>, ConfigError> {
        self.text(name).map(|v| set.read(name, &v)).transpose()
    }

    /// A comma-separated list of `choice`s, in order; blank items are skipped.
    pub fn choices<T: Copy>(&self, name: &str, set: &Spellings<T>) -> Result<Vec<T>, ConfigError> {
        self.text(name)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|v| set.read(name, v))
            .collect()
    }

    /// A JSON value; `expected` describes its shape in the error.
    pub fn json<T: DeserializeOwned>(
        &self,
        name: &str,
        expected: &str,
    ) -> Result<Option<T>, ConfigError> {
        self.text(name)
            .map(|v| {
                serde_json::from_str(&v)
                    .map_err(|e| ConfigError::new(name, format!("{expected}: {e}")))
            })
            .transpose()
    }

    /// The JSON file at the path the variable names (errors name the path), or, when the value
    /// starts with `[` or `{`, the JSON itself.
    pub fn json_file<T: DeserializeOwned>(
        &self,
        name: &str,
        expected: &str,
    ) -> Result<Option<T>, ConfigError> {
        self.text(name)
            .map(|path| {
                // The JSON itself, where no file can be shipped (`sam local`'s `--env-vars`).
                if path.starts_with(['[', '{']) {
                    return serde_json::from_str(&path)
                        .map_err(|e| ConfigError::new(name, format!("{expected}: {e}")));
                }
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| ConfigError::new(name, format!("{path}: {e}")))?;
                serde_json::from_str(&text)
                    .map_err(|e| ConfigError::new(name, format!("{path}: {expected}: {e}")))
            })
            .transpose()
    }
}

/// The values a `choice` may take, each by its spelling; `what` names the set in an error
/// (`a known store`).
pub struct Spellings<T: 'static> {
    pub what: &'static str,
    pub values: &'static [(&'static str, T)],
}

impl<T: Copy> Spellings<T> {
    fn read(&self, name: &str, value: &str) -> Result<T, ConfigError> {
        self.values
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(value))
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let known: Vec<&str> = self.values.iter().map(|(s, _)| *s).collect();
                ConfigError::new(
                    name,
                    format!("{value:?} is not {} ({})", self.what, known.join(", ")),
                )
            })
    }
}

/// An environment for tests: the given pairs and nothing else.
#[cfg(test)]
pub(crate) fn test_env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn every_name_is_listed_once() {
        let mut names: Vec<&str> = ALL.iter().map(|v| v.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert_eq!(
            variable(SIGN_OUT_ON_RESET).map(|v| v.name),
            Some("SIGN_OUT_ON_RESET")
        );
    }

    #[test]
    fn each_kind_parses_and_names_the_variable_it_refuses() {
        let lookup = test_env(&[
            ("BLANK", "  "),
            ("YES", " TRUE "),
            ("WORD", "yes"),
            ("N", " 42 "),
            ("BIG", "300"),
            ("KIND", "Dynamodb"),
            ("LIST", "a, ,b"),
            ("JSON", "[1]"),
        ]);
        let env = Env::new(&lookup);
        assert_eq!(env.text("BLANK"), None);
        assert_eq!(env.flag("BLANK", true), Ok(true));
        assert_eq!(env.flag("YES", false), Ok(true));
        assert_eq!(
            env.flag("WORD", false).map_err(|e| e.setting),
            Err("WORD".into())
        );
        assert_eq!(env.number("N", 0u8..=u8::MAX, 1), Ok(42));
        assert_eq!(env.number("UNSET", 0u8..=u8::MAX, 1), Ok(1));
        assert!(env.number::<u8>("BIG", 0..=u8::MAX, 1).is_err());
        assert!(env.number::<u32>("WORD", 0..=9, 1).is_err());
        let kinds = Spellings {
            what: "a store",
            values: &[("memory", 1), ("dynamodb", 2)],
        };
        assert_eq!(env.choice("KIND", &kinds), Ok(Some(2)));
        assert_eq!(env.choice("UNSET", &kinds), Ok(None));
        let err = env.choice("WORD", &kinds).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid setting WORD: "yes" is not a store (memory, dynamodb)"#
        );
        let letters = Spellings {
            what: "a letter",
            values: &[("a", 'a'), ("b", 'b')],
        };
        assert_eq!(env.choices("LIST", &letters), Ok(vec!['a', 'b']));
        assert_eq!(env.json::<Vec<u8>>("JSON", "a list"), Ok(Some(vec![1])));
        assert!(env.json::<Vec<u8>>("WORD", "a list").is_err());
    }

    #[test]
    fn a_json_file_setting_takes_the_json_itself_or_a_path() {
        let path = std::env::temp_dir().join(format!("json-file-{}.json", std::process::id()));
        std::fs::write(&path, "[2]").unwrap();
        let path = path.display().to_string();
        let lookup = test_env(&[
            ("INLINE", " [1] "),
            ("OBJECT", r#"{"a":1}"#),
            ("PATH", &path),
            ("BROKEN", "[1"),
            ("MISSING", "/nonexistent/users.json"),
        ]);
        let env = Env::new(&lookup);
        assert_eq!(
            env.json_file::<Vec<u8>>("INLINE", "a list"),
            Ok(Some(vec![1]))
        );
        assert_eq!(
            env.json_file::<Vec<u8>>("PATH", "a list"),
            Ok(Some(vec![2]))
        );
        let object: Option<BTreeMap<String, u8>> = env.json_file("OBJECT", "a map").unwrap();
        assert_eq!(object.unwrap()["a"], 1);
        for refused in ["BROKEN", "MISSING"] {
            let err = env.json_file::<Vec<u8>>(refused, "a list").unwrap_err();
            assert_eq!(err.setting, refused);
        }
        std::fs::remove_file(&path).unwrap();
    }
}
