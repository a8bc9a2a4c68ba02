//! A closed-loop load generator for Cognito's JSON protocol: `--concurrency` keep-alive
//! connections, each sending ForgotPassword back to back, round-robin over `--users` distinct
//! users, for a fixed duration after a warm-up. One thread, so it takes one core at most.
//!
//! Every peer gets the same bytes: the same headers (a syntactically valid SigV4 Authorization
//! header, which moto needs to route the request and the others ignore) and the same bodies.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bench_harness::quantile;
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Parser)]
#[command(about = "Drive ForgotPassword against a Cognito-compatible endpoint")]
struct Cli {
    /// host:port of the endpoint.
    #[arg(long)]
    addr: String,
    #[arg(long)]
    client_id: String,
    /// Users are named PREFIX00001 .. PREFIX{users}.
    #[arg(long, default_value = "user")]
    user_prefix: String,
    #[arg(long, default_value_t = 2000)]
    users: usize,
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Row label (the peer's name).
    #[arg(long)]
    label: String,
    /// Print the markdown table header first.
    #[arg(long)]
    header: bool,
}

struct Tally {
    latencies_us: Vec<u32>,
    ok: u64,
    errors: u64,
    first_error: Option<String>,
}

async fn connect(addr: &str) -> Result<SendRequest<Full<Bytes>>, Error> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::task::spawn_local(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

fn request(cli: &Cli, user: usize) -> Result<Request<Full<Bytes>>, Error> {
    let body = format!(
        r#"{{"ClientId":"{}","Username":"{}{:05}"}}"#,
        cli.client_id,
        cli.user_prefix,
        user % cli.users + 1
    );
    Ok(Request::post("/")
        .header("host", &cli.addr)
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            "AWSCognitoIdentityProviderService.ForgotPassword",
        )
        .header("x-amz-date", "20250101T000000Z")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20250101/us-east-1/cognito-idp/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00",
        )
        .body(Full::new(Bytes::from(body)))?)
}

/// One connection's loop. A peer that closes the connection after a response (HTTP/1.0 style)
/// is reconnected, and the reconnect is part of that request's latency, as a client would see it.
async fn worker(
    cli: Rc<Cli>,
    next_user: Rc<Cell<usize>>,
    measure_from: Instant,
    until: Instant,
) -> Result<Tally, Error> {
    let mut tally = Tally {
        latencies_us: Vec::new(),
        ok: 0,
        errors: 0,
        first_error: None,
    };
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    while Instant::now() < until {
        let user = next_user.get();
        next_user.set(user.wrapping_add(1));
        let req = request(&cli, user)?;
        let start = Instant::now();
        let mut live = match sender.take() {
            Some(mut s) => match s.ready().await {
                Ok(()) => s,
                Err(_) => connect(&cli.addr).await?,
            },
            None => connect(&cli.addr).await?,
        };
        let outcome = match live.send_request(req).await {
            Ok(response) => {
                let status = response.status();
                let body = response.into_body().collect().await?.to_bytes();
                Ok((status, body))
            }
            Err(e) => Err(e),
        };
        let elapsed = start.elapsed();
        if !live.is_closed() {
            sender = Some(live);
        }
        if start < measure_from {
            continue;
        }
        tally
            .latencies_us
            .push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
        match outcome {
            Ok((status, _)) if status.is_success() => tally.ok += 1,
            Ok((status, body)) => {
                tally.errors += 1;
                tally
                    .first_error
                    .get_or_insert_with(|| format!("{status}: {}", String::from_utf8_lossy(&body)));
            }
            Err(e) => {
                tally.errors += 1;
                tally.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    Ok(tally)
}

fn main() -> Result<(), Error> {
    let cli = Rc::new(Cli::parse());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let tallies = local.block_on(&runtime, async {
        let start = Instant::now();
        let measure_from = start + Duration::from_secs_f64(cli.warmup);
        let until = measure_from + Duration::from_secs_f64(cli.duration);
        let next_user = Rc::new(Cell::new(0usize));
        let handles: Vec<_> = (0..cli.concurrency)
            .map(|_| {
                tokio::task::spawn_local(worker(
                    cli.clone(),
                    next_user.clone(),
                    measure_from,
                    until,
                ))
            })
            .collect();
        let mut tallies = Vec::new();
        for h in handles {
            tallies.push(h.await?);
        }
        Ok::<_, Error>(tallies)
    })?;

    let mut latencies = Vec::new();
    let (mut ok, mut errors, mut first_error) = (0u64, 0u64, None);
    for t in tallies {
        let t = t?;
        latencies.extend(t.latencies_us);
        ok += t.ok;
        errors += t.errors;
        first_error = first_error.or(t.first_error);
    }
    let us = |q: f64| {
        quantile(&latencies, q)
            .map(|v| format!("{:.2}", f64::from(v) / 1000.0))
            .unwrap_or_else(|| "-".into())
    };
    if cli.header {
        println!("| endpoint | concurrency | ok requests/s | p50 ms | p99 ms | ok | errors |");
        println!("|---|---:|---:|---:|---:|---:|---:|");
    }
    println!(
        "| {} | {} | {:.0} | {} | {} | {ok} | {errors} |",
        cli.label,
        cli.concurrency,
        ok as f64 / cli.duration,
        us(0.50),
        us(0.99),
    );
    if let Some(e) = first_error {
        eprintln!("loadgen {}: first error: {e}", cli.label);
    }
    Ok(())
}
