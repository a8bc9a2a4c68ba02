//! The API functions' deployed configuration on moto, for the TRACE log tests of their real
//! binaries: a user pool with an app client that has a secret and users with a password, the
//! codes table, the code keys in Secrets Manager, a migration source table with a user and a
//! bcrypt hash, SES with a verified sender, SMS on the fake SMS v2 server. Everything is made with
//! the `aws` CLI, as a deployer would; the environment is the one template.yaml gives
//! forgot-password and confirm-forgot-password, at `LogLevel=TRACE`. Then a function binary runs
//! under a local Lambda Runtime API (`bench_harness::runtime_api`), and its whole output is
//! scanned for every secret and PII value the scenario used.

use std::process::Stdio;
use std::time::Duration;

use bench_harness::runtime_api::RuntimeApi;
use serde_json::{Value, json};

use crate::cli::aws;
use crate::fake_sms::{Account, FakeSms};
use crate::moto;

pub const OLD_PASSWORD: &str = "0ld-Deployed-Passw0rd!";
pub const NEW_PASSWORD: &str = "N3w-Deployed-Passw0rd!";
/// A bcrypt hash as a legacy system stores it: the source table's Query output carries it.
pub const SOURCE_HASH: &str = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
/// 64 alphanumerics, as the template's generated secret.
pub const CODE_KEY: &str = "TraceK3yTraceK3yTraceK3yTraceK3yTraceK3yTraceK3yTraceK3yTraceK3y";
pub const ORIGINATION: &str =
    "arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-0123456789abcdef";

/// One deployed stack's worth of resources, and what must never be logged.
pub struct Deployed {
    pub sms: FakeSms,
    pub pool_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// A user with a verified email, one with a verified phone, a source user (email login).
    pub email_user: (String, String),
    pub phone_user: (String, String),
    pub source_user: (String, String),
    /// The function's environment as the template sets it, pointed at moto and the fake SMS.
    pub env: Vec<(String, String)>,
    /// Every secret and PII value the scenario put anywhere: to look for in the logs.
    pub secrets: Vec<String>,
}

fn ok(args: &[&str]) -> Value {
    aws(args, &moto::endpoint()).ok_json()
}

fn done(args: &[&str]) {
    let out = aws(args, &moto::endpoint());
    assert!(out.ok, "aws {args:?}: {}", out.stderr);
}

fn create_user(pool_id: &str, username: &str, attributes: &[(&str, &str)]) {
    let attributes: Vec<String> = attributes
        .iter()
        .map(|(k, v)| format!("Name={k},Value={v}"))
        .collect();
    let mut args = vec![
        "cognito-idp",
        "admin-create-user",
        "--user-pool-id",
        pool_id,
        "--username",
        username,
        "--message-action",
        "SUPPRESS",
        "--user-attributes",
    ];
    args.extend(attributes.iter().map(String::as_str));
    done(&args);
    done(&[
        "cognito-idp",
        "admin-set-user-password",
        "--user-pool-id",
        pool_id,
        "--username",
        username,
        "--password",
        OLD_PASSWORD,
        "--permanent",
    ]);
}

