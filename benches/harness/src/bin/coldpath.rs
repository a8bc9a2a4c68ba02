//! The cold path as a user meets it: each bootstrap started under our Lambda Runtime API, its CPU
//! limited by a cgroup (v1) quota to Lambda's share for a memory size (1769 MB = one vCPU), every
//! AWS call through a TLS-terminating proxy in front of moto that adds a fixed delay per call.
//!
//! Per function and memory size: wall time from process start to the first answer, CPU time
//! (cpuacct) to the first poll and to the first answer, warm latency; per function the AWS calls
//! at init, in the first (cold) and in a warm invocation, each with its sequential depth (the
//! longest chain of calls that waited one for the other). Repetitions are interleaved over
//! functions and sizes, so drift on a shared machine hits all alike.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use bench_harness::issuer::Issuer;
use bench_harness::proxy::{Call, Proxy, depth};
use bench_harness::runtime_api::RuntimeApi;
use bench_harness::{median, ms};
use clap::Parser;
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Lambda gives one vCPU at 1769 MB, proportionally less below.
const ONE_VCPU_MB: f64 = 1769.0;

#[derive(Debug, Parser)]
#[command(about = "Cold path of Lambda bootstraps: CPU quota, TLS proxy with a delay per AWS call")]
struct Cli {
    /// NAME[@VARIANT]=PATH of a bootstrap; repeat. `hello-lambda` gets an echo event.
    #[arg(long = "function", value_parser = name_path)]
    functions: Vec<(String, PathBuf)>,
    /// KEY=VALUE for every bootstrap; `{tls}`, `{tls:NAME}` (a TLS port of its own per NAME) and
    /// `{plain}` in a value become the proxy's URLs.
    #[arg(long = "env", value_parser = key_value)]
    env: Vec<(String, String)>,
    /// VARIANT:KEY=VALUE added for the NAME@VARIANT bootstraps (after --env, so it overrides).
    #[arg(long = "variant-env", value_parser = variant_key_value)]
    variant_env: Vec<(String, String, String)>,
    /// VARIANT=MB,MB: the memory sizes a variant runs at (default: all of --memory).
    #[arg(long = "variant-memory", value_parser = key_value)]
    variant_memory: Vec<(String, String)>,
    /// Memory sizes (MB) whose CPU share is applied as a cgroup quota; 0 = no limit.
    #[arg(long, value_delimiter = ',', default_value = "128,256,512,1024")]
    memory: Vec<u32>,
    /// Where moto listens (plain HTTP).
    #[arg(long)]
    upstream: String,
    /// The proxy's certificate chain and key (PEM); its CA goes in the bootstraps' trust store.
    #[arg(long)]
    cert: PathBuf,
    #[arg(long)]
    key: PathBuf,
    /// Added to every AWS call, as an in-region round trip takes.
    #[arg(long, default_value_t = 25)]
    delay_ms: u64,
    /// CFS period of the quota (the kernel's default is 100 ms).
    #[arg(long, default_value_t = 100_000)]
    period_us: u64,
    /// The forgot-password bootstrap that issues each ConfirmForgotPassword its right code, run
    /// with --env's environment straight to --upstream (outside the quota and the proxy). Needed
    /// unless every confirm target is `@wrong-code`.
    #[arg(long)]
    issuer: Option<PathBuf>,
    /// The app client id in the ForgotPassword / ConfirmForgotPassword events.
    #[arg(long)]
    client_id: String,
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Warm invocations after the first, per cold start.
    #[arg(long, default_value_t = 3)]
    warm: usize,
    /// cgroup v1 mount points of the cpu and cpuacct controllers.
    #[arg(long, default_value = "/sys/fs/cgroup/cpu")]
    cpu_cgroup: PathBuf,
    #[arg(long, default_value = "/sys/fs/cgroup/cpuacct")]
    cpuacct_cgroup: PathBuf,
    /// Where `<fn>-http.json` (API Gateway's event for each operation) is read from.
    #[arg(long, default_value = "events")]
    events: PathBuf,
    /// Folder for each bootstrap's stdout/stderr.
    #[arg(long, default_value = "target/bench/logs/coldpath")]
    logs: PathBuf,
}

