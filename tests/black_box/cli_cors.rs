//! The runner's CORS origins, from the flag or its environment twin: a value that is not an origin
//! stops it at start, named. (What browsers see is `tests/browser`'s part, in headless Chromium.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new(test_support::cli::runner_binary())
        .args(["--port", "0"])
        .args(args)
        .env_remove("RESET_CORS_ORIGINS")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_origin_that_is_not_one_stops_the_runner_named() {
    let err = refused(
        &["--cors-origins", "https://app.example.com,app.example.com"],
        &[],
    );
    assert!(
        err.contains("invalid setting --cors-origins (RESET_CORS_ORIGINS): \"app.example.com\" is not an origin"),
        "{err}"
    );
    let err = refused(&[], &[("RESET_CORS_ORIGINS", "*,https://app.example.com")]);
    assert!(err.contains("cannot be listed with others"), "{err}");
}
