//! Cold start, first and warm invocation latency and peak RSS of Lambda bootstraps, measured under
//! a Lambda Runtime API of our own, side by side with a hello-world baseline.
//!
//! Each repetition starts every bootstrap once (interleaved, so drift on a shared machine hits all
//! alike), times process start to its first `GET /runtime/invocation/next` (init), then feeds it
//! one event (first invocation) and `--warm` more (warm), reads VmHWM and kills it.
//!
//! A function may run in several configurations side by side: `--function NAME@VARIANT=PATH` gets
//! the common `--env` plus every `--variant-env VARIANT:KEY=VALUE`, and `--event NAME@VARIANT=FILE`
//! replaces its sample event. ForgotPassword / ConfirmForgotPassword get a distinct user per
//! invocation over the whole run (user00001 .. user{reps x (warm + 1)}), so a store that outlives a
//! process never answers a per-user limit instead of the code path.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use bench_harness::runtime_api::RuntimeApi;
use bench_harness::{median, ms, ratio};
use clap::Parser;
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Parser)]
#[command(about = "Cold start and memory of Lambda bootstraps against a hello-world baseline")]
struct Cli {
    /// The baseline bootstrap (hello-world, same release profile).
    #[arg(long)]
    baseline: PathBuf,
    /// NAME=PATH of a function bootstrap; repeat for each function.
    #[arg(long = "function", value_parser = name_path)]
    functions: Vec<(String, PathBuf)>,
    /// KEY=VALUE passed to every bootstrap's environment (besides the Lambda runtime's own).
    #[arg(long = "env", value_parser = key_value)]
    env: Vec<(String, String)>,
    /// VARIANT:KEY=VALUE added to the environment of the NAME@VARIANT bootstraps.
    #[arg(long = "variant-env", value_parser = variant_key_value)]
    variant_env: Vec<(String, String, String)>,
    /// NAME=FILE: the sample event for NAME (or NAME@VARIANT), instead of one from --events.
    #[arg(long = "event", value_parser = name_path)]
    event_files: Vec<(String, PathBuf)>,
    /// Where sample events are looked up for functions with no built-in event (NAME*.json, NAME/*.json).
    #[arg(long, default_value = "events")]
    events: PathBuf,
    /// The app client id put in the built-in ForgotPassword / ConfirmForgotPassword events.
    #[arg(long)]
    client_id: String,
    #[arg(long, default_value_t = 10)]
    reps: usize,
    /// Warm invocations after the first, per repetition.
    #[arg(long, default_value_t = 20)]
    warm: usize,
    /// Folder for each bootstrap's stdout/stderr.
    #[arg(long, default_value = "target/bench/logs")]
    logs: PathBuf,
}

fn name_path(s: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = s.split_once('=').ok_or("expected NAME=PATH")?;
    Ok((name.to_string(), PathBuf::from(path)))
}

fn variant_key_value(s: &str) -> Result<(String, String, String), String> {
    let (variant, kv) = s.split_once(':').ok_or("expected VARIANT:KEY=VALUE")?;
    let (k, v) = key_value(kv)?;
    Ok((variant.to_string(), k, v))
}

/// `NAME@VARIANT` -> (`NAME`, `VARIANT`); a plain name has no variant.
fn split_variant(target: &str) -> (&str, Option<&str>) {
    match target.split_once('@') {
        Some((name, variant)) => (name, Some(variant)),
        None => (target, None),
    }
}

fn key_value(s: &str) -> Result<(String, String), String> {
    let (k, v) = s.split_once('=').ok_or("expected KEY=VALUE")?;
    Ok((k.to_string(), v.to_string()))
}

