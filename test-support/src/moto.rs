//! moto, the AWS emulator at `MOTO_ENDPOINT` every AWS suite shares: its address, the SDK clients
//! pointed at it, a counter of the requests a client sends, and the mail its SES accepted.

use std::io::{Read, Write};

use serde_json::Value;

/// moto's address; the suites that need it cannot run without it.
pub fn endpoint() -> String {
    std::env::var("MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "MOTO_ENDPOINT is not set: these tests need moto_server. Run them with scripts/test, \
             which starts it (or start `moto_server -H 127.0.0.1 -p PORT` and export \
             MOTO_ENDPOINT=http://127.0.0.1:PORT)."
        )
    })
}

/// DynamoDB at moto, its requests counted by `calls`.
#[cfg(feature = "dynamodb")]
pub fn dynamodb(calls: &Calls) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(
        sdk_config!(aws_sdk_dynamodb, endpoint())
            .interceptor(calls.clone())
            .build(),
    )
}

/// DynamoDB at `endpoint` (moto behind a `FaultProxy`), its requests counted by `calls`: the
/// functions' retries (standard, 3 attempts) with a 5 ms first backoff instead of about a second,
/// so a suite of many faults runs in seconds.
#[cfg(feature = "dynamodb")]
pub fn dynamodb_at(endpoint: &str, calls: &Calls) -> aws_sdk_dynamodb::Client {
    use aws_sdk_dynamodb::config::retry::RetryConfig;
    aws_sdk_dynamodb::Client::from_conf(
        sdk_config!(aws_sdk_dynamodb, endpoint)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(std::time::Duration::from_millis(5)),
            )
            .interceptor(calls.clone())
            .build(),
    )
}

/// Cognito at moto, its requests counted by `calls`.
#[cfg(feature = "cognito")]
pub fn cognito(calls: &Calls) -> aws_sdk_cognitoidentityprovider::Client {
    cognito_at(&endpoint(), calls)
}

/// Cognito at `endpoint` (moto behind a `FaultProxy`), its requests counted by `calls`.
#[cfg(feature = "cognito")]
pub fn cognito_at(endpoint: &str, calls: &Calls) -> aws_sdk_cognitoidentityprovider::Client {
    aws_sdk_cognitoidentityprovider::Client::from_conf(
        sdk_config!(aws_sdk_cognitoidentityprovider, endpoint)
            .interceptor(calls.clone())
            .build(),
    )
}

/// A new SQS queue at moto named `name` (no delay): its client and URL.
#[cfg(feature = "sqs")]
pub async fn queue(name: &str) -> (aws_sdk_sqs::Client, String) {
    let client = aws_sdk_sqs::Client::from_conf(sdk_config!(aws_sdk_sqs, endpoint()).build());
    let url = client
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    (client, url)
}

/// The messages waiting on the queue at `url` (received, so hidden for moto's visibility
/// timeout), as the Lambda event an SQS event source mapping delivers them in.
#[cfg(feature = "sqs")]
pub async fn queue_event(client: &aws_sdk_sqs::Client, url: &str) -> Value {
    let received = client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let name = url.rsplit('/').next().unwrap();
    let records: Vec<Value> = received
        .messages()
        .iter()
        .map(|m| {
            serde_json::json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1800000000000",
                    "SenderId": "AROAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1800000000000"},
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:us-east-1:123456789012:{name}"),
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}

#[cfg(feature = "ses")]
pub fn ses() -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::from_conf(sdk_config!(aws_sdk_sesv2, endpoint()).build())
}

#[cfg(feature = "kms")]
pub fn kms() -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::from_conf(sdk_config!(aws_sdk_kms, endpoint()).build())
}

/// A new sender address SES at moto accepts (a verified email identity), made from `prefix`.
#[cfg(feature = "ses")]
pub async fn verified_sender(prefix: &str) -> String {
    let from = format!("{}@example.com", crate::unique(prefix));
    ses()
        .create_email_identity()
        .email_identity(&from)
        .send()
        .await
        .unwrap();
    from
}

#[cfg(feature = "calls")]
pub use calls::{Calls, counts};

#[cfg(feature = "calls")]
mod calls {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::interceptors::Intercept;
    use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_types::config_bag::ConfigBag;

    /// Requests sent, by operation name (the `X-Amz-Target` suffix: `GetItem`, `AdminGetUser`,
    /// ...), retries included.
    #[derive(Debug, Clone, Default)]
    pub struct Calls(Arc<Mutex<Vec<String>>>);

    impl Calls {
        /// The requests counted since the last `take`, by operation.
        pub fn take(&self) -> BTreeMap<String, usize> {
            let mut calls = self.0.lock().unwrap();
            let mut counts = BTreeMap::new();
            for op in calls.drain(..) {
                *counts.entry(op).or_insert(0) += 1;
            }
            counts
        }
    }

    impl Intercept for Calls {
        fn name(&self) -> &'static str {
            "CountCalls"
        }

        fn read_before_transmit(
            &self,
            context: &BeforeTransmitInterceptorContextRef<'_>,
            _: &RuntimeComponents,
            _: &mut ConfigBag,
        ) -> Result<(), BoxError> {
            let target = context
                .request()
                .headers()
                .get("x-amz-target")
                .unwrap_or("?");
            let op = target.rsplit('.').next().unwrap_or(target).to_string();
            self.0.lock().unwrap().push(op);
            Ok(())
        }
    }

    /// What `Calls::take` returns for these (operation, count) pairs.
    pub fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }
}

/// Every message moto's SES has accepted (`GET /moto-api/data.json`).
pub fn sent_mail() -> Vec<Value> {
    let endpoint = endpoint();
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET /moto-api/data.json HTTP/1.0\r\nHost: {host}\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    let data: Value = serde_json::from_str(body).unwrap();
    data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Mail to `recipient` only: other tests share the emulator, so nothing is reset.
pub fn mail_to(recipient: &str) -> Vec<Value> {
    sent_mail()
        .into_iter()
        .filter(|m| {
            m["destinations"]["ToAddresses"]
                .as_array()
                .is_some_and(|to| to.iter().any(|a| a == recipient))
        })
        .collect()
}
