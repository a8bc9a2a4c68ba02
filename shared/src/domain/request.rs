//! The two requests as Cognito receives them, and Cognito's field constraints.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::error::CognitoError;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserContextData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoded_data: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AnalyticsMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_endpoint_id: Option<String>,
}

/// The fields every user-pool request carries, borrowed: what the app client check, the SecretHash
/// and the caller's windows read, whichever the operation.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    pub client_id: &'a str,
    pub username: &'a str,
    pub secret_hash: Option<&'a str>,
    pub user_context_data: Option<&'a UserContextData>,
}

/// Declares a request: the fields every user-pool request carries (`ClientId`, `Username`,
/// `SecretHash`, `UserContextData`, `AnalyticsMetadata`, `ClientMetadata`) and the operation's own,
/// which stand after `Username` in the serialized order; and its `envelope()`.
macro_rules! user_pool_request {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* pub $field:ident: $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "PascalCase")]
        pub struct $name {
            #[serde(default)]
            pub client_id: String,
            #[serde(default)]
            pub username: String,
            $( $(#[$field_meta])* pub $field: $ty, )*
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub secret_hash: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub user_context_data: Option<UserContextData>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub analytics_metadata: Option<AnalyticsMetadata>,
            /// Never stored: handed only to triggers.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub client_metadata: Option<BTreeMap<String, String>>,
        }

        impl $name {
            /// The fields every request carries.
            pub fn envelope(&self) -> Envelope<'_> {
                Envelope {
                    client_id: &self.client_id,
                    username: &self.username,
                    secret_hash: self.secret_hash.as_deref(),
                    user_context_data: self.user_context_data.as_ref(),
                }
            }
        }
    };
}

user_pool_request! {
    pub struct ForgotPasswordRequest {}
}

user_pool_request! {
    pub struct ConfirmForgotPasswordRequest {
        #[serde(default)]
        pub confirmation_code: String,
        #[serde(default)]
        pub password: String,
    }
}

// Debug never shows the code, the password or the secret hash.
impl std::fmt::Debug for ForgotPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForgotPasswordRequest")
            .field("client_id", &self.client_id)
            .field(
                "secret_hash",
                &self.secret_hash.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ConfirmForgotPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmForgotPasswordRequest")
            .field("client_id", &self.client_id)
            .field("confirmation_code", &"<redacted>")
            .field("password", &"<redacted>")
            .finish_non_exhaustive()
    }
}

const CONTEXT_DATA_MAX: usize = 131_072;

static CLIENT_ID: LazyLock<Result<Regex, regex::Error>> = LazyLock::new(|| Regex::new(r"^[\w+]+$"));
static USERNAME: LazyLock<Result<Regex, regex::Error>> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$"));
static SECRET_HASH: LazyLock<Result<Regex, regex::Error>> =
    LazyLock::new(|| Regex::new(r"^[\w+=/]+$"));

fn matches(re: &LazyLock<Result<Regex, regex::Error>>, value: &str) -> Result<bool, CognitoError> {
    match &**re {
        Ok(re) => Ok(re.is_match(value)),
        Err(e) => {
            tracing::error!(error = %e, "a built-in validation pattern failed to compile");
            Err(CognitoError::InternalError)
        }
    }
}

/// Cognito's constraint message, as its validation layer words it.
fn violation(field: &str, rule: &str) -> CognitoError {
    CognitoError::InvalidParameter(format!(
        "1 validation error detected: Value at '{field}' failed to satisfy constraint: {rule}"
    ))
}

fn check_length(field: &str, value: &str, min: usize, max: usize) -> Result<(), CognitoError> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(violation(
            field,
            &format!("Member must have length between {min} and {max} inclusive"),
        ));
    }
    Ok(())
}

fn check_pattern(
    field: &str,
    value: &str,
    re: &LazyLock<Result<Regex, regex::Error>>,
    shown: &str,
) -> Result<(), CognitoError> {
    if !matches(re, value)? {
        return Err(violation(
            field,
            &format!("Member must satisfy regular expression pattern: {shown}"),
        ));
    }
    Ok(())
}

fn check_client_and_user(request: Envelope<'_>) -> Result<(), CognitoError> {
    let Envelope {
        client_id,
        username,
        ..
    } = request;
    if client_id.is_empty() {
        return Err(CognitoError::InvalidParameter(
            "Missing required parameter ClientId".into(),
        ));
    }
    if username.is_empty() {
        return Err(CognitoError::InvalidParameter(
            "Missing required parameter Username".into(),
        ));
    }
    check_length("clientId", client_id, 1, 128)?;
    check_pattern("clientId", client_id, &CLIENT_ID, r"[\w+]+")?;
    check_length("username", username, 1, 128)?;
    check_pattern(
        "username",
        username,
        &USERNAME,
        r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+",
    )?;
    Ok(())
}

