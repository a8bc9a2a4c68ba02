//! The one AWS SDK configuration every process loads (the functions, the runner and its tools,
//! `doctor`): region, credentials and endpoint from the environment (`AWS_ENDPOINT_URL` and the
//! per-service `AWS_ENDPOINT_URL_*`, as the tests point it at emulators), with bounded calls.
//!
//! Two loaders, one configuration. A Lambda function's credentials are its environment's
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`: the execution role's, set
//! by Lambda) and its region is `AWS_REGION`, so by default [`load_sdk_config`] builds the
//! `SdkConfig` from exactly those ([`from_environment`]), without aws-config's provider chains
//! (profile files, SSO, web identity and assume-role through STS, ECS and IMDS), which cost the
//! functions CPU at every cold start and their STS client's size, and with one HTTPS client for
//! every SDK client ([`https_client`]: one connector, one parse of its trust store) trusting
//! Amazon's roots compiled in (`amazon_roots.pem`) instead of the system bundle. With the
//! `aws-config` feature (the local runner's `aws` modes and its tools, run with a developer's
//! profile) an environment without keys or region falls back to aws-config's full default chain,
//! with the SDK's default client.

#[cfg(feature = "aws-sdk")]
pub use aws_types::SdkConfig;

#[cfg(feature = "aws-sdk")]
use crate::config::ConfigError;

/// The process's AWS configuration for the adapters' builders: loaded once, and only when an
/// adapter chosen calls AWS (`Wiring::needs_aws`).
pub struct Aws {
    /// `None`: not needed; `Some(Err)`: needed but refused (no credentials, no region), the
    /// refusal given to the first adapter that asks.
    #[cfg(feature = "aws-sdk")]
    config: Option<Result<SdkConfig, ConfigError>>,
}

impl Aws {
    pub async fn load(needed: bool) -> Self {
        #[cfg(feature = "aws-sdk")]
        let config = if needed {
            Some(load_sdk_config().await)
        } else {
            None
        };
        #[cfg(not(feature = "aws-sdk"))]
        let _ = needed;
        Self {
            #[cfg(feature = "aws-sdk")]
            config,
        }
    }

    /// The configuration, for the adapter `setting` chose; the loader's refusal if it refused.
    #[cfg(feature = "aws-sdk")]
    pub fn config(&self, setting: &str) -> Result<&SdkConfig, ConfigError> {
        match &self.config {
            Some(Ok(config)) => Ok(config),
            Some(Err(refused)) => Err(refused.clone()),
            None => Err(ConfigError::new(setting, "no AWS configuration")),
        }
    }
}

/// The process's AWS configuration, every call bounded by [`timeouts`] and retried at most three
/// times in all: [`from_environment`] on the process environment when it holds keys and a region
/// (as Lambda's always does); otherwise, with the `aws-config` feature (a developer's runner with a
/// profile), aws-config's default chain. Without that feature, refused naming the variables.
/// Chosen at run time, not by the feature alone, so a build with every feature (the tests') runs
/// the functions on the same loader a deployment does.
#[cfg(feature = "aws-sdk")]
pub async fn load_sdk_config() -> Result<SdkConfig, ConfigError> {
    #[cfg(feature = "aws-config")]
    if !lean::holds_keys_and_region(&crate::config::env::process) {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .timeout_config(timeouts())
            .retry_config(retries())
            .load()
            .await;
        // aws-config takes a blank `AWS_ENDPOINT_URL_<SERVICE>` as an endpoint (every call then
        // fails); blank means AWS's own, as the template declares them. A profile's global
        // `endpoint_url` still applies (the configuration's own endpoint), its per-service ones not.
        return Ok(config
            .to_builder()
            .service_config(lean::environment_endpoints(crate::config::env::process)?)
            .build());
    }
    from_environment(crate::config::env::process)
}

#[cfg(feature = "aws-sdk")]
pub use lean::{AMAZON_ROOTS, from_environment, https_client};

/// The configuration built from the environment alone, as a Lambda function has it.
#[cfg(feature = "aws-sdk")]
mod lean {
    use std::fmt;
    use std::sync::Arc;

    use aws_credential_types::Credentials;
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
    use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
    use aws_smithy_http_client::{Builder, ConnectorBuilder, proxy::ProxyConfig};
    use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
    use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_types::region::Region;
    use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    use super::{SdkConfig, retries, timeouts};
    use crate::config::ConfigError;
    use crate::config::env::{
        AWS_ACCESS_KEY_ID, AWS_CA_BUNDLE, AWS_DEFAULT_REGION, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS,
        AWS_REGION, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_USE_DUALSTACK_ENDPOINT,
        AWS_USE_FIPS_ENDPOINT, Env,
    };

    /// Amazon Trust Services' roots (Amazon Root CA 1 to 4, Starfield Services Root CA G2), which
    /// every AWS service endpoint chains to, with their fingerprints.
    pub const AMAZON_ROOTS: &[u8] = include_bytes!("amazon_roots.pem");

    type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

    /// Whether `env` holds what [`from_environment`] needs: an access key, its secret and a region.
    #[cfg(feature = "aws-config")]
    pub(super) fn holds_keys_and_region(env: &impl Fn(&str) -> Option<String>) -> bool {
        let vars = Env::new(env);
        vars.text(AWS_ACCESS_KEY_ID).is_some()
            && vars.text(AWS_SECRET_ACCESS_KEY).is_some()
            && (vars.text(AWS_REGION).is_some() || vars.text(AWS_DEFAULT_REGION).is_some())
    }

    /// The `SdkConfig` of `env` (the process environment in production): the static
    /// credentials of `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, the
    /// region of `AWS_REGION` (else `AWS_DEFAULT_REGION`), each service's endpoint from
    /// `AWS_ENDPOINT_URL_<SERVICE>` else `AWS_ENDPOINT_URL` (else AWS's own; none with
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), AWS's FIPS and dual-stack endpoints when
    /// `AWS_USE_FIPS_ENDPOINT` / `AWS_USE_DUALSTACK_ENDPOINT` say so (aws-config's other
    /// environment settings are not read), one [`https_client`] for every client, the
    /// SDK's default sleep and clock. No credentials are fetched and no file is read (but
    /// `AWS_CA_BUNDLE`, when set): refused, naming the variable, when the keys or the region are
    /// missing or the bundle unusable.
    pub fn from_environment(
        env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Result<SdkConfig, ConfigError> {
        let env: Lookup = Arc::new(env);
        let vars = Env::new(&*env);
        let no_credentials = || {
            ConfigError::new(
                AWS_ACCESS_KEY_ID,
                format!(
                    "{AWS_ACCESS_KEY_ID} and {AWS_SECRET_ACCESS_KEY} (with {AWS_SESSION_TOKEN} for \
                     a role's) must be set: this build takes its credentials from the environment \
                     only, as Lambda sets them (aws-config's profiles and providers are the \
                     `aws-config` feature's)"
                ),
            )
        };
        let access_key = vars.text(AWS_ACCESS_KEY_ID).ok_or_else(no_credentials)?;
        let secret_key = vars
            .text(AWS_SECRET_ACCESS_KEY)
            .ok_or_else(no_credentials)?;
        let region = vars
            .text(AWS_REGION)
            .or_else(|| vars.text(AWS_DEFAULT_REGION))
            .ok_or_else(|| {
                ConfigError::new(
                    AWS_REGION,
                    format!("not set, nor {AWS_DEFAULT_REGION}: the AWS region to call"),
                )
            })?;
        let credentials = Credentials::new(
            access_key,
            secret_key,
            vars.text(AWS_SESSION_TOKEN),
            None,
            "Environment",
        );
        let extra_roots = match vars.text(AWS_CA_BUNDLE) {
            Some(path) => Some(std::fs::read(&path).map_err(|e| {
                ConfigError::new(AWS_CA_BUNDLE, format!("cannot read {path}: {e}"))
            })?),
            None => None,
        };
        let http = https_client(extra_roots.as_deref())
            .map_err(|problem| ConfigError::new(AWS_CA_BUNDLE, problem))?;
        let use_fips = vars.flag(AWS_USE_FIPS_ENDPOINT, false)?;
        let use_dual_stack = vars.flag(AWS_USE_DUALSTACK_ENDPOINT, false)?;
        let endpoints = EnvironmentEndpoints {
            ignore: vars.flag(AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, false)?,
            env,
        };
        Ok(SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .use_fips(use_fips)
            .use_dual_stack(use_dual_stack)
            .http_client(http)
            .region(Region::new(region))
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .timeout_config(timeouts())
            .retry_config(retries())
            .service_config(endpoints)
            .build())
    }

    /// The SDK's default HTTPS client (hyper, rustls on aws-lc, proxies from the environment, as
    /// `aws_smithy_runtime`'s `default_https_client` builds it) trusting [`AMAZON_ROOTS`] and
    /// `extra` (PEM certificates: `AWS_CA_BUNDLE`'s) instead of the system's bundle. Shared by
    /// every SDK client of the configuration, so its one connector (the clients' connect and read
    /// timeouts are the same) parses the roots once per process, not once per client. `Err`: a
    /// certificate of `extra` that is not PEM or not a usable root (the SDK would panic on it;
    /// [`AMAZON_ROOTS`] are held to the same by a test).
    pub fn https_client(extra: Option<&[u8]>) -> Result<SharedHttpClient, String> {
        let mut roots = TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(AMAZON_ROOTS);
        if let Some(pem) = extra {
            usable_roots(pem)?;
            roots = roots.with_pem_certificate(pem);
        }
        let tls = TlsContext::builder()
            .with_trust_store(roots)
            .build()
            .map_err(|e| e.to_string())?;
        let client = Builder::new().build_with_connector_fn(move |settings, components| {
            let mut connector = ConnectorBuilder::default()
                .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
                .tls_context(tls.clone());
            connector.set_connector_settings(settings.cloned());
            if let Some(components) = components {
                connector.set_sleep_impl(components.sleep_impl());
            }
            connector.set_proxy_config(Some(ProxyConfig::from_env()));
            connector.build()
        });
        Ok(SharedHttpClient::new(ConnectorOnFirstCall(client)))
    }

    /// The client with its connector made on the first call only. aws-smithy-http-client's
    /// `validate_base_client_config` builds a connector and throws it away, to load the system's
    /// roots when each SDK client is built: five throwaway connectors (a rustls configuration and
    /// a parse of the roots each) for the five clients of an API function's start, where the
    /// roots are compiled in and the first call builds the one connector kept.
    #[derive(Debug)]
    struct ConnectorOnFirstCall(SharedHttpClient);

    impl HttpClient for ConnectorOnFirstCall {
        fn http_connector(
            &self,
            settings: &HttpConnectorSettings,
            components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            self.0.http_connector(settings, components)
        }

        fn connector_metadata(&self) -> Option<ConnectorMetadata> {
            self.0.connector_metadata()
        }
    }

    /// At least one certificate in `pem`, each one rustls takes as a trust anchor.
    pub(super) fn usable_roots(pem: &[u8]) -> Result<(), String> {
        let mut store = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| format!("not a PEM certificate bundle: {e}"))?;
            store
                .add(cert)
                .map_err(|e| format!("a certificate is not a usable root: {e}"))?;
        }
        if store.is_empty() {
            return Err("no PEM certificate in it".into());
        }
        Ok(())
    }

    /// [`EnvironmentEndpoints`] of `env`.
    #[cfg(feature = "aws-config")]
    pub(super) fn environment_endpoints(
        env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Result<impl LoadServiceConfig + 'static, ConfigError> {
        let env: Lookup = Arc::new(env);
        let ignore = Env::new(&*env).flag(AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, false)?;
        Ok(EnvironmentEndpoints { env, ignore })
    }

    /// Each client's endpoint, as aws-config resolves it from the environment: the service's own
    /// `AWS_ENDPOINT_URL_<SERVICE_ID>` (the SDK's service id upper-cased, spaces as underscores:
    /// `DYNAMODB`, `COGNITO_IDENTITY_PROVIDER`, `SECRETS_MANAGER`, `SESV2`,
    /// `PINPOINT_SMS_VOICE_V2`, `KMS`), else `AWS_ENDPOINT_URL`. Blank is unset.
    struct EnvironmentEndpoints {
        env: Lookup,
        ignore: bool,
    }

    impl LoadServiceConfig for EnvironmentEndpoints {
        fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
            if self.ignore {
                return None;
            }
            let service = key.service_id().to_uppercase().replace(' ', "_");
            let vars = Env::new(&*self.env);
            vars.text(&format!("{}_{service}", key.env()))
                .or_else(|| vars.text(key.env()))
        }
    }

    impl fmt::Debug for EnvironmentEndpoints {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("EnvironmentEndpoints")
                .field("ignore", &self.ignore)
                .finish_non_exhaustive()
        }
    }
}

