//! Have I Been Pwned's range API by k-anonymity: of the password's SHA-1 (upper-case hex) only
//! the first five characters leave (`GET {base}/range/{prefix}`, with `Add-Padding: true` so
//! the answer's size does not narrow the range down); the suffixes come back, with how often
//! each was seen, and the password's own suffix is looked up here. Padding lines count 0 and
//! never match. Answers are cached per prefix for a few minutes (`range_cache`). Nothing here
//! logs: the password, its hash, its prefix and the verdict stay out of every log.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sha1::{Digest, Sha1};

use super::range_cache::{Range, RangeCache, Suffix};
use crate::config::ConfigError;
use crate::config::env;
use crate::config::wiring::PwnedPasswordsSettings;
use crate::ports::{BreachCheckError, BreachedPasswords};

/// Hex characters of the SHA-1 that leave: the API's range prefix.
pub const PREFIX_LEN: usize = 5;
/// A padded range is about 800 to 1,000 lines of 40 bytes; anything far larger is not an answer.
const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// How long a range answer is reused: short, as breaches are added daily.
const CACHE_TTL: Duration = Duration::from_secs(300);
/// Ranges kept per container: about 1,000 suffixes of 26 bytes each, so at most a few MB.
const CACHE_CAPACITY: usize = 128;

/// The range API at a base URL, through one HTTPS client (hyper and rustls on aws-lc, as the
/// SDK's own, trusting the system's roots).
pub struct PwnedPasswords {
    base_url: String,
    timeout: Duration,
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    ranges: RangeCache,
}

impl PwnedPasswords {
    /// The client for `settings`; refused, naming `PWNED_PASSWORDS_URL`, when an `https` base
    /// finds no system roots to trust.
    pub fn new(settings: &PwnedPasswordsSettings) -> Result<Self, ConfigError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let tls = match builder.with_provider_and_native_roots(provider.clone()) {
            Ok(tls) => tls,
            // A plain-HTTP base (a stand-in on loopback) needs no roots.
            Err(_) if settings.base_url.starts_with("http://") => {
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(|e| ConfigError::new(env::PWNED_PASSWORDS_URL, e.to_string()))?
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth();
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
            }
            Err(e) => {
                return Err(ConfigError::new(
                    env::PWNED_PASSWORDS_URL,
                    format!("no system root certificates to trust: {e}"),
                ));
            }
        };
        let connector = tls.https_or_http().enable_http1().build();
        Ok(Self {
            base_url: settings.base_url.clone(),
            timeout: settings.timeout,
            client: Client::builder(TokioExecutor::new()).build(connector),
            ranges: RangeCache::new(CACHE_TTL, CACHE_CAPACITY),
        })
    }

    /// The range of `prefix`, from the cache or the API.
    async fn range(&self, prefix: &str) -> Result<Arc<Range>, BreachCheckError> {
        if let Some(range) = self.ranges.get(prefix) {
            return Ok(range);
        }
        let range = tokio::time::timeout(self.timeout, self.fetch(prefix))
            .await
            .map_err(|_| BreachCheckError(format!("no answer within {:?}", self.timeout)))??;
        let range = Arc::new(range);
        self.ranges.insert(prefix, range.clone());
        Ok(range)
    }

    async fn fetch(&self, prefix: &str) -> Result<Range, BreachCheckError> {
        let request = http::Request::get(format!("{}/range/{prefix}", self.base_url))
            .header("Add-Padding", "true")
            .header(http::header::USER_AGENT, "cognito-password-reset")
            .body(Empty::new())
            .map_err(|e| BreachCheckError(format!("request not built: {e}")))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| BreachCheckError(format!("request failed: {e}")))?;
        if response.status() != http::StatusCode::OK {
            return Err(BreachCheckError(format!("status {}", response.status())));
        }
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| BreachCheckError(format!("answer not read: {e}")))?
            .to_bytes();
        let text = std::str::from_utf8(&body)
            .map_err(|_| BreachCheckError("the answer is not text".into()))?;
        Range::parse(text).ok_or_else(|| BreachCheckError("a malformed range answer".into()))
    }
}

#[async_trait::async_trait]
impl BreachedPasswords for PwnedPasswords {
    async fn times_seen(&self, password: &str) -> Result<u64, BreachCheckError> {
        let hash = sha1_hex(password);
        let (prefix, suffix) = hash.split_at(PREFIX_LEN);
        let suffix = Suffix::parse(suffix)
            .ok_or_else(|| BreachCheckError("the digest is not hex".into()))?;
        Ok(self.range(prefix).await?.count(&suffix))
    }
}

/// The password's SHA-1 in upper-case hex, as the API indexes it.
pub fn sha1_hex(password: &str) -> String {
    Sha1::digest(password.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}
