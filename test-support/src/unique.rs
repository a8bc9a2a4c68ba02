//! Names no other test, and no other test process, uses: the emulators are shared and never reset.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `prefix` made unique by the process, the clock and a counter.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}
