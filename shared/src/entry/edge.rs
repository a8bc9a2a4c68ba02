//! The HTTP API behind CloudFront and AWS WAF (the template's `EdgeWaf`): CloudFront adds a secret
//! header to every request it sends the API, so a request without it went around the firewall and
//! is refused; a request with it names its viewer in `CloudFront-Viewer-Address`, which becomes the
//! caller the per-caller limits count (API Gateway's `sourceIp` is then CloudFront's edge).

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;
use subtle::ConstantTimeEq;

use crate::domain::caller::Caller;
use crate::domain::error::CognitoError;

/// The header CloudFront's origin configuration adds, holding the secret.
pub const ORIGIN_VERIFY_HEADER: &str = "x-origin-verify";
/// The viewer's address and port, set by CloudFront (listed in the origin request policy).
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

/// What a request that went around CloudFront is told.
const BYPASSED: &str = "Requests to this endpoint must come through its CloudFront distribution.";

/// The secret CloudFront sends; never shown (`Debug` is redacted).
#[derive(Clone)]
pub struct OriginVerifier {
    secret: Vec<u8>,
}

impl std::fmt::Debug for OriginVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OriginVerifier(<redacted>)")
    }
}

impl OriginVerifier {
    /// `None` for a blank secret: an empty header must never pass.
    pub fn new(secret: &str) -> Option<Self> {
        let secret = secret.trim();
        (!secret.is_empty()).then(|| Self {
            secret: secret.as_bytes().to_vec(),
        })
    }

    /// The caller of a request with these headers, or ForbiddenException when CloudFront did not
    /// send it. The header is compared in constant time; one that is not there compares too, so a
    /// missing header and a wrong one take the same time.
    pub fn caller(&self, headers: &HeaderMap) -> Result<Caller, CognitoError> {
        let sent = headers
            .get(ORIGIN_VERIFY_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !bool::from(sent.ct_eq(&self.secret)) {
            tracing::warn!(
                header = if sent.is_empty() { "missing" } else { "wrong" },
                "request refused: it did not come through CloudFront"
            );
            return Err(CognitoError::Forbidden(BYPASSED.into()));
        }
        Ok(
            match headers.get(VIEWER_ADDRESS_HEADER).and_then(viewer_ip) {
                Some(ip) => Caller::peer(ip),
                None => {
                    tracing::warn!(
                        "CloudFront sent no usable viewer address: no per-network limit"
                    );
                    Caller::unknown()
                }
            },
        )
    }
}

/// The address in `CloudFront-Viewer-Address`: `198.51.100.10:46532`, or IPv6 unbracketed with the
/// port after the last colon (`2001:db8::1:46532`).
fn viewer_ip(value: &http::HeaderValue) -> Option<IpAddr> {
    let text = value.to_str().ok()?.trim();
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    let (ip, port) = text.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    ip.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn a_request_without_the_secret_is_forbidden() {
        let verifier = OriginVerifier::new("s3cret-from-the-stack").unwrap();
        for refused in [
            headers(&[(VIEWER_ADDRESS_HEADER, "198.51.100.10:46532")]),
            headers(&[(ORIGIN_VERIFY_HEADER, "s3cret-from-the-stac")]),
            headers(&[(ORIGIN_VERIFY_HEADER, "s3cret-from-the-stack!")]),
            headers(&[(ORIGIN_VERIFY_HEADER, "")]),
        ] {
            let err = verifier.caller(&refused).unwrap_err();
            assert_eq!(err.kind(), "ForbiddenException");
            assert_eq!(err.http_status(), 403);
        }
        assert!(OriginVerifier::new("  ").is_none());
    }

    #[test]
    fn with_the_secret_the_viewer_is_the_caller() {
        let verifier = OriginVerifier::new("s3cret-from-the-stack").unwrap();
        let secret = (ORIGIN_VERIFY_HEADER, "s3cret-from-the-stack");
        for (sent, ip) in [
            ("198.51.100.10:46532", "198.51.100.10"),
            ("2001:db8:1:2::7:443", "2001:db8:1:2::7"),
            ("[2001:db8::9]:443", "2001:db8::9"),
        ] {
            let caller = verifier
                .caller(&headers(&[secret, (VIEWER_ADDRESS_HEADER, sent)]))
                .unwrap();
            assert_eq!(caller, Caller::peer(ip.parse().unwrap()), "{sent}");
        }
        // No usable viewer address: no network window rather than CloudFront's.
        for odd in ["not-an-address", "198.51.100.10"] {
            let caller = verifier
                .caller(&headers(&[secret, (VIEWER_ADDRESS_HEADER, odd)]))
                .unwrap();
            assert_eq!(caller, Caller::unknown(), "{odd}");
        }
    }

    #[test]
    fn the_secret_never_shows() {
        let verifier = OriginVerifier::new("s3cret-from-the-stack").unwrap();
        assert!(!format!("{verifier:?}").contains("s3cret"));
    }
}