/// The events one function gets: built for the two operations (a distinct user per invocation, so
/// per-user limits never answer instead of the code path), read from `events/` otherwise.
fn events_for(cli: &Cli, target: &str, count: usize) -> Result<Vec<Value>, Error> {
    let user = |i: usize| format!("user{:05}", i + 1);
    if let Some((_, file)) = cli.event_files.iter().find(|(t, _)| t == target) {
        let event: Value = serde_json::from_slice(&std::fs::read(file)?)?;
        return Ok(vec![event; count]);
    }
    let (name, _) = split_variant(target);
    match name {
        "hello-lambda" => Ok(vec![json!({"hello": "world"}); count]),
        "forgot-password" => Ok((0..count)
            .map(|i| json!({"ClientId": cli.client_id, "Username": user(i)}))
            .collect()),
        // A wrong code: the same work as a right one (argon2 hash, keyed digest, one redeem).
        "confirm-forgot-password" => Ok((0..count)
            .map(|i| {
                json!({"ClientId": cli.client_id, "Username": user(i),
                       "ConfirmationCode": "123456", "Password": "N3w-Passw0rd!"})
            })
            .collect()),
        _ => {
            let event = sample_event(&cli.events, name)?
                .ok_or_else(|| format!("no sample event for {name} in {}", cli.events.display()))?;
            Ok(vec![event; count])
        }
    }
}

fn sample_event(dir: &std::path::Path, name: &str) -> Result<Option<Value>, Error> {
    let mut candidates = Vec::new();
    for folder in [dir.to_path_buf(), dir.join(name)] {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
            let matches = folder != dir || file.starts_with(name);
            if matches && file.ends_with(".json") {
                candidates.push(path);
            }
        }
    }
    // The ForgotPassword source when a trigger has several: the path this project is about.
    candidates.sort_by_key(|p| (!p.to_string_lossy().contains("ForgotPassword"), p.clone()));
    match candidates.first() {
        Some(path) => Ok(Some(serde_json::from_slice(&std::fs::read(path)?)?)),
        None => Ok(None),
    }
}

#[derive(Default)]
struct Samples {
    init: Vec<Duration>,
    first: Vec<Duration>,
    warm: Vec<Duration>,
    rss_kb: Vec<u64>,
    errors: usize,
    invocations: usize,
    failure: Option<String>,
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn run_once(
    cli: &Cli,
    name: &str,
    path: &std::path::Path,
    events: &[Value],
    samples: &mut Samples,
) -> Result<(), Error> {
    let mut api = RuntimeApi::start().await?;
    std::fs::create_dir_all(&cli.logs)?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(cli.logs.join(format!("{name}.log")))?;
    let (function, variant) = split_variant(name);
    let mut command = tokio::process::Command::new(path);
    command
        .env_clear()
        .envs(api.environment(function, "bench"))
        .envs(cli.env.iter().map(|(k, v)| (k, v)))
        .envs(
            cli.variant_env
                .iter()
                .filter(|(v, _, _)| Some(v.as_str()) == variant)
                .map(|(_, k, v)| (k, v)),
        )
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true);

    let started = Instant::now();
    let mut child = command.spawn()?;
    let pid = child.id().ok_or("the bootstrap exited at once")?;
    let outcome = async {
        let first_poll = tokio::select! {
            p = api.polls.recv() => p.ok_or("runtime API stopped")?,
            status = child.wait() => return Err(format!("{name} exited during init: {:?}", status?).into()),
            _ = tokio::time::sleep(Duration::from_secs(20)) => return Err(format!("{name}: no poll within 20 s").into()),
        };
        // An init error is posted before any poll: it shows up as a result.
        if let Ok(init_error) = api.outcomes.try_recv() {
            return Err(format!(
                "{name} init error: {}",
                String::from_utf8_lossy(&init_error.body)
            )
            .into());
        }
        let init = first_poll - started;
        let mut latencies = Vec::with_capacity(events.len());
        let mut errors = 0;
        for (i, event) in events.iter().enumerate() {
            let sent = Instant::now();
            api.events.send((format!("req-{i}"), Bytes::from(serde_json::to_vec(event)?)))?;
            let result = tokio::time::timeout(Duration::from_secs(30), api.outcomes.recv())
                .await?
                .ok_or("runtime API stopped")?;
            latencies.push(result.at - sent);
            if !result.ok {
                errors += 1;
            }
            // The next poll: the bootstrap is ready again before the next event is timed.
            tokio::time::timeout(Duration::from_secs(30), api.polls.recv())
                .await?
                .ok_or("runtime API stopped")?;
        }
        Ok::<_, Error>((init, latencies, errors))
    }
    .await;
    let rss = peak_rss_kb(pid);
    let _ = child.kill().await;
    drop(api);
    let (init, latencies, errors) = outcome?;
    samples.init.push(init);
    if let Some((first, warm)) = latencies.split_first() {
        samples.first.push(*first);
        samples.warm.extend_from_slice(warm);
    }
    samples.rss_kb.extend(rss);
    samples.errors += errors;
    samples.invocations += latencies.len();
    Ok(())
}

