//! Log capture: every line the code under test writes on this thread, at every level (TRACE), while
//! the guard lives.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing::subscriber::DefaultGuard;

/// The captured lines; clones share them.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Capture as the local runner writes logs: text lines.
    pub fn start() -> (Self, DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    /// Capture as the functions write logs in Lambda: JSON lines.
    pub fn start_json() -> (Self, DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Fails naming the first of `secrets` found in `logs`, with the text around it. A short number (a
/// code) inside a longer run of digits or in a timestamp's fraction of a second is chance, not a
/// leak: a six-digit code turns up among a TRACE log's digits about once in a few hundred runs.
#[track_caller]
pub fn assert_no_secret<S: AsRef<str>>(logs: &str, secrets: impl IntoIterator<Item = S>) {
    for secret in secrets {
        let secret = secret.as_ref();
        if secret.is_empty() {
            continue;
        }
        if let Some((at, _)) = logs
            .match_indices(secret)
            .find(|&(at, _)| !by_chance(logs, at, secret))
        {
            let from = floor_char_boundary(logs, at.saturating_sub(300));
            let to = floor_char_boundary(logs, (at + secret.len() + 300).min(logs.len()));
            panic!(
                "the log leaks {secret:?} at byte {at}:\n…{}…",
                &logs[from..to]
            );
        }
    }
}

/// The longest number that turns up by chance: a capture holds about 2,000 six-digit windows, so
/// 7 digits still collide once in thousands of checks; longer ones (a phone number) do not.
const CHANCE_DIGITS: usize = 7;

/// Whether the occurrence of `secret` at `at` is a short number inside a longer one or a
/// timestamp's fraction; every other secret counts wherever it stands.
fn by_chance(logs: &str, at: usize, secret: &str) -> bool {
    if secret.len() > CHANCE_DIGITS || !secret.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let before = &logs[..at];
    let after = &logs[at + secret.len()..];
    let longer_number = before.ends_with(|c: char| c.is_ascii_digit())
        || after.starts_with(|c: char| c.is_ascii_digit());
    // "…T09:51:10.111111Z": the fraction follows ":SS." and ends the timestamp.
    let tail: Vec<char> = before.chars().rev().take(4).collect();
    let fraction = matches!(tail.as_slice(), ['.', s2, s1, ':'] if s1.is_ascii_digit() && s2.is_ascii_digit())
        && after.starts_with(['Z', '+', '-']);
    longer_number || fraction
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::assert_no_secret;

    #[test]
    fn a_code_among_timestamps_and_longer_numbers_is_chance() {
        let logs = r#"{"timestamp":"2026-12-03T09:51:10.111111Z","id":21111117,"n":"x"}
2026-12-03T09:51:10.111111+00:00 INFO sent"#;
        assert_no_secret(logs, ["111111"]);
    }

    #[test]
    #[should_panic(expected = "the log leaks \"111111\"")]
    fn a_code_standing_alone_is_a_leak() {
        assert_no_secret(
            r#"{"timestamp":"2026-12-03T09:51:10.5Z","code":"111111"}"#,
            ["111111"],
        );
    }

    #[test]
    #[should_panic(expected = "the log leaks \"2065550142\"")]
    fn a_phone_number_inside_a_longer_number_is_a_leak() {
        assert_no_secret("to 12065550142", ["2065550142"]);
    }

    #[test]
    #[should_panic(expected = "the log leaks \"jane@example.com\"")]
    fn an_address_inside_other_text_is_a_leak() {
        assert_no_secret("to=xjane@example.comx", ["jane@example.com"]);
    }
}