/// At most three attempts in all, with the SDK's standard backoff.
#[cfg(feature = "aws-sdk")]
fn retries() -> aws_types::sdk_config::RetryConfig {
    aws_types::sdk_config::RetryConfig::standard().with_max_attempts(3)
}

/// The retries of a service whose quotas are the account's, shared by every container (Cognito's
/// user pool API): at most two attempts, the second after a short full-jitter pause (at most
/// 200 ms, then 400 ms), so a storm's throttles cost the quota at most twice and a throttle past
/// that is answered at once, TooManyRequestsException, for the caller to retry. Not the SDK's
/// adaptive mode: its client-side limiter, once throttled, delayed a container's next call past
/// the call's 3 s bound (measured by the storm test), and a timeout is an InternalError, not a
/// throttle.
#[cfg(feature = "aws-sdk")]
pub fn shared_quota_retries() -> aws_types::sdk_config::RetryConfig {
    use std::time::Duration;
    aws_types::sdk_config::RetryConfig::standard()
        .with_max_attempts(2)
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_millis(400))
}

/// Every AWS call's bounds: the SDK has none by default, so a stalled connection would hold a
/// function until Lambda kills it (10 s), with no answer and nothing logged. Each call (its
/// retries included) ends within 3 s, each attempt within 2 s; the calls that must not be retried
/// or that retry on their own deadline (the reset's password change and sign-out) set their own.
#[cfg(feature = "aws-sdk")]
fn timeouts() -> aws_types::sdk_config::TimeoutConfig {
    use std::time::Duration;
    aws_types::sdk_config::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(3))
        .build()
}

