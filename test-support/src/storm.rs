//! A reset storm against Cognito's quotas: the real forgot-password and confirm-forgot-password
//! binaries, many containers started at once under local Lambda Runtime APIs, on moto, with
//! Cognito behind a `FaultProxy` enforcing the account's quotas. Each worker owns one container
//! of each function and walks users through a whole reset as the reset page does (ForgotPassword,
//! the code from the SMS, ConfirmForgotPassword; a TooManyRequestsException retried after a
//! jittered pause), then replays the spent code, which must be refused. The report counts every
//! answer by kind, the failed starts, the 5xx, the codes issued, delivered and confirmed, and the
//! codes still accepted after a changed password.
//!
//! The storm test (small, every CI run) and `scripts/bench storm` (large) both run this.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::types::UsernameAttributeType;
use bench_harness::runtime_api::RuntimeApi;
use rand::RngExt;
use serde_json::{Value, json};

use crate::cognito_pool::{add_user, aliases_email_and_phone, app_client, new_pool};
use crate::fake_sms::{Account, FakeSms};
use crate::fault_proxy::FaultProxy;
use crate::moto::{self, Calls};

/// How users name themselves at the reset page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// Their username, in a pool with email and phone aliases.
    Username,
    /// Their verified email, an alias (ListUsers finds the username).
    EmailAlias,
    /// Their email, the pool's username attribute (no ListUsers).
    EmailUsername,
}

impl Login {
    pub fn name(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::EmailAlias => "email alias",
            Self::EmailUsername => "email username attribute",
        }
    }
}

/// One storm.
#[derive(Debug, Clone)]
pub struct Storm {
    pub login: Login,
    /// Workers, each with a forgot-password and a confirm container: twice this many cold starts.
    pub workers: usize,
    /// The cold starts are spread uniformly over this window.
    pub surge: Duration,
    /// Distinct users, taken in turn.
    pub users: usize,
    /// Every quota of `fault_proxy::COGNITO_QUOTAS` multiplied by this.
    pub quota_scale: f64,
    /// Resets go on until this has passed since the surge began; zero: each user once.
    pub load: Duration,
    /// A reset given up after this long retrying throttled answers.
    pub patience: Duration,
}

/// What the storm saw.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Answers by "Operation kind" (kind: `ok` or the error type; `lambda-error` for a function
    /// error, `5xx` for a server error).
    pub answers: BTreeMap<String, usize>,
    pub cold_starts: usize,
    pub init_failures: usize,
    pub server_errors: usize,
    pub codes_issued: usize,
    pub codes_delivered: usize,
    pub confirmed: usize,
    /// Spent codes a replay after the changed password got accepted: must be none.
    pub live_after_reset: usize,
    /// Resets given up on (throttled past `patience`).
    pub abandoned: usize,
    /// Requests the proxy saw and throttled, by Cognito operation.
    pub cognito_seen: BTreeMap<String, usize>,
    pub cognito_throttled: BTreeMap<String, usize>,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Resets completed per second over the whole storm.
    pub resets_per_second: f64,
    /// When each reset completed, since the storm began.
    pub confirmed_at: Vec<Duration>,
    /// Resets completed per second over the storm's second half (past the cold starts).
    pub sustained_per_second: f64,
}

impl Report {
    /// The report's row of `scripts/bench storm`'s table, and its detail line.
    pub fn markdown(&self, storm: &Storm) -> (String, String) {
        let answers: Vec<String> = self
            .answers
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        let calls: Vec<String> = self
            .cognito_seen
            .iter()
            .map(|(op, seen)| {
                let t = self.cognito_throttled.get(op).copied().unwrap_or(0);
                format!("{op} {seen} ({t} throttled)")
            })
            .collect();
        let row = format!(
            "| {} | {} | {} | {} | {} | {} / {} / {} | {} | {} | {:.1} | {:.1} |",
            storm.login.name(),
            self.cold_starts,
            self.init_failures,
            self.server_errors,
            self.live_after_reset,
            self.codes_issued,
            self.codes_delivered,
            self.confirmed,
            self.abandoned,
            self.elapsed.as_secs(),
            self.resets_per_second,
            self.sustained_per_second,
        );
        let detail = format!(
            "- {}: answers {}; Cognito calls {}.",
            storm.login.name(),
            answers.join(", "),
            calls.join(", "),
        );
        (row, detail)
    }
}

