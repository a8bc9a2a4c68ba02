//! The CustomMessage trigger: its handler on every source, and fuzzed events.
//! One test binary, each suite a module, so the dependencies are linked once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fuzz;
mod handler;
