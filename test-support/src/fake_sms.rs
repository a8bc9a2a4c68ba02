//! A fake AWS End User Messaging SMS v2 endpoint owned by the tests (no emulator speaks SMS v2).
//! It speaks awsJson1_0 (`X-Amz-Target: PinpointSMSVoiceV2.<Operation>`) and implements
//! SendTextMessage, DescribeAccountAttributes, DescribeVerifiedDestinationNumbers and
//! DescribeSpendLimits with the behaviour AWS documents: in the SANDBOX tier only VERIFIED
//! destination numbers receive messages, the monthly text spend limit is $1, and refusals carry
//! the documented exception and `Reason`. Every request is counted per operation.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One accepted SendTextMessage, as the fake received it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub destination: String,
    pub body: String,
    pub origination_identity: Option<String>,
    pub configuration_set: Option<String>,
    pub message_type: Option<String>,
    pub time_to_live: Option<i64>,
    pub dry_run: bool,
}

#[derive(Debug)]
pub struct Account {
    /// SANDBOX or PRODUCTION.
    pub tier: String,
    /// number -> PENDING | VERIFIED.
    pub verified: HashMap<String, String>,
    /// Monthly text spend limit, dollars.
    pub spend_limit: i64,
    /// What one message costs, in cents.
    pub price_cents: i64,
    pub spent_cents: i64,
    pub opted_out: HashSet<String>,
    /// Registered phone numbers and pools (ids, ARNs or E.164 numbers).
    pub origination_identities: HashSet<String>,
    /// Registered sender ids.
    pub sender_ids: HashSet<String>,
    /// Destination prefixes the account may not send to.
    pub blocked_prefixes: Vec<String>,
    pub disabled: bool,
    pub throttle: bool,
    /// DescribeAccountAttributes answers AccessDenied (a role without the permission).
    pub deny_describe: bool,
    pub sent: Vec<Sent>,
    pub calls: HashMap<String, usize>,
}

impl Account {
    /// A new account as AWS creates it: sandbox, $1 a month, one registered number.
    pub fn sandbox() -> Self {
        Self {
            tier: "SANDBOX".into(),
            verified: HashMap::new(),
            spend_limit: 1,
            price_cents: 1,
            spent_cents: 0,
            opted_out: HashSet::new(),
            origination_identities: HashSet::from(["+18005550100".to_string()]),
            sender_ids: HashSet::new(),
            blocked_prefixes: Vec::new(),
            disabled: false,
            throttle: false,
            deny_describe: false,
            sent: Vec::new(),
            calls: HashMap::new(),
        }
    }

    pub fn production() -> Self {
        Self {
            tier: "PRODUCTION".into(),
            spend_limit: 100,
            ..Self::sandbox()
        }
    }
}

pub struct FakeSms {
    pub endpoint: String,
    pub account: Arc<Mutex<Account>>,
}

impl FakeSms {
    /// Serves on a free loopback port from its own thread and runtime, so sync and async tests
    /// (and other processes) can use it alike.
    pub fn start(account: Account) -> FakeSms {
        let account = Arc::new(Mutex::new(account));
        let app = Router::new().fallback(handle).with_state(account.clone());
        FakeSms {
            endpoint: crate::loopback::serve(tokio::runtime::Builder::new_current_thread(), app),
            account,
        }
    }

    /// A client config builder for SMS v2 at this fake.
    #[cfg(feature = "sms")]
    pub fn config(&self) -> aws_sdk_pinpointsmsvoicev2::config::Builder {
        sdk_config!(aws_sdk_pinpointsmsvoicev2, &self.endpoint)
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Account) -> T) -> T {
        f(&mut self.account.lock().unwrap())
    }

    pub fn calls(&self, operation: &str) -> usize {
        self.with(|a| a.calls.get(operation).copied().unwrap_or(0))
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.with(|a| a.sent.clone())
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
        body.to_string(),
    )
        .into_response()
}