/// The password every user starts with, and the ones each reset sets.
const FIRST_PASSWORD: &str = "0ld-Storm-Passw0rd!";
fn new_password(n: usize) -> String {
    format!("N3w-Storm-Passw0rd-{n}!")
}
const ORIGINATION: &str =
    "arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-0123456789abcdef";

/// One user: the login typed, and the phone the code goes to.
#[derive(Debug, Clone)]
struct StormUser {
    login: String,
    phone: String,
}

/// The stack: a pool shaped for the login form, its app client, users, the codes table, the fake
/// SMS v2 and the quota proxy in front of moto's Cognito.
struct Stack {
    env: Vec<(String, String)>,
    client_id: String,
    users: Vec<StormUser>,
    sms: FakeSms,
    proxy: FaultProxy,
}

async fn stack(storm: &Storm) -> Stack {
    let calls = Calls::default();
    let cognito = moto::cognito(&calls);
    let pool_id = match storm.login {
        Login::Username | Login::EmailAlias => new_pool(&cognito, aliases_email_and_phone).await,
        Login::EmailUsername => {
            new_pool(&cognito, |b| {
                b.username_attributes(UsernameAttributeType::Email)
            })
            .await
        }
    };
    let (client_id, _) = app_client(&cognito, &pool_id, false).await;
    let tag = crate::unique("storm");
    let base = u64::from(std::process::id()) * 7919 % 1_000_000;
    let mut users = Vec::with_capacity(storm.users);
    for i in 0..storm.users {
        let phone = format!("+1206{:07}", (base * 1000 + i as u64) % 10_000_000);
        let email = format!("u{i}-{tag}@example.org");
        let (username, login, attributes) = match storm.login {
            Login::Username => (
                format!("u{i}-{tag}"),
                format!("u{i}-{tag}"),
                vec![
                    ("phone_number", phone.as_str()),
                    ("phone_number_verified", "true"),
                ],
            ),
            Login::EmailAlias => (
                format!("u{i}-{tag}"),
                email.clone(),
                vec![
                    ("email", email.as_str()),
                    ("email_verified", "true"),
                    ("phone_number", phone.as_str()),
                    ("phone_number_verified", "true"),
                ],
            ),
            Login::EmailUsername => (
                email.clone(),
                email.clone(),
                vec![
                    ("email", email.as_str()),
                    ("phone_number", phone.as_str()),
                    ("phone_number_verified", "true"),
                ],
            ),
        };
        add_user(
            &cognito,
            &pool_id,
            &username,
            &attributes,
            Some(FIRST_PASSWORD),
        )
        .await;
        users.push(StormUser { login, phone });
    }
    let tables = crate::dynamo::unique_tables("storm");
    password_reset::adapters::dynamodb_tables::create_tables(&moto::dynamodb(&calls), &tables)
        .await
        .unwrap();
    let mut account = Account::production();
    account.origination_identities.insert(ORIGINATION.into());
    let sms = FakeSms::start(account);
    let proxy = FaultProxy::start(&moto::endpoint()).await;
    proxy.enforce_quotas(storm.quota_scale);
    let key = "StormK3yStormK3yStormK3yStormK3yStormK3yStormK3yStormK3yStormK3y";
    // As the template deploys it: a sign-out still throttled after the password changed is owed
    // on the retry queue, and the reset answers success.
    let (_, sign_out_queue) = moto::queue(&crate::unique("storm-sign-outs")).await;
    let env = [
        ("DIRECTORY", "cognito"),
        ("SIGN_OUT_RETRY_QUEUE_URL", sign_out_queue.as_str()),
        ("STORE", "dynamodb"),
        ("CODES_TABLE", tables.codes.as_str()),
        ("DELIVERY", "aws"),
        ("CODE_HASH_KEY", key),
        ("USER_POOL_ID", pool_id.as_str()),
        ("SIGN_OUT_ON_RESET", "true"),
        ("NOTIFY_PASSWORD_CHANGED", "true"),
        ("RECOVERY_MECHANISMS", "verified_phone_number"),
        ("PREVENT_USER_EXISTENCE_ERRORS", "ENABLED"),
        // Each user resets many times in a long storm.
        ("MAX_REQUESTS_PER_HOUR", "50"),
        ("SES_FROM_ADDRESS", "no-reply@example.com"),
        ("SMS_ORIGINATION_IDENTITY", ORIGINATION),
        ("SMS_DRY_RUN", "false"),
        ("AWS_LAMBDA_LOG_LEVEL", "WARN"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_ENDPOINT_URL", moto::endpoint().as_str()),
        (
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
            proxy.endpoint().as_str(),
        ),
        (
            "AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2",
            sms.endpoint.as_str(),
        ),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Stack {
        env,
        client_id,
        users,
        sms,
        proxy,
    }
}

/// How one invocation ended.
enum Answer {
    /// An HTTP answer: its status and `ok` or the Cognito error type.
    Http(u16, String, Value),
    /// The container failed its start (`/runtime/init/error`).
    InitFailed(String),
    /// A function error, or no answer.
    Failed(String),
}

/// One function container: its process under its own Runtime API.
struct Container {
    api: RuntimeApi,
    child: tokio::process::Child,
    log: std::path::PathBuf,
    invoked: usize,
}

impl Container {
    async fn start(binary: &str, env: &[(String, String)]) -> Container {
        let api = RuntimeApi::start().await.unwrap();
        let name = std::path::Path::new(binary)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let log = std::env::temp_dir().join(format!("{}.log", crate::unique(&name)));
        let file = std::fs::File::create(&log).unwrap();
        let child = tokio::process::Command::new(binary)
            .env_clear()
            .envs(api.environment(&name, "storm"))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        Container {
            api,
            child,
            log,
            invoked: 0,
        }
    }

    async fn invoke(&mut self, event: &Value) -> Answer {
        let id = format!("req-{}", self.invoked);
        self.invoked += 1;
        let _ = self.api.events.send((id, event.to_string().into()));
        let outcome =
            match tokio::time::timeout(Duration::from_secs(30), self.api.outcomes.recv()).await {
                Ok(Some(outcome)) => outcome,
                _ => return Answer::Failed("no answer".into()),
            };
        let body: Value = serde_json::from_slice(&outcome.body).unwrap_or(Value::Null);
        if !outcome.ok {
            let kind = format!(
                "{}: {}",
                body["errorType"].as_str().unwrap_or("?"),
                body["errorMessage"].as_str().unwrap_or("?")
            );
            // A start that failed posts its error and exits before taking an event.
            let exited = tokio::time::timeout(Duration::from_secs(5), self.child.wait())
                .await
                .is_ok();
            return if exited {
                Answer::InitFailed(kind)
            } else {
                Answer::Failed(kind)
            };
        }
        let status = body["statusCode"].as_u64().unwrap_or(0) as u16;
        let kind = if status == 200 {
            "ok".to_string()
        } else {
            body["headers"]["x-amzn-errortype"]
                .as_str()
                .unwrap_or("?")
                .to_string()
        };
        let answer =
            serde_json::from_str(body["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
        Answer::Http(status, kind, answer)
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        if std::env::var_os("STORM_KEEP_LOGS").is_some() {
            return;
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// An HTTP API (payload 2.0) request of `operation` from `ip`.
fn http_event(operation: &str, body: Value, ip: &str) -> Value {
    crate::deployed::http_api_request(operation, ip, &body.to_string())
}

/// The six-digit code in an SMS body, if it carries one (the password-changed notice does not).
fn code_in(body: &str) -> Option<String> {
    body.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .map(str::to_string)
}

/// What the workers share.
struct Shared {
    began: Instant,
    report: Mutex<Report>,
    next_user: Mutex<usize>,
    /// SMS bodies already taken, by phone: how many of each phone's messages were read.
    read: Mutex<BTreeMap<String, usize>>,
}

impl Shared {
    fn count(&self, operation: &str, kind: &str) {
        let mut report = self.report.lock().unwrap();
        *report
            .answers
            .entry(format!("{operation} {kind}"))
            .or_default() += 1;
    }
}

/// The binaries: forgot-password's and confirm-forgot-password's.
pub struct Binaries {
    pub forgot: String,
    pub confirm: String,
}

/// Runs `storm` and reports what it saw.
pub async fn run(storm: &Storm, binaries: &Binaries) -> Report {
    let stack = Arc::new(stack(storm).await);
    let shared = Arc::new(Shared {
        began: Instant::now(),
        report: Mutex::new(Report::default()),
        next_user: Mutex::new(0),
        read: Mutex::new(BTreeMap::new()),
    });
    let began = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..storm.workers {
        let delay = storm.surge.mul_f64(rand::rng().random_range(0.0..1.0));
        let (stack, shared, storm) = (stack.clone(), shared.clone(), storm.clone());
        let (forgot, confirm) = (binaries.forgot.clone(), binaries.confirm.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            worker(&storm, &stack, &shared, &forgot, &confirm, began).await;
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut report = shared.report.lock().unwrap().clone();
    report.elapsed = began.elapsed();
    report.resets_per_second = report.confirmed as f64 / report.elapsed.as_secs_f64().max(1e-3);
    let half = report.elapsed / 2;
    let late = report.confirmed_at.iter().filter(|at| **at >= half).count();
    report.sustained_per_second = late as f64 / (report.elapsed - half).as_secs_f64().max(1e-3);
    for (op, _, _) in crate::fault_proxy::COGNITO_QUOTAS
        .iter()
        .flat_map(|(_, _, ops)| ops.iter().map(|op| (*op, 0, 0)))
    {
        let seen = stack.proxy.seen(op);
        if seen > 0 {
            report.cognito_seen.insert(op.to_string(), seen);
            report
                .cognito_throttled
                .insert(op.to_string(), stack.proxy.broken(op));
        }
    }
    report
}

/// Starts a container, counting its cold start.
async fn cold(binary: &str, stack: &Stack, shared: &Shared) -> Container {
    shared.report.lock().unwrap().cold_starts += 1;
    Container::start(binary, &stack.env).await
}

async fn worker(
    storm: &Storm,
    stack: &Stack,
    shared: &Shared,
    forgot_binary: &str,
    confirm_binary: &str,
    began: Instant,
) {
    let mut forgot = cold(forgot_binary, stack, shared).await;
    let mut confirm = cold(confirm_binary, stack, shared).await;
    loop {
        let n = {
            let mut next = shared.next_user.lock().unwrap();
            let n = *next;
            *next += 1;
            n
        };
        if storm.load.is_zero() && n >= storm.users {
            return;
        }
        if !storm.load.is_zero() && began.elapsed() >= storm.load {
            return;
        }
        let user = &stack.users[n % stack.users.len()];
        // One caller per reset, as a storm of distinct people: the per-caller limit stays out.
        let ip = format!("10.{}.{}.{}", n / 65536 % 256, n / 256 % 256, n % 256);
        reset(
            storm,
            stack,
            shared,
            user,
            n,
            &ip,
            (&mut forgot, forgot_binary),
            (&mut confirm, confirm_binary),
        )
        .await;
    }
}

/// Sends `event` to the container until it answers other than TooManyRequestsException or
/// `patience` runs out; a container whose start failed is replaced, as Lambda would. `None`:
/// given up.
async fn call(
    storm: &Storm,
    stack: &Stack,
    shared: &Shared,
    operation: &str,
    (container, binary): (&mut Container, &str),
    event: &Value,
) -> Option<(String, Value)> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(200);
    loop {
        match container.invoke(event).await {
            Answer::Http(status, kind, body) => {
                shared.count(operation, &kind);
                if status >= 500 {
                    shared.report.lock().unwrap().server_errors += 1;
                }
                if kind != "TooManyRequestsException" {
                    return Some((kind, body));
                }
            }
            Answer::InitFailed(kind) => {
                shared.count(operation, &format!("init failure ({kind})"));
                shared.report.lock().unwrap().init_failures += 1;
                *container = cold(binary, stack, shared).await;
            }
            Answer::Failed(kind) => {
                shared.count(operation, &format!("lambda-error ({kind})"));
                shared.report.lock().unwrap().server_errors += 1;
                return None;
            }
        }
        if started.elapsed() >= storm.patience {
            return None;
        }
        // The reset page's back-off: full jitter, doubling to 3.2 s.
        let jittered = pause.mul_f64(rand::rng().random_range(0.5..1.0));
        tokio::time::sleep(jittered).await;
        pause = (pause * 2).min(Duration::from_millis(3200));
    }
}

#[allow(clippy::too_many_arguments)]
async fn reset(
    storm: &Storm,
    stack: &Stack,
    shared: &Shared,
    user: &StormUser,
    n: usize,
    ip: &str,
    forgot: (&mut Container, &str),
    confirm: (&mut Container, &str),
) {
    let request = json!({"ClientId": stack.client_id, "Username": user.login});
    let event = http_event("ForgotPassword", request, ip);
    let Some((kind, _)) = call(storm, stack, shared, "ForgotPassword", forgot, &event).await else {
        shared.report.lock().unwrap().abandoned += 1;
        return;
    };
    if kind != "ok" {
        return;
    }
    shared.report.lock().unwrap().codes_issued += 1;
    let Some(code) = await_code(stack, shared, &user.phone).await else {
        return;
    };
    shared.report.lock().unwrap().codes_delivered += 1;
    let password = new_password(n);
    let body = json!({
        "ClientId": stack.client_id, "Username": user.login,
        "ConfirmationCode": code, "Password": password,
    });
    let event = http_event("ConfirmForgotPassword", body, ip);
    let (container, binary) = confirm;
    let Some((kind, _)) = call(
        storm,
        stack,
        shared,
        "ConfirmForgotPassword",
        (&mut *container, binary),
        &event,
    )
    .await
    else {
        shared.report.lock().unwrap().abandoned += 1;
        return;
    };
    if kind != "ok" {
        return;
    }
    {
        let mut report = shared.report.lock().unwrap();
        report.confirmed += 1;
        report.confirmed_at.push(shared.began.elapsed());
    }
    // The spent code, replayed with another password: refused, whatever the throttling.
    let replay = json!({
        "ClientId": stack.client_id, "Username": user.login,
        "ConfirmationCode": code, "Password": new_password(n + 1_000_000),
    });
    let event = http_event("ConfirmForgotPassword", replay, ip);
    if let Some((kind, _)) = call(
        storm,
        stack,
        shared,
        "ConfirmForgotPassword replay",
        (container, binary),
        &event,
    )
    .await
        && kind == "ok"
    {
        shared.report.lock().unwrap().live_after_reset += 1;
    }
}

/// The next code sent to `phone` not yet taken, waiting up to 10 s for it.
async fn await_code(stack: &Stack, shared: &Shared, phone: &str) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mine: Vec<String> = stack
            .sms
            .sent()
            .into_iter()
            .filter(|s| s.destination == phone)
            .filter_map(|s| code_in(&s.body))
            .collect();
        {
            let mut read = shared.read.lock().unwrap();
            let taken = read.entry(phone.to_string()).or_default();
            if mine.len() > *taken {
                *taken = mine.len();
                return mine.last().cloned();
            }
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
