//! Arbitrary JSON for the fuzz suites: any value, objects keyed by the names the decoders look
//! for as often as by noise, and known-good events with one field replaced by anything.

use proptest::prelude::*;
use serde_json::Value;

/// How many cases each fuzz property runs (also stated in the README).
pub const CASES: u32 = 2_000;

const KEYS: &[&str] = &[
    "ClientId",
    "Username",
    "SecretHash",
    "ConfirmationCode",
    "Password",
    "UserContextData",
    "AnalyticsMetadata",
    "ClientMetadata",
    "IpAddress",
    "EncodedData",
    "requestContext",
    "body",
    "isBase64Encoded",
    "headers",
    "x-amz-target",
    "http",
    "version",
    "routeKey",
    "rawPath",
    "triggerSource",
    "userName",
    "userPoolId",
    "region",
    "callerContext",
    "clientId",
    "request",
    "response",
    "userAttributes",
    "codeParameter",
    "usernameParameter",
    "linkParameter",
    "clientMetadata",
    "password",
    "validationData",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "Clients",
    "AccountRecoverySetting",
    "RecoveryMechanisms",
    "Name",
    "Priority",
    "PreventUserExistenceErrors",
    "PasswordPolicy",
    "MinimumLength",
    "Codes",
    "Length",
    "TtlSeconds",
    "MaxRequests",
    "WindowSeconds",
    "MaxFailedAttempts",
    "Messages",
    "Users",
    "Sub",
    "Status",
    "Attributes",
    "Mfa",
    "Outbox",
    "Path",
    "VerifiedDestinations",
    "CodeHashKey",
    "SourceUsers",
    "PasswordHash",
    "UsernameConfiguration",
    "CaseSensitive",
    "EmailMessage",
    "SmsMessage",
    "EmailSubject",
];

pub fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(KEYS).prop_map(String::from),
        1 => "\\PC{0,12}",
    ]
}

pub fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        ".{0,8}",
        proptest::sample::select(
            &[
                "CustomMessage_ForgotPassword",
                "UserMigration_ForgotPassword",
                "UserMigration_Authentication",
                "CustomMessage_SignUp",
                "ENABLED",
                "LEGACY",
                "verified_email",
                "verified_phone_number",
                "admin_only",
                "CONFIRMED",
                "FORCE_CHANGE_PASSWORD",
                "{####}",
                "jane",
                "jane@example.com",
                "+12065550142",
                "AWSCognitoIdentityProviderService.ForgotPassword",
                "AWSCognitoIdentityProviderService.ConfirmForgotPassword",
                "true",
                "false",
                "",
            ][..]
        )
        .prop_map(String::from),
    ]
}

pub fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// `base` with the value at one of its paths (chosen by `pick`) replaced by `value`, or removed
/// when `value` is `None`.
pub fn mutate(base: &Value, pick: usize, value: Option<Value>) -> Value {
    let mut out = base.clone();
    let mut paths = Vec::new();
    collect(&out, &mut Vec::new(), &mut paths);
    if paths.is_empty() {
        return value.unwrap_or(Value::Null);
    }
    let path = &paths[pick % paths.len()];
    let (last, parents) = path.split_last().unwrap();
    let mut at = &mut out;
    for p in parents {
        at = at.get_mut(p.as_str()).unwrap();
    }
    let object = at.as_object_mut().unwrap();
    match value {
        Some(v) => object.insert(last.clone(), v),
        None => object.remove(last.as_str()),
    };
    out
}

fn collect(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    if let Value::Object(m) = v {
        for (k, child) in m {
            prefix.push(k.clone());
            out.push(prefix.clone());
            collect(child, prefix, out);
            prefix.pop();
        }
    }
}

/// The sample events `events/{prefix}-{name}.json` of the workspace, in the order of `names`.
pub fn sample_events(prefix: &str, names: &[&str]) -> Vec<Value> {
    names
        .iter()
        .map(|name| {
            let path = crate::cli::root().join(format!("events/{prefix}-{name}.json"));
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        })
        .collect()
}

/// The two properties a trigger's fuzz suite states of its `check` (a `fn(Value) ->
/// Result<(), TestCaseError>`): `any_event`, and `real_events_with_one_field_changed`, one of the
/// `$count` events `$events` gives with one field replaced by anything or removed.
#[macro_export]
macro_rules! fuzz_events {
    ($check:ident, $count:expr, $events:expr) => {
        $crate::arb_json::proptest::proptest! {
            #![proptest_config($crate::arb_json::proptest::prelude::ProptestConfig::with_cases(
                $crate::arb_json::CASES
            ))]

            #[test]
            fn any_event(event in $crate::arb_json::json()) {
                $check(event)?;
            }

            #[test]
            fn real_events_with_one_field_changed(
                which in 0..$count, pick: usize,
                value in $crate::arb_json::proptest::option::of($crate::arb_json::json())) {
                $check($crate::arb_json::mutate(&$events[which], pick, value))?;
            }
        }
    };
}

pub use proptest;