fn error(kind: &str, message: &str, reason: Option<&str>) -> Response {
    let mut body = json!({ "__type": kind, "Message": message });
    if let Some(reason) = reason {
        body["Reason"] = json!(reason);
    }
    let status = match kind {
        "AccessDeniedException" => StatusCode::FORBIDDEN,
        "ResourceNotFoundException" => StatusCode::NOT_FOUND,
        "ConflictException" => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    reply(status, body)
}

async fn handle(
    AxumState(account): AxumState<Arc<Mutex<Account>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(operation) = target.strip_prefix("PinpointSMSVoiceV2.") else {
        return error("UnknownOperationException", "missing X-Amz-Target", None);
    };
    let input: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
    let mut account = account.lock().unwrap();
    *account.calls.entry(operation.to_string()).or_default() += 1;
    match operation {
        "DescribeAccountAttributes" => {
            if account.deny_describe {
                return error(
                    "AccessDeniedException",
                    "not authorized to perform sms-voice:DescribeAccountAttributes",
                    None,
                );
            }
            reply(
                StatusCode::OK,
                json!({ "AccountAttributes": [
                    { "Name": "ACCOUNT_TIER", "Value": account.tier },
                    { "Name": "DEFAULT_PROTECT_CONFIGURATION_ID", "Value": "" }
                ]}),
            )
        }
        "DescribeSpendLimits" => reply(
            StatusCode::OK,
            json!({ "SpendLimits": [
                { "Name": "TEXT_MESSAGE_MONTHLY_SPEND_LIMIT", "EnforcedLimit": account.spend_limit,
                  "MaxLimit": account.spend_limit, "Overridden": false },
                { "Name": "VOICE_MESSAGE_MONTHLY_SPEND_LIMIT", "EnforcedLimit": 1, "MaxLimit": 1, "Overridden": false }
            ]}),
        ),
        "DescribeVerifiedDestinationNumbers" => {
            let wanted: Vec<String> = input["DestinationPhoneNumbers"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let numbers: Vec<Value> = account
                .verified
                .iter()
                .filter(|(n, _)| wanted.is_empty() || wanted.contains(n))
                .enumerate()
                .map(|(i, (number, status))| {
                    json!({
                        "VerifiedDestinationNumberArn": format!("arn:aws:sms-voice:us-east-1:123456789012:verified-destination-number/verified-{i}"),
                        "VerifiedDestinationNumberId": format!("verified-{i}"),
                        "DestinationPhoneNumber": number,
                        "Status": status,
                        "CreatedTimestamp": 1_700_000_000
                    })
                })
                .collect();
            reply(
                StatusCode::OK,
                json!({ "VerifiedDestinationNumbers": numbers }),
            )
        }
        "SendTextMessage" => send(&mut account, &input),
        other => error(
            "UnknownOperationException",
            &format!("the fake does not implement {other}"),
            None,
        ),
    }
}

fn send(account: &mut Account, input: &Value) -> Response {
    let text = |field: &str| input[field].as_str().map(String::from);
    let destination = text("DestinationPhoneNumber").unwrap_or_default();
    let body = text("MessageBody").unwrap_or_default();
    let origination = text("OriginationIdentity");
    let dry_run = input["DryRun"].as_bool().unwrap_or(false);
    if account.disabled {
        return error(
            "AccessDeniedException",
            "Account is disabled",
            Some("ACCOUNT_DISABLED"),
        );
    }
    if account.throttle {
        return error("ThrottlingException", "Rate exceeded", None);
    }
    let e164 = destination.len() >= 8
        && destination.len() <= 16
        && destination.starts_with('+')
        && destination[1..].bytes().all(|b| b.is_ascii_digit());
    if !e164 || body.is_empty() || body.chars().count() > 1600 {
        return error(
            "ValidationException",
            "1 validation error detected",
            Some("INVALID_PARAMETER"),
        );
    }
    if account
        .blocked_prefixes
        .iter()
        .any(|p| destination.starts_with(p.as_str()))
    {
        return error(
            "ValidationException",
            &format!("Sending to {destination} is blocked"),
            Some("DESTINATION_COUNTRY_BLOCKED"),
        );
    }
    match &origination {
        Some(id)
            if id.starts_with('+')
                || id.starts_with("pool-")
                || id.starts_with("phone-")
                || id.starts_with("arn:") =>
        {
            if !account.origination_identities.contains(id) {
                return error(
                    "ResourceNotFoundException",
                    &format!("Origination identity {id} not found"),
                    None,
                );
            }
        }
        Some(id) => {
            if !account.sender_ids.contains(id) {
                return error(
                    "ValidationException",
                    &format!("Sender ID {id} is not registered"),
                    Some("SENDER_ID_NOT_REGISTERED"),
                );
            }
        }
        None => {
            if account.origination_identities.is_empty() && account.sender_ids.is_empty() {
                return error(
                    "ConflictException",
                    "No origination identities found",
                    Some("NO_ORIGINATION_IDENTITIES_FOUND"),
                );
            }
        }
    }
    if account.tier == "SANDBOX"
        && account.verified.get(&destination).map(String::as_str) != Some("VERIFIED")
    {
        return error(
            "ConflictException",
            &format!("Destination phone number {destination} is not verified"),
            Some("DESTINATION_PHONE_NUMBER_NOT_VERIFIED"),
        );
    }
    if account.opted_out.contains(&destination) {
        return error(
            "ConflictException",
            &format!("{destination} has opted out"),
            Some("DESTINATION_PHONE_NUMBER_OPTED_OUT"),
        );
    }
    if !dry_run {
        if account.spent_cents + account.price_cents > account.spend_limit * 100 {
            return error(
                "ServiceQuotaExceededException",
                "Monthly spend limit reached",
                Some("MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"),
            );
        }
        account.spent_cents += account.price_cents;
    }
    account.sent.push(Sent {
        destination,
        body,
        origination_identity: origination,
        configuration_set: text("ConfigurationSetName"),
        message_type: text("MessageType"),
        time_to_live: input["TimeToLive"].as_i64(),
        dry_run,
    });
    let id = format!("msg-{}", account.sent.len());
    reply(StatusCode::OK, json!({ "MessageId": id }))
}
