//! The UserMigration trigger: its handler on sample and fuzzed events, and its real binary at TRACE.
//! One test binary, each suite a module, so the dependencies are linked once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fuzz;
mod handler;
mod trace_logs;
