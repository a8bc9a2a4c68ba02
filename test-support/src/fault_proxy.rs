//! A fault-injecting HTTP proxy in front of moto: every request is forwarded as it is, except the
//! ones whose `X-Amz-Target` names an operation given a fault, which it breaks the way a network
//! or a service breaks between a function and the pool: applied and then the connection dropped,
//! a throttle or a 500 answered without forwarding, an answer that never comes.
//!
//!
//! With `enforce_quotas`, it is also Cognito's throttling: each operation draws on its quota
//! category's token bucket (per account: the proxy is one account), DescribeUserPoolClient on its
//! pool's bucket too, and a request finding its bucket empty is answered as Cognito answers it,
//! 400 TooManyRequestsException, without being forwarded.
//!
//! One request per connection (the forwarded request asks moto for `Connection: close`, and the
//! answer carries it back), so a dropped connection is exactly one lost answer.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How one operation is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forwarded, so moto applies it; then the connection is closed without an answer.
    ApplyThenDrop,
    /// 400 TooManyRequestsException, not forwarded: nothing applied.
    Throttle,
    /// 500 InternalErrorException, not forwarded: nothing applied.
    InternalError,
    /// Forwarded (applied), and the answer held back for this long, then the connection closed.
    ApplyThenStall(Duration),
    /// Not forwarded; the connection held open this long without an answer, then closed.
    Stall(Duration),
    /// 400 with this error code (a service's own throttle), not forwarded: nothing applied.
    Refuse(&'static str),
}

/// Faults drawn at random for every request, whatever its operation: each request is broken with
/// probability `per_mille`/1000, by one of `faults` chosen uniformly, from a seeded generator (so
/// a run's sequence is the same for the same order of requests).
struct Random {
    per_mille: u32,
    faults: Vec<Fault>,
    rng: rand::rngs::StdRng,
}

#[derive(Debug, Clone, Copy)]
struct Rule {
    fault: Fault,
    /// Requests still to break; `None`: every one.
    left: Option<usize>,
}

/// Cognito's default quotas (requests per second, per account and Region, the quotas page of
/// 2026) by category, with the operations this service calls in each.
pub const COGNITO_QUOTAS: [(&str, f64, &[&str]); 7] = [
    ("UserPoolRead", 15.0, &["DescribeUserPool"]),
    ("UserPoolClientRead", 15.0, &["DescribeUserPoolClient"]),
    ("UserRead", 120.0, &["AdminGetUser"]),
    ("UserList", 30.0, &["ListUsers"]),
    (
        "UserAccountRecovery",
        30.0,
        &[
            "AdminSetUserPassword",
            "ForgotPassword",
            "ConfirmForgotPassword",
        ],
    ),
    (
        "UserUpdate",
        25.0,
        &["AdminUserGlobalSignOut", "AdminUpdateUserAttributes"],
    ),
    ("UserCreate", 50.0, &["AdminCreateUser"]),
];
/// DescribeUserPoolClient's own limit per pool, within UserPoolClientRead.
pub const DESCRIBE_CLIENT_PER_POOL: f64 = 5.0;

/// A token bucket holding a second's worth of its rate.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    rate: f64,
    tokens: f64,
    at: std::time::Instant,
}

impl Bucket {
    fn new(rate: f64) -> Self {
        Self {
            rate,
            tokens: rate.max(1.0),
            at: std::time::Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = std::time::Instant::now();
        let elapsed = now.duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate.max(1.0));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The quotas enforced: a bucket per category and one per pool for DescribeUserPoolClient.
struct Quotas {
    scale: f64,
    categories: HashMap<&'static str, Bucket>,
    client_reads: HashMap<String, Bucket>,
}

impl Quotas {
    fn new(scale: f64) -> Self {
        Self {
            scale,
            categories: COGNITO_QUOTAS
                .iter()
                .map(|(name, rate, _)| (*name, Bucket::new(rate * scale)))
                .collect(),
            client_reads: HashMap::new(),
        }
    }

    /// Whether a request of `operation` (its body `body`) is within the quotas, spending them.
    fn admit(&mut self, operation: &str, body: &[u8]) -> bool {
        let Some((category, _, _)) = COGNITO_QUOTAS
            .iter()
            .find(|(_, _, operations)| operations.contains(&operation))
        else {
            return true;
        };
        if operation == "DescribeUserPoolClient" {
            let pool = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|b| b["UserPoolId"].as_str().map(str::to_string))
                .unwrap_or_default();
            let scale = self.scale;
            let per_pool = self
                .client_reads
                .entry(pool)
                .or_insert_with(|| Bucket::new(DESCRIBE_CLIENT_PER_POOL * scale));
            if !per_pool.take() {
                return false;
            }
        }
        self.categories.get_mut(category).is_none_or(Bucket::take)
    }
}

#[derive(Default)]
struct State {
    rules: HashMap<String, Rule>,
    random: Option<Random>,
    quotas: Option<Quotas>,
    /// Requests seen per operation, broken or not.
    seen: HashMap<String, usize>,
    /// Requests broken per operation (quota throttles included).
    broken: HashMap<String, usize>,
}

/// The proxy, listening on loopback until dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// A proxy to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> Self {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let state = shared.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let _ = serve(client, &upstream, &state).await;
                });
            }
        });
        Self { addr, state, task }
    }

    /// The endpoint to point an SDK client at.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Breaks the next `times` requests of `operation` (every one with `None`) with `fault`.
    pub fn break_operation(&self, operation: &str, fault: Fault, times: Option<usize>) {
        self.state
            .lock()
            .unwrap()
            .rules
            .insert(operation.to_string(), Rule { fault, left: times });
    }

    /// Breaks about `per_mille`/1000 of every request from now on, each by one of `faults`, drawn
    /// from a generator seeded with `seed`. Rules for named operations are applied first.
    pub fn break_randomly(&self, per_mille: u32, faults: &[Fault], seed: u64) {
        use rand::SeedableRng;
        self.state.lock().unwrap().random = Some(Random {
            per_mille,
            faults: faults.to_vec(),
            rng: rand::rngs::StdRng::seed_from_u64(seed),
        });
    }

    /// Enforces Cognito's quotas (`COGNITO_QUOTAS`, `DESCRIBE_CLIENT_PER_POOL`), each rate
    /// multiplied by `scale`, from now on: a request past its quota is answered 400
    /// TooManyRequestsException and counted as broken.
    pub fn enforce_quotas(&self, scale: f64) {
        self.state.lock().unwrap().quotas = Some(Quotas::new(scale));
    }

    /// Every operation forwarded as it is from now on.
    pub fn heal(&self) {
        let mut state = self.state.lock().unwrap();
        state.rules.clear();
        state.random = None;
    }

    /// Requests broken so far, every operation.
    pub fn broken_in_all(&self) -> usize {
        self.state.lock().unwrap().broken.values().sum()
    }

    /// Requests of `operation` seen so far.
    pub fn seen(&self, operation: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .seen
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    /// Requests of `operation` broken so far.
    pub fn broken(&self, operation: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .broken
            .get(operation)
            .copied()
            .unwrap_or(0)
    }
}

