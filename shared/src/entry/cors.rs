//! What browsers are told about cross-origin calls: the runner applies these settings and the
//! template's HTTP API declares them (`tests/agreement/template.rs` holds the template to them).
//! The API takes no cookies and no credentials, so, as on Cognito's public endpoint, any origin is
//! allowed unless a list narrows it.

use crate::config::ConfigError;

/// The methods a preflight allows: the protocol's POST and the preflight itself.
pub const ALLOW_METHODS: [&str; 2] = ["POST", "OPTIONS"];

/// The request headers the AWS SDKs (v3 for JavaScript, in a browser), Amplify and
/// amazon-cognito-identity-js send, in lower case.
pub const ALLOW_HEADERS: [&str; 9] = [
    "content-type",
    "x-amz-target",
    "x-amz-user-agent",
    "x-amz-date",
    "x-amz-security-token",
    "authorization",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "cache-control",
];

/// The answer headers a page's script may read: the SDKs put the request id in `$metadata` and
/// read the error type from the header when the body lacks it; the reset page reads when a
/// limited user may try again.
pub const EXPOSE_HEADERS: [&str; 5] = [
    "x-amzn-requestid",
    "x-amzn-errortype",
    "x-amzn-errormessage",
    "date",
    "retry-after",
];

/// How long a browser may reuse a preflight's answer (Chromium caps it at two hours).
pub const MAX_AGE_SECONDS: u32 = 7200;

/// Every origin: `Access-Control-Allow-Origin: *`.
pub const ANY_ORIGIN: &str = "*";

/// The origins allowed to call the API from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    Any,
    /// Exact origins (`https://app.example.com`, `http://localhost:3000`); the others get no
    /// `Access-Control-Allow-Origin`, so their browser refuses the call.
    List(Vec<String>),
}

impl AllowedOrigins {
    /// `*` (alone) or a list of `scheme://host[:port]` origins; `setting` names the flag or
    /// variable in an error. Nothing given is any origin.
    pub fn parse<S: AsRef<str>>(setting: &str, values: &[S]) -> Result<Self, ConfigError> {
        let values: Vec<&str> = values
            .iter()
            .map(|v| v.as_ref().trim())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() || values == [ANY_ORIGIN] {
            return Ok(Self::Any);
        }
        let mut origins = Vec::with_capacity(values.len());
        for value in values {
            if value == ANY_ORIGIN {
                return Err(ConfigError::new(
                    setting,
                    "`*` allows every origin and cannot be listed with others",
                ));
            }
            if !is_origin(value) {
                return Err(ConfigError::new(
                    setting,
                    format!(
                        "{value:?} is not an origin (scheme://host[:port], no path), \
                         e.g. https://app.example.com"
                    ),
                ));
            }
            origins.push(value.to_ascii_lowercase());
        }
        Ok(Self::List(origins))
    }
}

/// `http(s)://host[:port]`: what a browser sends in `Origin` and API Gateway accepts.
fn is_origin(value: &str) -> bool {
    let Some(rest) = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
    else {
        return false;
    };
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_origin_unless_a_list_narrows_it() {
        let none: [&str; 0] = [];
        assert_eq!(AllowedOrigins::parse("X", &none), Ok(AllowedOrigins::Any));
        assert_eq!(
            AllowedOrigins::parse("X", &[" * "]),
            Ok(AllowedOrigins::Any)
        );
        assert_eq!(
            AllowedOrigins::parse("X", &["https://App.example.com", "http://localhost:3000"]),
            Ok(AllowedOrigins::List(vec![
                "https://app.example.com".into(),
                "http://localhost:3000".into()
            ]))
        );
        for bad in [
            "app.example.com",
            "https://app.example.com/",
            "https://app.example.com/reset",
            "ftp://example.com",
            "https://",
            "https://example.com:0",
            "https://example.com:99999",
        ] {
            let err = AllowedOrigins::parse("RESET_CORS_ORIGINS", &[bad]).unwrap_err();
            assert_eq!(err.setting, "RESET_CORS_ORIGINS", "{bad}");
        }
        assert!(AllowedOrigins::parse("X", &["*", "https://a.example"]).is_err());
    }
}