fn name_path(s: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = s.split_once('=').ok_or("expected NAME=PATH")?;
    Ok((name.to_string(), PathBuf::from(path)))
}

fn key_value(s: &str) -> Result<(String, String), String> {
    let (k, v) = s.split_once('=').ok_or("expected KEY=VALUE")?;
    Ok((k.to_string(), v.to_string()))
}

fn variant_key_value(s: &str) -> Result<(String, String, String), String> {
    let (variant, kv) = s.split_once(':').ok_or("expected VARIANT:KEY=VALUE")?;
    let (k, v) = key_value(kv)?;
    Ok((variant.to_string(), k, v))
}

fn split_variant(target: &str) -> (&str, Option<&str>) {
    match target.split_once('@') {
        Some((name, variant)) => (name, Some(variant)),
        None => (target, None),
    }
}

/// One process's measurements.
struct Run {
    wall_first: Duration,
    cpu_init: Duration,
    cpu_first: Duration,
    warm: Vec<Duration>,
    calls_init: Vec<Call>,
    calls_cold: Vec<Call>,
    calls_warm: Vec<Call>,
    started: Instant,
    errors: usize,
    last_error: Option<String>,
    /// TLS handshakes from process start to the first answer.
    handshakes: usize,
}

/// A cgroup (v1) pair, cpu with a quota and cpuacct for the CPU time, removed on drop.
struct Cgroup {
    cpu: PathBuf,
    cpuacct: PathBuf,
}

impl Cgroup {
    fn create(cli: &Cli, name: &str, memory_mb: u32) -> Result<Cgroup, Error> {
        let cpu = cli.cpu_cgroup.join(name);
        let cpuacct = cli.cpuacct_cgroup.join(name);
        std::fs::create_dir_all(&cpu)?;
        std::fs::create_dir_all(&cpuacct)?;
        let quota = if memory_mb == 0 {
            -1
        } else {
            (cli.period_us as f64 * f64::from(memory_mb) / ONE_VCPU_MB).round() as i64
        };
        std::fs::write(cpu.join("cpu.cfs_period_us"), cli.period_us.to_string())?;
        std::fs::write(cpu.join("cpu.cfs_quota_us"), quota.to_string())?;
        Ok(Cgroup { cpu, cpuacct })
    }

    fn usage(&self) -> Result<Duration, Error> {
        let ns: u64 = std::fs::read_to_string(self.cpuacct.join("cpuacct.usage"))?
            .trim()
            .parse()?;
        Ok(Duration::from_nanos(ns))
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        // Empty once the process is gone; a directory still in use is left for the next run.
        let _ = std::fs::remove_dir(&self.cpu);
        let _ = std::fs::remove_dir(&self.cpuacct);
    }
}

/// The operation's request as API Gateway hands it over (`events/<fn>-http.json`, the template's
/// HTTP API), with this invocation's body and a source address of its own, so the per-caller
/// window is read and written as for a real caller and never answers a limit.
/// `code`: the confirm's (a wrong one when `None`: a counted failed attempt, no password set).
fn event(
    templates: &BTreeMap<String, Value>,
    name: &str,
    client_id: &str,
    user: usize,
    code: Option<&str>,
) -> Value {
    let username = format!("user{user:05}");
    let body = match name {
        "forgot-password" => json!({"ClientId": client_id, "Username": username}),
        "confirm-forgot-password" => json!({"ClientId": client_id, "Username": username,
            "ConfirmationCode": code.unwrap_or("123456"), "Password": "N3w-Passw0rd!"}),
        _ => return json!({"hello": "world"}),
    };
    let Some(mut event) = templates.get(name).cloned() else {
        return body;
    };
    let ip = format!(
        "10.{}.{}.{}",
        (user >> 16) & 255,
        (user >> 8) & 255,
        user & 255
    );
    event["body"] = Value::String(body.to_string());
    event["isBase64Encoded"] = Value::Bool(false);
    event["requestContext"]["http"]["sourceIp"] = Value::String(ip.clone());
    event["headers"]["x-forwarded-for"] = Value::String(ip);
    if let Some(headers) = event["headers"].as_object_mut() {
        headers.remove("content-length");
    }
    event
}