impl Deployed {
    pub fn setup(name: &str) -> Deployed {
        let u = crate::unique(name);
        let n = u.len() as u64 * 7919 + u64::from(std::process::id());
        let pool = ok(&[
            "cognito-idp",
            "create-user-pool",
            "--pool-name",
            &u,
            "--alias-attributes",
            "email",
            "phone_number",
            "--account-recovery-setting",
            r#"RecoveryMechanisms=[{Priority=1,Name=verified_email},{Priority=2,Name=verified_phone_number}]"#,
        ]);
        let pool_id = pool["UserPool"]["Id"].as_str().unwrap().to_string();
        let client = ok(&[
            "cognito-idp",
            "create-user-pool-client",
            "--user-pool-id",
            &pool_id,
            "--client-name",
            "app",
            "--generate-secret",
            "--explicit-auth-flows",
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ]);
        let client_id = client["UserPoolClient"]["ClientId"]
            .as_str()
            .unwrap()
            .to_string();
        let client_secret = client["UserPoolClient"]["ClientSecret"]
            .as_str()
            .unwrap()
            .to_string();

        let email = format!("{u}@example.org");
        let phone = format!("+1206{:07}", n % 10_000_000);
        for (user, attributes) in [
            (
                "jane",
                vec![("email", email.as_str()), ("email_verified", "true")],
            ),
            (
                "paul",
                vec![
                    ("phone_number", phone.as_str()),
                    ("phone_number_verified", "true"),
                ],
            ),
        ] {
            create_user(&pool_id, user, &attributes);
        }

        let codes_table = format!("codes-{u}");
        done(&[
            "dynamodb",
            "create-table",
            "--table-name",
            &codes_table,
            "--attribute-definitions",
            "AttributeName=user_key,AttributeType=S",
            "--key-schema",
            "AttributeName=user_key,KeyType=HASH",
            "--billing-mode",
            "PAY_PER_REQUEST",
        ]);
        let source_table = format!("source-{u}");
        done(&[
            "dynamodb",
            "create-table",
            "--table-name",
            &source_table,
            "--attribute-definitions",
            "AttributeName=username,AttributeType=S",
            "AttributeName=email,AttributeType=S",
            "--key-schema",
            "AttributeName=username,KeyType=HASH",
            "--global-secondary-indexes",
            r#"[{"IndexName":"email-index","KeySchema":[{"AttributeName":"email","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]"#,
            "--billing-mode",
            "PAY_PER_REQUEST",
        ]);
        let source_email = format!("olga-{u}@example.net");
        let item = json!({
            "username": {"S": "olga"},
            "email": {"S": source_email},
            "email_verified": {"S": "true"},
            "password_hash": {"S": SOURCE_HASH},
        });
        done(&[
            "dynamodb",
            "put-item",
            "--table-name",
            &source_table,
            "--item",
            &item.to_string(),
        ]);

        let keyring = json!({"current": "k1", "decoy": "k1", "k1": CODE_KEY}).to_string();
        let secret = ok(&[
            "secretsmanager",
            "create-secret",
            "--name",
            &format!("code-keys-{u}"),
            "--secret-string",
            &keyring,
        ]);
        let secret_arn = secret["ARN"].as_str().unwrap().to_string();

        let from = format!("no-reply-{u}@example.com");
        // The sender, and the recipients should moto's SES answer as a sandbox.
        for identity in [&from, &email, &source_email] {
            done(&[
                "sesv2",
                "create-email-identity",
                "--email-identity",
                identity,
            ]);
        }

        let mut account = Account::production();
        account.origination_identities.insert(ORIGINATION.into());
        let sms = FakeSms::start(account);

        let env: Vec<(String, String)> = [
            ("DIRECTORY", "cognito"),
            ("STORE", "dynamodb"),
            ("CODES_TABLE", codes_table.as_str()),
            ("DELIVERY", "aws"),
            ("CODE_HASH_KEY_SECRET_ARN", secret_arn.as_str()),
            ("USER_POOL_ID", pool_id.as_str()),
            ("SIGN_OUT_ON_RESET", "true"),
            ("NOTIFY_PASSWORD_CHANGED", "true"),
            ("RECOVERY_MECHANISMS", "verified_email,verified_phone_number"),
            ("PREVENT_USER_EXISTENCE_ERRORS", "ENABLED"),
            ("SES_FROM_ADDRESS", from.as_str()),
            ("SMS_ORIGINATION_IDENTITY", ORIGINATION),
            ("SMS_DRY_RUN", "false"),
            ("SOURCE_TABLE", source_table.as_str()),
            ("SOURCE_KEY", "username"),
            ("SOURCE_PASSWORD_HASH_ATTRIBUTE", "password_hash"),
            ("SOURCE_EMAIL_INDEX", "email-index"),
            ("SOURCE_ASSUME_VERIFIED", "false"),
            // What LogLevel=TRACE sets, and RUST_LOG asking for the SDK's targets by name.
            ("AWS_LAMBDA_LOG_LEVEL", "TRACE"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            (
                "RUST_LOG",
                "trace,aws_smithy_runtime=trace,aws_sdk_dynamodb=trace,aws_config=trace,hyper=trace",
            ),
            ("AWS_ENDPOINT_URL", moto::endpoint().as_str()),
            ("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", sms.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();

        let secrets = vec![
            OLD_PASSWORD.to_string(),
            NEW_PASSWORD.to_string(),
            SOURCE_HASH.to_string(),
            // The hash's salt and digest alone, should a log split it.
            SOURCE_HASH[7..29].to_string(),
            CODE_KEY.to_string(),
            client_secret.clone(),
            email.clone(),
            phone.clone(),
            phone.trim_start_matches('+').to_string(),
            source_email.clone(),
        ];
        Deployed {
            sms,
            pool_id,
            client_id,
            client_secret,
            email_user: ("jane".into(), email),
            phone_user: ("paul".into(), phone),
            source_user: ("olga".into(), source_email),
            env,
            secrets,
        }
    }

    /// Adds a user with `attributes` and the password `OLD_PASSWORD` to the pool.
    pub fn add_user(&self, username: &str, attributes: &[(&str, &str)]) {
        create_user(&self.pool_id, username, attributes);
    }

    /// `env` with `overrides` in place of (or beside) its settings: a stack deployed with other
    /// parameter values.
    pub fn env_with(&self, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = self
            .env
            .iter()
            .filter(|(k, _)| !overrides.iter().any(|(o, _)| o == k))
            .cloned()
            .collect();
        env.extend(
            overrides
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        env
    }

    /// The SecretHash of `username` for the app client.
    pub fn secret_hash(&self, username: &str) -> String {
        password_reset::domain::secret_hash::compute(&self.client_secret, username, &self.client_id)
            .unwrap()
    }

    /// Every digest the codes table holds now, in each form a log could show it: base64 (the
    /// wire), hex, and the SDK's `Debug` of a `Blob` (its bytes as a decimal list).
    pub fn stored_digests(&self) -> Vec<String> {
        use base64::Engine;
        let mut forms = Vec::new();
        for b64 in self.stored_digests_base64() {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&b64)
                .unwrap();
            forms.push(bytes.iter().map(|b| format!("{b:02x}")).collect());
            let list: Vec<String> = bytes.iter().take(8).map(u8::to_string).collect();
            forms.push(list.join(", "));
            forms.push(b64);
        }
        forms
    }

    fn stored_digests_base64(&self) -> Vec<String> {
        let table = self
            .env
            .iter()
            .find(|(k, _)| k == "CODES_TABLE")
            .map(|(_, v)| v.clone())
            .unwrap();
        let items = ok(&["dynamodb", "scan", "--table-name", &table]);
        items["Items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|item| item["digest"]["B"].as_str().map(str::to_string))
            .collect()
    }
}

/// A function's answers and its whole output (stdout and stderr), one event after another.
pub struct Run {
    pub answers: Vec<Value>,
    pub logs: String,
}

/// Runs `binary` under a local Lambda Runtime API with `env` (and what Lambda adds), feeds it
/// `events` one at a time, and collects its answers and everything it wrote.
pub async fn run_function(binary: &str, env: &[(String, String)], events: &[Value]) -> Run {
    let mut api = RuntimeApi::start().await.unwrap();
    let name = std::path::Path::new(binary)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let log_path =
        std::env::temp_dir().join(format!("{}.log", crate::unique(&format!("trace-{name}"))));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .envs(api.environment(&name, "trace"))
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut answers = Vec::new();
    for (i, event) in events.iter().enumerate() {
        api.events
            .send((format!("req-{i}"), event.to_string().into()))
            .unwrap();
        let outcome = tokio::time::timeout(Duration::from_secs(60), api.outcomes.recv())
            .await
            .unwrap_or_else(|_| {
                let logs = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("{name} did not answer event {i}:\n{logs}")
            })
            .unwrap();
        answers.push(serde_json::from_slice(&outcome.body).unwrap_or(Value::Null));
    }
    child.kill().await.unwrap();
    let logs = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    Run { answers, logs }
}

/// The code in the last message moto's SES accepted for `to`.
pub fn code_mailed_to(to: &str) -> String {
    let mail = moto::mail_to(to);
    let last = mail.last().unwrap_or_else(|| panic!("no mail to {to}"));
    crate::delivery::code_in(last["body"].as_str().unwrap())
}

/// The path of another package's binary of this workspace, beside `own` (a test's
/// `env!("CARGO_BIN_EXE_<own>")`): cargo puts every binary of a profile in one directory,
/// `target/<profile>/`. `CARGO_BIN_EXE_` names only the package's own binaries, so a test that runs
/// two packages' binaries finds the other here. `cargo test --workspace` builds every package's
/// binaries (each has integration tests, for which cargo builds them); a narrower selection
/// (`--test <name>`, `-p <package>`) does not, and would leave the other binary missing or stale.
pub fn workspace_binary(own: &str, name: &str) -> String {
    let dir = std::path::Path::new(own)
        .parent()
        .unwrap_or_else(|| panic!("{own} has no directory"));
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "no {}: run the tests with `cargo test --workspace --all-features`, which builds it",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

/// Every CloudWatch Embedded Metric Format document in `logs` (a line holding a JSON object with
/// `_aws.CloudWatchMetrics`), in order.
pub fn emf_documents(logs: &str) -> Vec<Value> {
    logs.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line.trim()).ok())
        .filter(|doc| doc["_aws"]["CloudWatchMetrics"].is_array())
        .collect()
}

/// One metric as CloudWatch keys it: namespace, name and the dimension set with its values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricKey {
    pub namespace: String,
    pub name: String,
    pub dimensions: std::collections::BTreeMap<String, String>,
}

impl MetricKey {
    pub fn new(namespace: &str, name: &str, dimensions: &[(&str, &str)]) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
            dimensions: dimensions
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}

/// What CloudWatch would extract from `documents`: for each metric (per namespace and dimension
/// set), the number of values and their sum, across every document. A value is a number or an
/// array of numbers (a histogram's samples). Fails on a document CloudWatch would reject or
/// misread: a directive naming a dimension or metric the document does not carry, or a member
/// that is neither `_aws`, a declared dimension nor a declared metric (a stray property).
pub fn emf_totals(documents: &[Value]) -> std::collections::BTreeMap<MetricKey, (usize, f64)> {
    let mut totals = std::collections::BTreeMap::new();
    for doc in documents {
        let object = doc.as_object().unwrap();
        assert!(doc["_aws"]["Timestamp"].is_u64(), "no Timestamp: {doc}");
        let mut declared: Vec<&str> = vec!["_aws"];
        for directive in doc["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            let namespace = directive["Namespace"].as_str().unwrap();
            let sets = directive["Dimensions"].as_array().unwrap();
            for metric in directive["Metrics"].as_array().unwrap() {
                let name = metric["Name"].as_str().unwrap();
                declared.push(name);
                let values: Vec<f64> = match &doc[name] {
                    Value::Number(n) => vec![n.as_f64().unwrap()],
                    Value::Array(a) => a.iter().map(|v| v.as_f64().unwrap()).collect(),
                    other => panic!("{name} has no numeric value ({other}): {doc}"),
                };
                for set in sets {
                    let dimensions = set
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|d| {
                            let d = d.as_str().unwrap();
                            let value = doc[d]
                                .as_str()
                                .unwrap_or_else(|| panic!("dimension {d} has no value: {doc}"));
                            (d.to_string(), value.to_string())
                        })
                        .collect();
                    let key = MetricKey {
                        namespace: namespace.into(),
                        name: name.into(),
                        dimensions,
                    };
                    let total = totals.entry(key).or_insert((0, 0.0));
                    total.0 += values.len();
                    total.1 += values.iter().sum::<f64>();
                }
            }
            for set in sets {
                declared.extend(set.as_array().unwrap().iter().map(|d| d.as_str().unwrap()));
            }
        }
        for member in object.keys() {
            assert!(
                declared.contains(&member.as_str()),
                "{member} is neither a dimension nor a metric: {doc}"
            );
        }
    }
    totals
}

/// An API Gateway HTTP API (payload 2.0) request for `operation` from `ip`, as the template's
/// API hands it to the function.
pub fn http_api_request(operation: &str, ip: &str, body: &str) -> Value {
    let path = match operation {
        "ForgotPassword" => "/forgot-password",
        _ => "/confirm-forgot-password",
    };
    json!({
        "version": "2.0",
        "routeKey": format!("POST {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": format!("AWSCognitoIdentityProviderService.{operation}"),
            "x-forwarded-for": ip,
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {
                "method": "POST", "path": path, "protocol": "HTTP/1.1",
                "sourceIp": ip, "userAgent": "aws-cli/2.22.0",
            },
            "requestId": crate::unique("req"),
            "routeKey": format!("POST {path}"),
            "stage": "$default",
            "time": "02/Dec/2026:12:00:00 +0000",
            "timeEpoch": 1_796_212_800_000_u64,
        },
        "body": body,
        "isBase64Encoded": false,
    })
}