fn secs(d: Option<Duration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let cli = Cli::parse();
    let mut targets = vec![("hello-lambda".to_string(), cli.baseline.clone())];
    targets.extend(cli.functions.iter().cloned());

    let mut events = BTreeMap::new();
    let mut samples: BTreeMap<String, Samples> = BTreeMap::new();
    for (name, _) in &targets {
        let entry = samples.entry(name.clone()).or_default();
        match events_for(&cli, name, (cli.warm + 1) * cli.reps) {
            Ok(list) => {
                events.insert(name.clone(), list);
            }
            Err(e) => entry.failure = Some(e.to_string()),
        }
    }
    for rep in 0..cli.reps {
        for (name, path) in &targets {
            let (Some(list), Some(entry)) = (events.get(name), samples.get_mut(name)) else {
                continue;
            };
            if entry.failure.is_some() {
                continue;
            }
            let per_rep = cli.warm + 1;
            let Some(list) = list.get(rep * per_rep..(rep + 1) * per_rep) else {
                continue;
            };
            if let Err(e) = run_once(&cli, name, path, list, entry).await {
                entry.failure = Some(e.to_string());
            }
        }
        eprintln!("coldstart: repetition {}/{} done", rep + 1, cli.reps);
    }

    let base = samples.get("hello-lambda");
    let base_init = base.and_then(|s| median(&s.init));
    let base_first = base.and_then(|s| median(&s.first));
    let base_warm = base.and_then(|s| median(&s.warm));
    let base_rss = base.and_then(|s| median(&s.rss_kb));
    println!(
        "| function | init ms | init vs hello | first invocation ms | vs hello | warm ms | vs hello | peak RSS MB | vs hello | error answers |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, _) in &targets {
        let Some(s) = samples.get(name) else { continue };
        if let Some(failure) = &s.failure
            && s.init.is_empty()
        {
            println!("| {name} | not measured: {failure} | | | | | | | | |");
            continue;
        }
        let init = median(&s.init);
        let first = median(&s.first);
        let warm = median(&s.warm);
        let rss = median(&s.rss_kb);
        let show = |d: Option<Duration>| d.map(ms).unwrap_or_else(|| "-".into());
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {}/{} |",
            show(init),
            ratio(secs(init), secs(base_init)),
            show(first),
            ratio(secs(first), secs(base_first)),
            show(warm),
            ratio(secs(warm), secs(base_warm)),
            rss.map(|kb| format!("{:.1}", kb as f64 / 1024.0))
                .unwrap_or_else(|| "-".into()),
            ratio(rss.map(|v| v as f64), base_rss.map(|v| v as f64)),
            s.errors,
            s.invocations,
        );
        if let Some(failure) = &s.failure {
            eprintln!("coldstart: {name} stopped early: {failure}");
        }
    }
    println!();
    println!(
        "Medians over {} repetitions ({} warm invocations each); init = process start to the first poll for an event.",
        cli.reps, cli.warm
    );
    Ok(())
}