#[allow(clippy::too_many_arguments)]
async fn run_once(
    cli: &Cli,
    proxy: &Proxy,
    target: &str,
    path: &Path,
    memory_mb: u32,
    serial: usize,
    users: &mut usize,
    templates: &BTreeMap<String, Value>,
    mut issuer: Option<&mut Issuer>,
) -> Result<Run, Error> {
    let (function, variant) = split_variant(target);
    let right_code = function == "confirm-forgot-password" && variant != Some("wrong-code");
    // Every invocation's user and code before the process starts: no issuing inside the timings.
    let mut invocations = Vec::with_capacity(cli.warm + 1);
    for _ in 0..=cli.warm {
        *users += 1;
        let code = match issuer.as_deref_mut() {
            Some(issuer) if right_code => {
                let forgot = event(templates, "forgot-password", &cli.client_id, *users, None);
                Some(
                    issuer
                        .code(&forgot, &format!("user{:05}@example.com", *users))
                        .await?,
                )
            }
            _ if right_code => return Err("a right-code confirm needs --issuer".into()),
            _ => None,
        };
        invocations.push(event(
            templates,
            function,
            &cli.client_id,
            *users,
            code.as_deref(),
        ));
    }
    let mut api = RuntimeApi::start().await?;
    let group = Cgroup::create(
        cli,
        &format!("coldpath-{}-{serial}", std::process::id()),
        memory_mb,
    )?;
    std::fs::create_dir_all(&cli.logs)?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(cli.logs.join(format!("{target}.log")))?;
    let plain = format!("http://127.0.0.1:{}", proxy.plain_port);
    let fill = |v: &str| {
        let mut v = v.replace("{plain}", &plain);
        for (name, port) in &proxy.tls_ports {
            let key = if name.is_empty() {
                "{tls}".to_string()
            } else {
                format!("{{tls:{name}}}")
            };
            v = v.replace(&key, &format!("https://127.0.0.1:{port}"));
        }
        v
    };
    // The shell puts itself in the cgroups and execs the bootstrap: all of its CPU is counted.
    let mut command = tokio::process::Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(r#"echo $$ > "$1/cgroup.procs" && echo $$ > "$2/cgroup.procs" && exec "$3""#)
        .arg("sh")
        .arg(&group.cpu)
        .arg(&group.cpuacct)
        .arg(path)
        .env_clear()
        .envs(api.environment(function, "bench"))
        .env(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            if memory_mb == 0 { 1769 } else { memory_mb }.to_string(),
        )
        .envs(cli.env.iter().map(|(k, v)| (k.clone(), fill(v))))
        .envs(
            cli.variant_env
                .iter()
                .filter(|(v, _, _)| Some(v.as_str()) == variant)
                .map(|(_, k, v)| (k.clone(), fill(v))),
        )
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true);

    let _ = proxy.take();
    let _ = proxy.take_handshakes();
    let started = Instant::now();
    let mut child = command.spawn()?;
    let outcome = async {
        let first_poll = tokio::select! {
            p = api.polls.recv() => p.ok_or("runtime API stopped")?,
            status = child.wait() => return Err(format!("{target} exited during init: {:?}", status?).into()),
            _ = tokio::time::sleep(Duration::from_secs(60)) => return Err(format!("{target}: no poll within 60 s").into()),
        };
        let cpu_init = group.usage()?;
        if let Ok(init_error) = api.outcomes.try_recv() {
            return Err(format!(
                "{target} init error: {}",
                String::from_utf8_lossy(&init_error.body)
            )
            .into());
        }
        let calls_init = proxy.take();
        let _ = first_poll;
        let mut wall_first = Duration::ZERO;
        let mut cpu_first = Duration::ZERO;
        let mut warm = Vec::new();
        let mut calls_cold = Vec::new();
        let mut calls_warm = Vec::new();
        let mut errors = 0;
        let mut last_error = None;
        let mut handshakes = 0;
        for (i, event) in invocations.iter().enumerate() {
            let body = serde_json::to_vec(event)?;
            let sent = Instant::now();
            api.events.send((format!("req-{i}"), Bytes::from(body)))?;
            let result = tokio::time::timeout(Duration::from_secs(60), api.outcomes.recv())
                .await?
                .ok_or("runtime API stopped")?;
            if i == 0 {
                cpu_first = group.usage()?;
                wall_first = result.at - started;
                calls_cold = proxy.take();
                handshakes = proxy.take_handshakes();
            } else {
                warm.push(result.at - sent);
                // The last warm invocation's calls stand for the warm path.
                calls_warm = proxy.take();
            }
            // An HTTP event's error is an answer with a 4xx/5xx status and its error type.
            let answer: Value = serde_json::from_slice(&result.body).unwrap_or(Value::Null);
            let status = answer["statusCode"].as_i64().unwrap_or(200);
            if !result.ok || status >= 400 {
                errors += 1;
                last_error = answer["headers"]["x-amzn-errortype"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| Some(String::from_utf8_lossy(&result.body).into_owned()));
            }
            tokio::time::timeout(Duration::from_secs(60), api.polls.recv())
                .await?
                .ok_or("runtime API stopped")?;
        }
        Ok::<_, Error>(Run {
            wall_first,
            cpu_init,
            cpu_first,
            warm,
            calls_init,
            calls_cold,
            calls_warm,
            started,
            errors,
            last_error,
            handshakes,
        })
    }
    .await;
    let _ = child.kill().await;
    let _ = child.wait().await;
    drop(api);
    drop(group);
    outcome
}

