//! SecretHash: Base64(HMAC_SHA256(key = client secret, message = Username + ClientId)).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::error::CognitoError;

type HmacSha256 = Hmac<Sha256>;

/// What a client computes and sends: useful for tests and tooling.
pub fn compute(
    client_secret: &str,
    username: &str,
    client_id: &str,
) -> Result<String, CognitoError> {
    let mac = mac(client_secret, username, client_id)?;
    Ok(STANDARD.encode(mac.finalize().into_bytes()))
}

fn mac(client_secret: &str, username: &str, client_id: &str) -> Result<HmacSha256, CognitoError> {
    let mut mac = HmacSha256::new_from_slice(client_secret.as_bytes()).map_err(|e| {
        tracing::error!(error = %e, "HMAC key rejected");
        CognitoError::InternalError
    })?;
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    Ok(mac)
}

/// Checks the SecretHash a request carries against the app client's secret, in constant time.
/// A client without a secret ignores the field, as Cognito does.
pub fn verify(
    client_secret: Option<&str>,
    client_id: &str,
    username: &str,
    presented: Option<&str>,
) -> Result<(), CognitoError> {
    let Some(secret) = client_secret else {
        return Ok(());
    };
    let refused = || {
        CognitoError::NotAuthorized(format!(
            "Unable to verify secret hash for client {client_id}"
        ))
    };
    let presented = presented.ok_or_else(refused)?;
    let decoded = STANDARD.decode(presented).map_err(|_| refused())?;
    mac(secret, username, client_id)?
        .verify_slice(&decoded)
        .map_err(|_| refused())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        // HMAC-SHA256(key="secret", "janeclient") computed independently (Python hmac).
        let got = compute("secret", "jane", "client").unwrap();
        assert_eq!(got, "MRPITOHaaXF3U2mXQ8u/9mU3u+IhlYGP0cF9VpZjE5M=");
    }

    #[test]
    fn verify_accepts_right_and_refuses_wrong_or_missing() {
        let good = compute("s3cr3t", "jane", "cid").unwrap();
        assert!(verify(Some("s3cr3t"), "cid", "jane", Some(&good)).is_ok());
        let wrong = compute("s3cr3t", "john", "cid").unwrap();
        for presented in [None, Some(wrong.as_str()), Some("@@@"), Some("")] {
            let err = verify(Some("s3cr3t"), "cid", "jane", presented).unwrap_err();
            assert_eq!(err.kind(), "NotAuthorizedException");
            assert_eq!(
                err.to_string(),
                "Unable to verify secret hash for client cid"
            );
        }
        assert!(verify(None, "cid", "jane", None).is_ok());
    }
}
