//! The two requests as Cognito receives them, and Cognito's field constraints.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex_syntax::hir::{Class, ClassUnicode, HirKind};
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
    pub client_metadata: Option<&'a ClientMetadata>,
}

/// A request's `ClientMetadata`: handed to the triggers (and our own rendering), never stored.
pub type ClientMetadata = BTreeMap<String, String>;

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
            pub client_metadata: Option<ClientMetadata>,
        }

        impl $name {
            /// The fields every request carries.
            pub fn envelope(&self) -> Envelope<'_> {
                Envelope {
                    client_id: &self.client_id,
                    username: &self.username,
                    secret_hash: self.secret_hash.as_deref(),
                    user_context_data: self.user_context_data.as_ref(),
                    client_metadata: self.client_metadata.as_ref(),
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
/// `StringType`'s limit, on each key and each value of `ClientMetadata`.
const CLIENT_METADATA_MAX: usize = 131_072;

/// Cognito's character classes, with the `regex` crate's Unicode tables (regex-syntax) but without
/// compiling an automaton: building one for `[\p{L}\p{M}\p{S}\p{N}\p{P}]+` and `[\w+]+` took
/// a sixth of a cold ForgotPassword's instructions (callgrind, docs/benchmarks.md), where a table
/// lookup per character is all the check needs.
enum Chars {
    /// `\w` (Unicode word characters) and the ASCII characters given.
    WordAnd(&'static str),
    /// Any character of the Unicode class.
    Class(&'static LazyLock<Option<ClassUnicode>>),
}

/// Letters, marks, symbols, numbers and punctuation: every assigned character but separators,
/// controls, format characters and private use. Built on the first login that is not ASCII.
static USERNAME_CHARS: LazyLock<Option<ClassUnicode>> =
    LazyLock::new(|| unicode_class(r"[\p{L}\p{M}\p{S}\p{N}\p{P}]"));

static CLIENT_ID: Chars = Chars::WordAnd("+");
static USERNAME: Chars = Chars::Class(&USERNAME_CHARS);
static SECRET_HASH: Chars = Chars::WordAnd("+=/");

/// The set of characters `pattern`, a bracketed class, denotes.
fn unicode_class(pattern: &str) -> Option<ClassUnicode> {
    match regex_syntax::Parser::new().parse(pattern).ok()?.into_kind() {
        HirKind::Class(Class::Unicode(class)) => Some(class),
        _ => None,
    }
}

fn in_class(class: &ClassUnicode, c: char) -> bool {
    class
        .ranges()
        .binary_search_by(|range| {
            if range.end() < c {
                Ordering::Less
            } else if range.start() > c {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        })
        .is_ok()
}

/// Whether `value` is one or more characters of `chars`: Cognito's `^[...]+$`.
fn matches(chars: &Chars, value: &str) -> Result<bool, CognitoError> {
    let unavailable = |what: &dyn std::fmt::Display| {
        tracing::error!(error = %what, "a built-in validation class is unavailable");
        CognitoError::InternalError
    };
    if value.is_empty() {
        return Ok(false);
    }
    match chars {
        Chars::WordAnd(extra) => {
            for c in value.chars() {
                let word = regex_syntax::try_is_word_character(c).map_err(|e| unavailable(&e))?;
                if !word && !extra.contains(c) {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        // In ASCII the class is the printable characters but space (`!` to `~`): no table needed
        // for the logins most pools have.
        Chars::Class(_) if value.is_ascii() => Ok(value.bytes().all(|b| b.is_ascii_graphic())),
        Chars::Class(class) => {
            let class = class
                .as_ref()
                .ok_or_else(|| unavailable(&"the Unicode class did not parse"))?;
            Ok(value.chars().all(|c| in_class(class, c)))
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

fn check_pattern(field: &str, value: &str, chars: &Chars, shown: &str) -> Result<(), CognitoError> {
    if !matches(chars, value)? {
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
    if let Some(metadata) = request.client_metadata {
        check_client_metadata(metadata)?;
    }
    Ok(())
}

/// `ClientMetadataType`: a map of `StringType` keys and values, each at most 131,072 characters
/// (the API model's only limit on it). Judged before anything is stored, invoked or logged.
fn check_client_metadata(metadata: &ClientMetadata) -> Result<(), CognitoError> {
    let too_long = |s: &String| s.chars().count() > CLIENT_METADATA_MAX;
    for (part, over) in [
        ("Map key", metadata.keys().any(too_long)),
        ("Map value", metadata.values().any(too_long)),
    ] {
        if over {
            return Err(violation(
                "clientMetadata",
                &format!(
                    "{part} must satisfy constraint: [Member must have length less than or equal to {CLIENT_METADATA_MAX}, Member must have length greater than or equal to 0]"
                ),
            ));
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

    /// The character classes accept exactly what Cognito's patterns, compiled by the `regex`
    /// crate as they were before, accept: every Unicode scalar value, alone and after an
    /// accepted one.
    #[test]
    #[allow(clippy::unwrap_used)]
    fn the_classes_are_the_patterns_regex_compiles() {
        for (chars, pattern) in [
            (&CLIENT_ID, r"^[\w+]+$"),
            (&USERNAME, r"^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$"),
            (&SECRET_HASH, r"^[\w+=/]+$"),
        ] {
            let re = regex::Regex::new(pattern).unwrap();
            let mut buf = [0u8; 8];
            for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
                let alone: &str = c.encode_utf8(&mut buf);
                assert_eq!(
                    matches(chars, alone).unwrap(),
                    re.is_match(alone),
                    "{pattern} {c:?}"
                );
                let after = format!("a{c}");
                assert_eq!(
                    matches(chars, &after).unwrap(),
                    re.is_match(&after),
                    "{pattern} a{c:?}"
                );
            }
            assert!(!matches(chars, "").unwrap());
        }
    }

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

    #[test]
    fn client_metadata_longer_than_cognito_allows_is_refused_naming_the_constraint() {
        let at_limit = "x".repeat(CLIENT_METADATA_MAX);
        let over = "x".repeat(CLIENT_METADATA_MAX + 1);
        let with = |key: &str, value: &str| ForgotPasswordRequest {
            client_id: "abc".into(),
            username: "jane".into(),
            client_metadata: Some(ClientMetadata::from([(key.into(), value.into())])),
            ..Default::default()
        };
        assert!(with(&at_limit, &at_limit).validate().is_ok());
        assert!(with("", "").validate().is_ok());
        let value = with("locale", &over).validate().unwrap_err();
        assert_eq!(value.kind(), "InvalidParameterException");
        assert!(
            value.to_string().contains("Value at 'clientMetadata' failed to satisfy constraint: Map value must satisfy constraint"),
            "{value}"
        );
        assert!(
            !value.to_string().contains("xxx"),
            "the value is never echoed"
        );
        let key = with(&over, "fr").validate().unwrap_err();
        assert!(key.to_string().contains("Map key must"), "{key}");
        let confirm = ConfirmForgotPasswordRequest {
            client_id: "abc".into(),
            username: "jane".into(),
            confirmation_code: "123456".into(),
            password: "Passw0rd!".into(),
            client_metadata: Some(ClientMetadata::from([("k".into(), over)])),
            ..Default::default()
        };
        assert_eq!(
            confirm.validate().unwrap_err().kind(),
            "InvalidParameterException"
        );
    }
}
