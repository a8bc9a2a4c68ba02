//! Black-box harness of the root package's suites: the real local runner binary on a free loopback
//! port, driven by the real `aws` CLI (installed into .venv by scripts/test) where the CLI is the
//! point, and by the SDK in-process everywhere else (`runner_sdk`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde_json::Value;

pub use crate::requests::{CLIENT, PASSWORD as NEW_PASSWORD};
#[cfg(feature = "cognito")]
pub use crate::runner_sdk::Answer;
pub const SECRET_CLIENT: &str = "5secretclient7h4s4s3cr3t0";
pub const SECRET: &str = "demo-client-secret-do-not-use-in-production";

/// The workspace's root folder.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn demo_pool() -> Value {
    let text = std::fs::read_to_string(root().join("config/demo-pool.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The runner binary cargo built for the calling suite (it sets `CARGO_BIN_EXE_<name>` for an
/// integration test when it runs it, as when it builds it).
pub fn runner_binary() -> PathBuf {
    std::env::var_os("CARGO_BIN_EXE_cognito-reset-local")
        .map(PathBuf::from)
        .expect("CARGO_BIN_EXE_cognito-reset-local: the runner's suites are the root package's")
}

fn scratch_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "cognito-reset-tests/{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct CliResult {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl CliResult {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    /// The JSON answer of a call that must succeed.
    #[track_caller]
    pub fn ok_json(&self) -> Value {
        assert!(self.ok, "{}", self.stderr);
        self.json()
    }

    /// The error name the CLI reports: "An error occurred (NameException) when calling ...".
    pub fn error(&self) -> String {
        assert!(!self.ok, "expected an error, got success: {}", self.stdout);
        let start = self.stderr.find('(').map(|i| i + 1).unwrap_or(0);
        let end = self.stderr[start..]
            .find(')')
            .map(|i| i + start)
            .unwrap_or(start);
        self.stderr[start..end].to_string()
    }

    /// The error message after the operation name.
    pub fn message(&self) -> String {
        self.stderr
            .split_once("operation: ")
            .map(|(_, m)| m.trim().to_string())
            .unwrap_or_default()
    }
}

/// `aws <args> --endpoint-url <endpoint> --output json`, with the dummy credentials.
pub fn aws(args: &[&str], endpoint: &str) -> CliResult {
    let out = Command::new("aws")
        .args(args)
        .args(["--endpoint-url", endpoint, "--output", "json"])
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_PAGER", "")
        .output()
        .unwrap_or_else(|e| panic!("cannot run `aws` ({e}): run the tests with scripts/test, which installs it into .venv"));
    CliResult {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub struct Runner {
    child: Child,
    pub endpoint: String,
    pub outbox: PathBuf,
    pub stderr_path: PathBuf,
    pub stdout: Arc<Mutex<String>>,
    #[cfg(feature = "cognito")]
    pub(crate) sdk_client: std::sync::OnceLock<aws_sdk_cognitoidentityprovider::Client>,
}

impl Runner {
    /// The runner on the bundled demo pool (no --config), as `cargo run` starts it.
    pub fn demo(name: &str) -> Runner {
        Self::start(name, None, &[])
    }

    /// The runner on a pool file written from `pool`.
    pub fn with_pool(name: &str, pool: &Value) -> Runner {
        Self::start(name, Some(pool), &[])
    }

    pub fn start(name: &str, pool: Option<&Value>, env: &[(&str, &str)]) -> Runner {
        let dir = scratch_dir(name);
        let outbox = dir.join("outbox.jsonl");
        let stderr_path = dir.join("runner.log");
        let mut cmd = Command::new(runner_binary());
        cmd.args(["--port", "0", "--outbox"]).arg(&outbox);
        if let Some(pool) = pool {
            let path = dir.join("pool.json");
            std::fs::write(&path, serde_json::to_vec_pretty(pool).unwrap()).unwrap();
            cmd.arg("--config").arg(path);
        }
        cmd.envs(env.iter().copied());
        cmd.stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap());
        let mut child = cmd.spawn().unwrap();
        let stdout = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let reader = BufReader::new(child.stdout.take().unwrap());
        let sink = stdout.clone();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("Cognito password reset on ") {
                    let _ = tx.send(
                        rest.split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_string(),
                    );
                }
                let mut all = sink.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
        let endpoint = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| {
                panic!(
                    "runner did not start: {}",
                    std::fs::read_to_string(&stderr_path).unwrap_or_default()
                )
            });
        Runner {
            child,
            endpoint,
            outbox,
            stderr_path,
            stdout,
            #[cfg(feature = "cognito")]
            sdk_client: std::sync::OnceLock::new(),
        }
    }

    /// `aws cognito-idp <args> --endpoint-url <runner>`, as a user types it.
    pub fn aws(&self, args: &[&str]) -> CliResult {
        aws(&[&["cognito-idp"], args].concat(), &self.endpoint)
    }

    /// `aws cognito-idp forgot-password --no-sign-request`, the seed's command.
    pub fn cli_forgot(&self, username: &str) -> CliResult {
        self.cli_forgot_as(CLIENT, username, None)
    }

    pub fn cli_forgot_as(
        &self,
        client: &str,
        username: &str,
        secret_hash: Option<&str>,
    ) -> CliResult {
        let mut args = vec![
            "forgot-password",
            "--client-id",
            client,
            "--username",
            username,
        ];
        if let Some(hash) = secret_hash {
            args.extend(["--secret-hash", hash]);
        }
        args.push("--no-sign-request");
        self.aws(&args)
    }

    /// `aws cognito-idp confirm-forgot-password --no-sign-request`.
    pub fn cli_confirm(&self, username: &str, code: &str, password: &str) -> CliResult {
        self.cli_confirm_as(CLIENT, username, code, password, None)
    }

    pub fn cli_confirm_as(
        &self,
        client: &str,
        username: &str,
        code: &str,
        password: &str,
        secret_hash: Option<&str>,
    ) -> CliResult {
        let mut args = vec![
            "confirm-forgot-password",
            "--client-id",
            client,
            "--username",
            username,
            "--confirmation-code",
            code,
            "--password",
            password,
        ];
        if let Some(hash) = secret_hash {
            args.extend(["--secret-hash", hash]);
        }
        args.push("--no-sign-request");
        self.aws(&args)
    }

    /// Every message delivered so far, oldest first.
    pub fn outbox(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.outbox)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The code in the newest message sent to `destination`.
    pub fn last_code(&self, destination: &str) -> String {
        let messages = self.outbox();
        let last = messages
            .iter()
            .rev()
            // A notice (no code) is not a code delivery.
            .find(|m| m["destination"] == destination && m["code"] != "")
            .unwrap_or_else(|| panic!("nothing delivered to {destination}: {messages:?}"));
        let body = last["body"].as_str().unwrap();
        let code = last["code"].as_str().unwrap().to_string();
        assert!(body.contains(&code), "the message body carries the code");
        code
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