/// What moto took beyond the proxy's delay along the worst chain of `calls` (each call starting
/// after the one before ended): taken out of a wall time, it leaves the time with every call at
/// exactly the delay. Overlapped calls count once, on the chain that waited longest.
fn upstream_excess(calls: &[Call], delay: Duration) -> Duration {
    let mut sorted: Vec<&Call> = calls.iter().collect();
    sorted.sort_by_key(|c| c.start);
    let mut worst: Vec<Duration> = Vec::with_capacity(sorted.len());
    for (i, call) in sorted.iter().enumerate() {
        let before = (0..i)
            .filter(|&j| sorted[j].end <= call.start)
            .map(|j| worst[j])
            .max()
            .unwrap_or_default();
        worst.push(before + (call.end - call.start).saturating_sub(delay));
    }
    worst.into_iter().max().unwrap_or_default()
}

/// "n (depth d)" and the calls in order with their start and end, ms after `t0`.
fn calls_summary(calls: &[Call]) -> String {
    format!("{} (depth {})", calls.len(), depth(calls))
}

fn chain(calls: &[Call], t0: Instant) -> String {
    let mut sorted: Vec<&Call> = calls.iter().collect();
    sorted.sort_by_key(|c| c.start);
    sorted
        .iter()
        .map(|c| {
            format!(
                "{} {:.0}-{:.0}",
                c.name,
                (c.start - t0).as_secs_f64() * 1e3,
                (c.end - t0).as_secs_f64() * 1e3
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let cli = Cli::parse();
    // One TLS port for `{tls}` and one for each `{tls:NAME}` in the environment.
    let mut names = vec![String::new()];
    let values = cli
        .env
        .iter()
        .map(|(_, v)| v)
        .chain(cli.variant_env.iter().map(|(_, _, v)| v));
    for value in values {
        for piece in value.split("{tls:").skip(1) {
            if let Some((name, _)) = piece.split_once('}')
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_string());
            }
        }
    }
    let proxy = Proxy::start(
        &names,
        &cli.cert,
        &cli.key,
        &cli.upstream,
        Duration::from_millis(cli.delay_ms),
    )
    .await?;
    let mut templates = BTreeMap::new();
    for name in ["forgot-password", "confirm-forgot-password"] {
        let file = cli.events.join(format!("{name}-http.json"));
        let text = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        templates.insert(name.to_string(), serde_json::from_slice::<Value>(&text)?);
    }
    let sizes_for = |target: &str| -> Vec<u32> {
        let variant = split_variant(target).1.unwrap_or("");
        match cli.variant_memory.iter().find(|(v, _)| v == variant) {
            Some((_, list)) => list.split(',').filter_map(|m| m.parse().ok()).collect(),
            None => cli.memory.clone(),
        }
    };
    // (target, memory) -> runs
    let mut runs: BTreeMap<(String, u32), Vec<Run>> = BTreeMap::new();
    let mut failures: BTreeMap<String, String> = BTreeMap::new();
    let mut users: BTreeMap<String, usize> = BTreeMap::new();
    let mut serial = 0;
    let mut issuer = match &cli.issuer {
        Some(bootstrap) => {
            std::fs::create_dir_all(&cli.logs)?;
            let direct = |v: &str| {
                let mut v = v
                    .replace("{plain}", &cli.upstream)
                    .replace("{tls}", &cli.upstream);
                for name in &names {
                    v = v.replace(&format!("{{tls:{name}}}"), &cli.upstream);
                }
                v
            };
            let env = cli
                .env
                .iter()
                .map(|(k, v)| (k.clone(), direct(v)))
                .collect();
            let log = cli.logs.join("issuer.log");
            Some(Issuer::start(bootstrap, env, &cli.upstream, &log).await?)
        }
        None => None,
    };
    for rep in 0..cli.reps {
        for &memory in &cli.memory {
            for (target, path) in &cli.functions {
                if failures.contains_key(target) || !sizes_for(target).contains(&memory) {
                    continue;
                }
                serial += 1;
                // One user sequence per function: its users are each used once over the run.
                let function = split_variant(target).0.to_string();
                let counter = users.entry(function).or_default();
                match run_once(
                    &cli,
                    &proxy,
                    target,
                    path,
                    memory,
                    serial,
                    counter,
                    &templates,
                    issuer.as_mut(),
                )
                .await
                {
                    Ok(run) => runs.entry((target.clone(), memory)).or_default().push(run),
                    Err(e) => {
                        failures.insert(target.clone(), e.to_string());
                    }
                }
            }
        }
        eprintln!("coldpath: repetition {}/{} done", rep + 1, cli.reps);
    }

    let size_label = |m: u32| {
        if m == 0 {
            "no limit".to_string()
        } else {
            format!("{m} MB")
        }
    };
    let med = |v: Vec<Duration>| median(&v).map(ms).unwrap_or_else(|| "-".into());

    println!(
        "| function | AWS calls at init | cold invocation | warm invocation | TLS handshakes to first answer | CPU to first poll ms | CPU to first answer ms | error answers |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (target, _) in &cli.functions {
        if let Some(failure) = failures.get(target) {
            println!("| {target} | not measured: {failure} | | | | | | |");
            continue;
        }
        let all: Vec<&Run> = runs
            .iter()
            .filter(|((t, _), _)| t == target)
            .flat_map(|(_, r)| r)
            .collect();
        let Some(first) = all.first() else { continue };
        let errors: usize = all.iter().map(|r| r.errors).sum();
        let invocations = all.len() * (cli.warm + 1);
        let kind = all
            .iter()
            .find_map(|r| r.last_error.clone())
            .map(|k| format!(" ({})", k.chars().take(60).collect::<String>()))
            .unwrap_or_default();
        println!(
            "| {target} | {} | {} | {} | {} | {} | {} | {errors}/{invocations}{kind} |",
            calls_summary(&first.calls_init),
            calls_summary(&first.calls_cold),
            calls_summary(&first.calls_warm),
            first.handshakes,
            med(all.iter().map(|r| r.cpu_init).collect()),
            med(all.iter().map(|r| r.cpu_first).collect()),
        );
    }
    println!();
    println!(
        "Calls: count (sequential depth) through the proxy, each lasting {} ms (moto's time inside it); CPU: cpuacct of the bootstrap's cgroup, medians over every run.",
        cli.delay_ms
    );
    println!();

    print!("| process start to first answer, ms |");
    for &m in &cli.memory {
        print!(" {} |", size_label(m));
    }
    println!();
    print!("|---|");
    for _ in &cli.memory {
        print!("---:|");
    }
    println!();
    let delay = Duration::from_millis(cli.delay_ms);
    for table in [
        "cold",
        "cold, calls at the delay",
        "warm",
        "warm, calls at the delay",
    ] {
        for (target, _) in &cli.functions {
            if failures.contains_key(target) {
                continue;
            }
            print!("| {target}, {table} |");
            for &m in &cli.memory {
                let cell = match runs.get(&(target.clone(), m)) {
                    Some(list) if table == "cold" => {
                        med(list.iter().map(|r| r.wall_first).collect())
                    }
                    Some(list) if table == "warm" => {
                        med(list.iter().flat_map(|r| r.warm.clone()).collect())
                    }
                    Some(list) if table.starts_with("cold") => med(list
                        .iter()
                        .map(|r| {
                            let calls: Vec<Call> =
                                r.calls_init.iter().chain(&r.calls_cold).cloned().collect();
                            r.wall_first.saturating_sub(upstream_excess(&calls, delay))
                        })
                        .collect()),
                    Some(list) => med(list
                        .iter()
                        .filter_map(|r| r.warm.last().map(|w| (w, &r.calls_warm)))
                        .map(|(w, calls)| w.saturating_sub(upstream_excess(calls, delay)))
                        .collect()),
                    None => "".into(),
                };
                print!(" {cell} |");
            }
            println!();
        }
    }
    println!();
    println!(
        "cold: process start to the first answer (init and the first invocation); warm: one later invocation; \"calls at the delay\": less what moto took beyond the delay along the chain of calls that waited longest. CPU quota = memory / {ONE_VCPU_MB} of a core per {} ms period (cgroup v1 cpu.cfs_quota_us). Medians of {} cold starts, {} warm invocations after each.",
        cli.period_us / 1000,
        cli.reps,
        cli.warm
    );
    println!();
    println!("Calls of one cold start at the largest size (ms after process start):");
    println!();
    let largest = cli.memory.iter().copied().max().unwrap_or(0);
    for (target, _) in &cli.functions {
        let Some(run) = runs
            .get(&(target.clone(), largest))
            .and_then(|list| list.first())
        else {
            continue;
        };
        let t0 = run.started;
        let mut phases = Vec::new();
        for (label, calls) in [
            ("init", &run.calls_init),
            ("cold", &run.calls_cold),
            ("warm", &run.calls_warm),
        ] {
            if !calls.is_empty() {
                phases.push(format!("{label}: {}", chain(calls, t0)));
            }
        }
        if !phases.is_empty() {
            println!("- {target}: {}", phases.join("; "));
        }
    }
    for (target, failure) in &failures {
        eprintln!("coldpath: {target} failed: {failure}");
    }
    Ok(())
}
