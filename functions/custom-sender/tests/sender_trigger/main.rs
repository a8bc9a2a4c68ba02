//! The custom sender triggers: codes encrypted by the reference Encryption SDK, decrypted and delivered, and the real binary at TRACE.
//! One test binary, each suite a module, so the dependencies are linked once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod round_trip;
mod trace_logs;
