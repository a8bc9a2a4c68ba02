//! Time as the domain sees it: seconds since the Unix epoch, always passed in.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixTime(pub u64);

impl UnixTime {
    pub fn now() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        UnixTime(secs)
    }

    pub fn plus(self, seconds: u64) -> Self {
        UnixTime(self.0.saturating_add(seconds))
    }

    pub fn minus(self, seconds: u64) -> Self {
        UnixTime(self.0.saturating_sub(seconds))
    }
}

/// When a full rolling window admits again: once enough of its requests have left it that fewer
/// than `max` remain. A request at `t` leaves a window of `window_seconds` at `t + window_seconds`
/// (the windows count requests after `now - window_seconds`). A window holding fewer than `max`
/// requests admits already, at `now`.
pub fn window_reopens(
    in_window: &[UnixTime],
    max: u32,
    window_seconds: u64,
    now: UnixTime,
) -> UnixTime {
    let mut times = in_window.to_vec();
    times.sort_unstable();
    match times.len().checked_sub(max as usize) {
        Some(excess) => times[excess].plus(window_seconds).max(now),
        None => now,
    }
}

/// Whole seconds from `now` until `at`, at least one: what a `Retry-After` header says.
pub fn seconds_until(now: UnixTime, at: UnixTime) -> u64 {
    at.0.saturating_sub(now.0).max(1)
}
