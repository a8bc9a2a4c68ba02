//! A storm past Cognito's quotas: many cold starts of the real forgot-password and
//! confirm-forgot-password binaries at once, then whole resets, with Cognito behind a proxy that
//! throttles as Cognito does (`FaultProxy::enforce_quotas`, every quota scaled down so a few
//! containers exceed it). Every start succeeds, no answer is a 5xx, a throttle is answered
//! TooManyRequestsException and retried, and no code is accepted once its password change is
//! done. The containers share the pool's description and its app client through the codes
//! table, so most never ask DescribeUserPool or DescribeUserPoolClient. `storm_bench` is `scripts/bench storm`: the same at full size.

use std::time::Duration;

use test_support::deployed::workspace_binary;
use test_support::storm::{Binaries, Login, Report, Storm, run};

fn binaries() -> Binaries {
    let forgot = env!("CARGO_BIN_EXE_forgot-password");
    Binaries {
        forgot: forgot.to_string(),
        confirm: workspace_binary(forgot, "confirm-forgot-password"),
    }
}

/// The kinds an answer may take under throttling: a success or Cognito's throttle; a replayed
/// (spent) code's refusal.
fn unexpected(report: &Report) -> Vec<String> {
    report
        .answers
        .keys()
        .filter(|k| {
            !(k.ends_with(" ok")
                || k.ends_with(" TooManyRequestsException")
                || (k.starts_with("ConfirmForgotPassword replay")
                    && (k.ends_with("ExpiredCodeException")
                        || k.ends_with("CodeMismatchException"))))
        })
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_past_the_quotas_fails_no_start_and_leaves_no_code_live() {
    let storm = Storm {
        login: Login::Username,
        workers: 8,
        surge: Duration::from_secs(1),
        users: 16,
        // UserPoolRead 0.75/s, DescribeUserPoolClient 0.25/s per pool, UserRead 6/s,
        // UserAccountRecovery 1.5/s, UserUpdate 1.25/s: with the pool and its client shared,
        // only a scale this small still throttles 16 resets.
        quota_scale: 0.05,
        load: Duration::ZERO,
        patience: Duration::from_secs(30),
    };
    let report = run(&storm, &binaries()).await;
    eprintln!("{report:#?}");
    assert_eq!(report.cold_starts, 16, "{report:#?}");
    assert_eq!(report.init_failures, 0, "no start failed: {report:#?}");
    assert_eq!(report.server_errors, 0, "no 5xx: {report:#?}");
    assert_eq!(
        report.live_after_reset, 0,
        "no spent code accepted: {report:#?}"
    );
    assert_eq!(unexpected(&report), Vec::<String>::new(), "{report:#?}");
    assert_eq!(report.abandoned, 0, "{report:#?}");
    assert_eq!(
        report.confirmed, storm.users,
        "every user reset: {report:#?}"
    );
    // The storm did meet the quotas...
    assert!(
        report.cognito_throttled.values().sum::<usize>() > 0,
        "{report:#?}"
    );
    // ...and the containers shared the pool's description rather than each asking for it.
    let described =
        report.cognito_seen["DescribeUserPool"] - report.cognito_throttled["DescribeUserPool"];
    assert!(
        described < report.cold_starts / 2,
        "{described} DescribeUserPool answered for {} cold starts: {report:#?}",
        report.cold_starts
    );
    // ...and the app client, sealed, likewise.
    let clients_described = report
        .cognito_seen
        .get("DescribeUserPoolClient")
        .unwrap_or(&0)
        - report
            .cognito_throttled
            .get("DescribeUserPoolClient")
            .unwrap_or(&0);
    assert!(
        clients_described < report.cold_starts / 2,
        "{clients_described} DescribeUserPoolClient answered for {} cold starts: {report:#?}",
        report.cold_starts
    );
}

/// `scripts/bench storm`: the storm at full size, its knobs from the environment
/// (STORM_LOGIN username|email-alias|email-username, STORM_WORKERS, STORM_USERS, STORM_SURGE_S,
/// STORM_LOAD_S, STORM_QUOTA_SCALE), the report's Markdown appended to STORM_REPORT.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: scripts/bench storm"]
async fn storm_bench() {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let number = |name: &str, default: &str| var(name, default).parse::<f64>().unwrap();
    let login = match var("STORM_LOGIN", "username").as_str() {
        "username" => Login::Username,
        "email-alias" => Login::EmailAlias,
        "email-username" => Login::EmailUsername,
        other => panic!("STORM_LOGIN={other}"),
    };
    let storm = Storm {
        login,
        workers: number("STORM_WORKERS", "100") as usize,
        surge: Duration::from_secs_f64(number("STORM_SURGE_S", "10")),
        users: number("STORM_USERS", "1000") as usize,
        quota_scale: number("STORM_QUOTA_SCALE", "1"),
        load: Duration::from_secs_f64(number("STORM_LOAD_S", "90")),
        patience: Duration::from_secs(30),
    };
    let report = run(&storm, &binaries()).await;
    eprintln!("{report:#?}");
    let (row, detail) = report.markdown(&storm);
    println!("{row}\n{detail}");
    if let Ok(path) = std::env::var("STORM_REPORT") {
        use std::io::Write;
        let append = |path: String, line: &str| {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap();
            writeln!(file, "{line}").unwrap();
        };
        append(format!("{path}.details"), &detail);
        append(path, &row);
    }
}