/// The fault for this request of `operation`, counting it.
fn fault_for(state: &Mutex<State>, operation: &str, body: &[u8]) -> Option<Fault> {
    use rand::RngExt;
    let mut state = state.lock().unwrap();
    *state.seen.entry(operation.to_string()).or_default() += 1;
    let over_quota = state
        .quotas
        .as_mut()
        .is_some_and(|q| !q.admit(operation, body));
    if over_quota {
        *state.broken.entry(operation.to_string()).or_default() += 1;
        return Some(Fault::Throttle);
    }
    if !state.rules.contains_key(operation)
        && let Some(random) = &mut state.random
    {
        if random.rng.random_range(0..1000) >= random.per_mille || random.faults.is_empty() {
            return None;
        }
        let fault = random.faults[random.rng.random_range(0..random.faults.len())];
        *state.broken.entry(operation.to_string()).or_default() += 1;
        return Some(fault);
    }
    let rule = state.rules.get_mut(operation)?;
    match &mut rule.left {
        Some(0) => return None,
        Some(n) => *n -= 1,
        None => {}
    }
    let fault = rule.fault;
    *state.broken.entry(operation.to_string()).or_default() += 1;
    Some(fault)
}

/// One request: its head and body, the operation its `X-Amz-Target` names.
struct Request {
    head: Vec<(String, String)>,
    start_line: String,
    body: Vec<u8>,
}

impl Request {
    async fn read(client: &mut TcpStream) -> Option<Self> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            let n = client.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let text = String::from_utf8_lossy(&buf[..end]).to_string();
        let mut lines = text.split("\r\n");
        let start_line = lines.next()?.to_string();
        let head: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let length = head
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = buf[end + 4..].to_vec();
        while body.len() < length {
            let n = client.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        Some(Self {
            head,
            start_line,
            body,
        })
    }

    /// `Cognito...Service.AdminSetUserPassword` -> `AdminSetUserPassword`.
    fn operation(&self) -> String {
        self.head
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-target"))
            .map(|(_, v)| v.rsplit('.').next().unwrap_or(v).to_string())
            .unwrap_or_default()
    }

    /// The request as sent upstream, asking it to close the connection after answering.
    fn bytes(&self) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.start_line);
        for (k, v) in &self.head {
            if !k.eq_ignore_ascii_case("connection") {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        out.push_str("Connection: close\r\n\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

async fn forward(request: &Request, upstream: &str) -> std::io::Result<Vec<u8>> {
    let mut moto = TcpStream::connect(upstream).await?;
    moto.write_all(&request.bytes()).await?;
    let mut answer = Vec::new();
    moto.read_to_end(&mut answer).await?;
    Ok(answer)
}

fn error_answer(status: &str, kind: &str, message: &str) -> Vec<u8> {
    let body = format!(r#"{{"__type":"{kind}","message":"{message}"}}"#);
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-ErrorType: {kind}\r\n\
         x-amzn-RequestId: fault-proxy\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve(mut client: TcpStream, upstream: &str, state: &Mutex<State>) -> std::io::Result<()> {
    let Some(request) = Request::read(&mut client).await else {
        return Ok(());
    };
    let answer = match fault_for(state, &request.operation(), &request.body) {
        None => forward(&request, upstream).await?,
        Some(Fault::ApplyThenDrop) => {
            forward(&request, upstream).await?;
            return Ok(());
        }
        Some(Fault::Throttle) => error_answer(
            "400 Bad Request",
            "TooManyRequestsException",
            "Rate exceeded",
        ),
        Some(Fault::InternalError) => error_answer(
            "500 Internal Server Error",
            "InternalErrorException",
            "Internal server error.",
        ),
        Some(Fault::ApplyThenStall(hold)) => {
            forward(&request, upstream).await?;
            tokio::time::sleep(hold).await;
            return Ok(());
        }
        Some(Fault::Stall(hold)) => {
            tokio::time::sleep(hold).await;
            return Ok(());
        }
        Some(Fault::Refuse(kind)) => error_answer("400 Bad Request", kind, "Refused by the proxy"),
    };
    client.write_all(&answer).await?;
    client.shutdown().await
}