#[cfg(all(test, feature = "aws-sdk"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::HashMap;

    use aws_types::service_config::ServiceConfigKey;

    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    const KEYS: [(&str, &str); 3] = [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_REGION", "eu-west-1"),
    ];

    fn endpoint(config: &SdkConfig, service_id: &str) -> Option<String> {
        let key = ServiceConfigKey::builder()
            .service_id(service_id)
            .env("AWS_ENDPOINT_URL")
            .profile("endpoint_url")
            .build()
            .unwrap();
        config.service_config().unwrap().load_config(key)
    }

    #[test]
    fn the_amazon_roots_are_five_usable_anchors() {
        lean::usable_roots(AMAZON_ROOTS).unwrap();
        use rustls::pki_types::pem::PemObject;
        let count = rustls::pki_types::CertificateDer::pem_slice_iter(AMAZON_ROOTS).count();
        assert_eq!(count, 5);
    }

    #[cfg(feature = "aws-config")]
    #[test]
    fn the_chain_is_asked_only_when_the_environment_lacks_keys_or_region() {
        assert!(lean::holds_keys_and_region(&env(&KEYS)));
        assert!(lean::holds_keys_and_region(&env(&[
            KEYS[0],
            KEYS[1],
            ("AWS_DEFAULT_REGION", "ap-south-1")
        ])));
        assert!(!lean::holds_keys_and_region(&env(&KEYS[..2])));
        assert!(!lean::holds_keys_and_region(&env(&[KEYS[0], KEYS[2]])));
        assert!(!lean::holds_keys_and_region(&env(&[
            ("AWS_ACCESS_KEY_ID", " "),
            KEYS[1],
            KEYS[2]
        ])));
    }

    #[test]
    fn without_keys_or_region_the_environment_is_refused_by_name() {
        let refused = from_environment(env(&[("AWS_REGION", "eu-west-1")])).unwrap_err();
        assert_eq!(refused.setting, "AWS_ACCESS_KEY_ID");
        assert!(
            refused.problem.contains("AWS_SECRET_ACCESS_KEY"),
            "{refused}"
        );
        let refused = from_environment(env(&[
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", " "),
            ("AWS_REGION", "eu-west-1"),
        ]))
        .unwrap_err();
        assert_eq!(refused.setting, "AWS_ACCESS_KEY_ID");
        let refused = from_environment(env(&KEYS[..2])).unwrap_err();
        assert_eq!(refused.setting, "AWS_REGION");
    }

    #[test]
    fn region_and_credentials_come_from_the_environment() {
        let config = from_environment(env(&KEYS)).unwrap();
        assert_eq!(config.region().unwrap().as_ref(), "eu-west-1");
        let config = from_environment(env(&[
            KEYS[0],
            KEYS[1],
            ("AWS_DEFAULT_REGION", "ap-south-1"),
            ("AWS_SESSION_TOKEN", "token"),
        ]))
        .unwrap();
        assert_eq!(config.region().unwrap().as_ref(), "ap-south-1");
        assert!(config.credentials_provider().is_some());
        assert!(config.http_client().is_some());
        assert!(config.behavior_version().is_some());
        assert_eq!(config.use_fips(), Some(false));
        let config = from_environment(env(&[
            KEYS[0],
            KEYS[1],
            KEYS[2],
            ("AWS_USE_FIPS_ENDPOINT", "true"),
            ("AWS_USE_DUALSTACK_ENDPOINT", "TRUE"),
        ]))
        .unwrap();
        assert_eq!(config.use_fips(), Some(true));
        assert_eq!(config.use_dual_stack(), Some(true));
        let refused = from_environment(env(&[
            KEYS[0],
            KEYS[1],
            KEYS[2],
            ("AWS_USE_FIPS_ENDPOINT", "yes"),
        ]))
        .unwrap_err();
        assert_eq!(refused.setting, "AWS_USE_FIPS_ENDPOINT");
    }

    #[tokio::test]
    async fn the_credentials_are_the_keys_and_token() {
        use aws_credential_types::provider::ProvideCredentials;
        let config = from_environment(env(&[
            KEYS[0],
            KEYS[1],
            KEYS[2],
            ("AWS_SESSION_TOKEN", "tok"),
        ]))
        .unwrap();
        let credentials = config
            .credentials_provider()
            .unwrap()
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!(credentials.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(credentials.secret_access_key(), "secret");
        assert_eq!(credentials.session_token(), Some("tok"));
    }

    #[test]
    fn each_service_takes_its_own_endpoint_else_the_common_one() {
        let config = from_environment(env(&[
            KEYS[0],
            KEYS[1],
            KEYS[2],
            ("AWS_ENDPOINT_URL", "http://common"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://dynamodb"),
            ("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", "http://sms"),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", " "),
        ]))
        .unwrap();
        assert_eq!(
            endpoint(&config, "DynamoDB").as_deref(),
            Some("http://dynamodb")
        );
        assert_eq!(
            endpoint(&config, "Pinpoint SMS Voice V2").as_deref(),
            Some("http://sms")
        );
        // Blank is unset.
        assert_eq!(
            endpoint(&config, "Secrets Manager").as_deref(),
            Some("http://common")
        );
        assert_eq!(endpoint(&config, "SESv2").as_deref(), Some("http://common"));
        let config = from_environment(env(&KEYS)).unwrap();
        assert_eq!(endpoint(&config, "DynamoDB"), None);
        let config = from_environment(env(&[
            KEYS[0],
            KEYS[1],
            KEYS[2],
            ("AWS_ENDPOINT_URL", "http://common"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]))
        .unwrap();
        assert_eq!(endpoint(&config, "DynamoDB"), None);
    }

    /// The template declares every endpoint variable empty (so `sam local --env-vars` can point a
    /// function at an emulator): empty is AWS's own endpoint, on either loader.
    #[test]
    fn empty_endpoint_variables_are_aws_own_endpoints() {
        let blank: Vec<(&str, &str)> = crate::config::env::ALL
            .iter()
            .map(|v| v.name)
            .filter(|n| n.starts_with("AWS_ENDPOINT_URL"))
            .map(|n| (n, ""))
            .collect();
        assert!(blank.len() >= 7, "{blank:?}");
        let with_keys: Vec<(&str, &str)> = KEYS.iter().copied().chain(blank.clone()).collect();
        let config = from_environment(env(&with_keys)).unwrap();
        for service in [
            "DynamoDB",
            "SESv2",
            "KMS",
            "Secrets Manager",
            "Cognito Identity Provider",
        ] {
            assert_eq!(endpoint(&config, service), None, "{service}");
        }
        #[cfg(feature = "aws-config")]
        {
            use aws_types::service_config::LoadServiceConfig;
            let key = |service_id: &'static str| {
                ServiceConfigKey::builder()
                    .service_id(service_id)
                    .env("AWS_ENDPOINT_URL")
                    .profile("endpoint_url")
                    .build()
                    .unwrap()
            };
            let endpoints = lean::environment_endpoints(env(&blank)).unwrap();
            assert_eq!(endpoints.load_config(key("DynamoDB")), None);
            let mut pointed = blank.clone();
            pointed.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"));
            let endpoints = lean::environment_endpoints(env(&pointed)).unwrap();
            assert_eq!(
                endpoints.load_config(key("DynamoDB")).as_deref(),
                Some("http://127.0.0.1:5000")
            );
        }
    }

    #[test]
    fn a_ca_bundle_must_hold_usable_certificates() {
        let dir = std::env::temp_dir().join(format!("ca-bundle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.pem");
        std::fs::write(&good, AMAZON_ROOTS).unwrap();
        let bad = dir.join("bad.pem");
        std::fs::write(&bad, "not a certificate").unwrap();
        let with = |path: &std::path::Path| {
            let path = path.display().to_string();
            from_environment(env(&[KEYS[0], KEYS[1], KEYS[2], ("AWS_CA_BUNDLE", &path)]))
        };
        assert!(with(&good).is_ok());
        for path in [bad, dir.join("missing.pem")] {
            let refused = with(&path).unwrap_err();
            assert_eq!(refused.setting, "AWS_CA_BUNDLE", "{refused}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
