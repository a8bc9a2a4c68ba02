//! The reset page (`web/reset.html`): one static file, served at `GET /` by the runner and by the
//! ForgotPassword function, with its configuration block filled in from the pool it serves (the
//! password policy, an app client without a secret) and a Content-Security-Policy that admits only
//! its own inline script and style, by hash.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::domain::pool::PoolSettings;

/// The page as committed; a static host serves it with its configuration block edited.
pub const TEMPLATE: &str = include_str!("../../../web/reset.html");

const CONFIG_OPEN: &str = r#"<script type="application/json" id="reset-config">"#;
const CLOSE_SCRIPT: &str = "</script>";

/// The page a server sends, and the headers it goes with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub html: String,
    pub content_security_policy: String,
}

pub const CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// The page for `pool`, calling the API on its own origin: the policy the service enforces, and
/// the first app client without a secret (a browser cannot compute a SecretHash); with none, the
/// link must carry `?client_id=`.
pub fn for_pool(pool: &PoolSettings) -> Page {
    let client = pool
        .clients
        .iter()
        .find(|c| c.client_secret.is_none())
        .map(|c| c.client_id.as_str())
        .unwrap_or_default();
    let config = json!({
        "endpoint": "",
        "clientId": client,
        "passwordPolicy": pool.password_policy,
    });
    render(&config)
}

fn render(config: &serde_json::Value) -> Page {
    // Inside a script element only `</script` could end it early: `<`, `>` and `&` go as escapes.
    let block = config
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    let html = match TEMPLATE.split_once(CONFIG_OPEN) {
        Some((head, rest)) => match rest.split_once(CLOSE_SCRIPT) {
            Some((_, tail)) => format!("{head}{CONFIG_OPEN}{block}{CLOSE_SCRIPT}{tail}"),
            None => TEMPLATE.to_string(),
        },
        None => TEMPLATE.to_string(),
    };
    let hash = |open: &str, close: &str| {
        let body = TEMPLATE
            .split_once(open)
            .and_then(|(_, rest)| rest.split_once(close))
            .map(|(body, _)| body)
            .unwrap_or_default();
        format!(
            "'sha256-{}'",
            STANDARD.encode(Sha256::digest(body.as_bytes()))
        )
    };
    let content_security_policy = format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src 'self'; \
         form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        hash("<script>", CLOSE_SCRIPT),
        hash("<style>", "</style>"),
    );
    Page {
        html,
        content_security_policy,
    }
}

impl Page {
    /// The page as an HTTP answer, with its Content-Security-Policy; never cached, never sniffed,
    /// no referrer sent on.
    pub fn response(&self) -> http::Response<String> {
        use http::header::{self, HeaderValue};
        let mut response = http::Response::new(self.html.clone());
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if let Ok(csp) = HeaderValue::from_str(&self.content_security_policy) {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::password::PasswordPolicy;

    #[test]
    fn the_block_carries_the_pool_and_nothing_can_close_the_script_early() {
        let page =
            render(&json!({"endpoint": "", "clientId": "</script><b>", "passwordPolicy": null}));
        assert!(
            page.html
                .contains(r#""clientId":"\u003c/script\u003e\u003cb\u003e""#)
        );
        assert_eq!(page.html.matches(CONFIG_OPEN).count(), 1);
        assert!(!page.html.contains("</script><b>"));
        let policy = PasswordPolicy {
            minimum_length: 12,
            ..PasswordPolicy::default()
        };
        let config = json!({"passwordPolicy": policy});
        assert!(render(&config).html.contains(r#""MinimumLength":12"#));
    }

    #[test]
    fn the_policy_admits_the_inline_script_and_style_by_hash_only() {
        let csp = render(&json!({})).content_security_policy;
        assert!(
            csp.starts_with("default-src 'none'; script-src 'sha256-"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let empty = format!("'sha256-{}'", STANDARD.encode(Sha256::digest(b"")));
        assert!(!csp.contains(&empty), "a tag was not found: {csp}");
    }
}
