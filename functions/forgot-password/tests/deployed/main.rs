//! The real forgot-password binary under a local Lambda Runtime API, with the environment
//! template.yaml gives it, on moto. Needs `MOTO_ENDPOINT` and the `aws` CLI (scripts/test
//! provides both).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod edge;
mod start;
mod storm;
mod trace_logs;
