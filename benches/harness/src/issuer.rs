//! Codes for the right-code confirm runs: the forgot-password bootstrap kept warm under a Runtime
//! API of its own, straight to moto (no proxy, no CPU quota), issues a code for a user; the code is
//! read back from the email moto's SES kept (`/moto-api/data.json`).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::runtime_api::RuntimeApi;

type Error = Box<dyn std::error::Error + Send + Sync>;

pub struct Issuer {
    api: RuntimeApi,
    child: tokio::process::Child,
    upstream: String,
    issued: usize,
}

impl Issuer {
    /// Starts `bootstrap` with `env` (endpoints already at moto) and waits for its first poll.
    pub async fn start(
        bootstrap: &Path,
        env: Vec<(String, String)>,
        upstream: &str,
        log: &Path,
    ) -> Result<Issuer, Error> {
        let mut api = RuntimeApi::start().await?;
        let log = std::fs::File::create(log)?;
        let child = tokio::process::Command::new(bootstrap)
            .env_clear()
            .envs(api.environment("forgot-password", "issuer"))
            .envs(env)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()?;
        tokio::time::timeout(Duration::from_secs(60), api.polls.recv())
            .await?
            .ok_or("the issuer stopped during init")?;
        Ok(Issuer {
            api,
            child,
            upstream: upstream.to_string(),
            issued: 0,
        })
    }

    /// Sends `event` (a ForgotPassword for the user whose address is `email`) and returns the code
    /// of the newest email moto holds for that address.
    pub async fn code(&mut self, event: &Value, email: &str) -> Result<String, Error> {
        self.issued += 1;
        let body = Bytes::from(serde_json::to_vec(event)?);
        self.api
            .events
            .send((format!("issue-{}", self.issued), body))?;
        let outcome = tokio::time::timeout(Duration::from_secs(60), self.api.outcomes.recv())
            .await?
            .ok_or("the issuer stopped")?;
        let answer: Value = serde_json::from_slice(&outcome.body).unwrap_or(Value::Null);
        if !outcome.ok || answer["statusCode"].as_i64().unwrap_or(200) >= 400 {
            return Err(format!(
                "the issuer's ForgotPassword failed: {}",
                String::from_utf8_lossy(&outcome.body)
            )
            .into());
        }
        tokio::time::timeout(Duration::from_secs(60), self.api.polls.recv())
            .await?
            .ok_or("the issuer stopped")?;
        let sent = self.sent_emails().await?;
        let body = sent
            .iter()
            .rev()
            .find(|m| {
                m["destinations"]["ToAddresses"]
                    .as_array()
                    .is_some_and(|to| to.iter().any(|a| a.as_str() == Some(email)))
            })
            .and_then(|m| m["body"].as_str())
            .ok_or_else(|| format!("moto holds no email to {email}"))?;
        code_in(body).ok_or_else(|| format!("no code in the email to {email}").into())
    }

    async fn sent_emails(&self) -> Result<Vec<Value>, Error> {
        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let uri = format!("{}/moto-api/data.json", self.upstream).parse()?;
        let response = client.get(uri).await?;
        let body = response.into_body().collect().await?.to_bytes();
        let data: Value = serde_json::from_slice(&body)?;
        Ok(data["ses"]["Message"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// The digits after "code is " (the template's default message).
fn code_in(body: &str) -> Option<String> {
    let (_, rest) = body.split_once("code is ")?;
    let code: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!code.is_empty()).then_some(code)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_code_is_read_from_the_default_message() {
        let body = "<p>Your password reset code is 429628. It expires in one hour.</p>";
        assert_eq!(super::code_in(body).as_deref(), Some("429628"));
        assert_eq!(super::code_in("no code here"), None);
    }
}