fn check_common(request: Envelope<'_>) -> Result<(), CognitoError> {
    if let Some(hash) = request.secret_hash {
        check_length("secretHash", hash, 1, 128)?;
        check_pattern("secretHash", hash, &SECRET_HASH, r"[\w+=/]+")?;
    }
    if let Some(ctx) = request.user_context_data {
        if let Some(ip) = &ctx.ip_address {
            check_length("userContextData.ipAddress", ip, 0, CONTEXT_DATA_MAX)?;
        }
        if let Some(data) = &ctx.encoded_data {
            check_length("userContextData.encodedData", data, 0, CONTEXT_DATA_MAX)?;
        }
    }
    Ok(())
}

/// `[\S]+`: at least one character, none of them whitespace.
fn check_no_whitespace(field: &str, value: &str) -> Result<(), CognitoError> {
    if value.chars().any(char::is_whitespace) {
        return Err(violation(
            field,
            r"Member must satisfy regular expression pattern: [\S]+",
        ));
    }
    Ok(())
}

impl ForgotPasswordRequest {
    pub fn validate(&self) -> Result<(), CognitoError> {
        check_client_and_user(self.envelope())?;
        check_common(self.envelope())
    }
}

impl ConfirmForgotPasswordRequest {
    pub fn validate(&self) -> Result<(), CognitoError> {
        check_client_and_user(self.envelope())?;
        if self.confirmation_code.is_empty() {
            return Err(CognitoError::InvalidParameter(
                "Missing required parameter ConfirmationCode".into(),
            ));
        }
        if self.password.is_empty() {
            return Err(CognitoError::InvalidParameter(
                "Missing required parameter Password".into(),
            ));
        }
        check_length("confirmationCode", &self.confirmation_code, 1, 2048)?;
        check_no_whitespace("confirmationCode", &self.confirmation_code)?;
        check_length("password", &self.password, 1, 256)?;
        check_no_whitespace("password", &self.password)?;
        check_common(self.envelope())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forgot(client: &str, user: &str) -> ForgotPasswordRequest {
        ForgotPasswordRequest {
            client_id: client.into(),
            username: user.into(),
            ..Default::default()
        }
    }

    #[test]
    fn accepts_cognito_shaped_values() {
        assert!(
            forgot("38fjsnc484p94kpqsnet7mpld0", "jane@example.com")
                .validate()
                .is_ok()
        );
        assert!(forgot("abc", "+12065550142").validate().is_ok());
        assert!(forgot("abc", "Jöhn_Ünïcode").validate().is_ok());
    }

    #[test]
    fn rejects_bad_fields_with_invalid_parameter() {
        for (client, user) in [
            ("", "jane"),
            ("abc", ""),
            ("a-b", "jane"),
            (&"a".repeat(129) as &str, "jane"),
            ("abc", "jane doe"),
            ("abc", &"u".repeat(129) as &str),
            ("abc", "tab\there"),
        ] {
            let err = forgot(client, user).validate().unwrap_err();
            assert_eq!(
                err.kind(),
                "InvalidParameterException",
                "{client:?} {user:?}"
            );
        }
        let mut r = forgot("abc", "jane");
        r.secret_hash = Some("not valid!".into());
        assert_eq!(
            r.validate().unwrap_err().kind(),
            "InvalidParameterException"
        );
        r.secret_hash = None;
        r.user_context_data = Some(UserContextData {
            ip_address: None,
            encoded_data: Some("x".repeat(CONTEXT_DATA_MAX + 1)),
        });
        assert_eq!(
            r.validate().unwrap_err().kind(),
            "InvalidParameterException"
        );
    }

    #[test]
    fn confirm_fields() {
        let ok = ConfirmForgotPasswordRequest {
            client_id: "abc".into(),
            username: "jane".into(),
            confirmation_code: "123456".into(),
            password: "N3w-Passw0rd!".into(),
            ..Default::default()
        };
        assert!(ok.validate().is_ok());
        for (code, password) in [("", "x"), ("12 34", "x"), ("1", ""), ("1", "has space")] {
            let mut r = ok.clone();
            r.confirmation_code = code.into();
            r.password = password.into();
            assert_eq!(
                r.validate().unwrap_err().kind(),
                "InvalidParameterException"
            );
        }
        let mut long = ok.clone();
        long.password = "a".repeat(257);
        assert_eq!(
            long.validate().unwrap_err().kind(),
            "InvalidParameterException"
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let r = ConfirmForgotPasswordRequest {
            client_id: "abc".into(),
            username: "jane".into(),
            confirmation_code: "918273".into(),
            password: "Sup3rSecret!".into(),
            secret_hash: Some("c2VjcmV0".into()),
            ..Default::default()
        };
        let shown = format!("{r:?}");
        assert!(!shown.contains("918273") && !shown.contains("Sup3rSecret!"));
    }
}
