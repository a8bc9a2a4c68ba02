//! Range answers kept for a few minutes, a bounded number of them: a second confirm in the same
//! range (a retry, or another user's password sharing the prefix) costs no second request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Hex characters of a suffix: the 40 of a SHA-1 less the prefix's 5.
const SUFFIX_HEX: usize = 35;

/// A suffix's 35 hex characters as nibbles packed in 18 bytes (the last half-byte zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Suffix([u8; 18]);

impl Suffix {
    /// 35 hex characters, in either case.
    pub fn parse(hex: &str) -> Option<Self> {
        if hex.len() != SUFFIX_HEX {
            return None;
        }
        let mut packed = [0u8; 18];
        for (i, c) in hex.chars().enumerate() {
            let nibble = u8::try_from(c.to_digit(16)?).ok()?;
            packed[i / 2] |= if i % 2 == 0 { nibble << 4 } else { nibble };
        }
        Some(Self(packed))
    }
}

/// One range's breached suffixes with their counts, sorted for lookup; padding left out.
#[derive(Debug, Default)]
pub struct Range(Box<[(Suffix, u64)]>);

impl Range {
    /// The API's answer: `SUFFIX:COUNT` lines. Padding lines (count 0) are dropped; any other
    /// line refuses the whole answer.
    pub fn parse(text: &str) -> Option<Self> {
        let mut seen = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (suffix, count) = line.split_once(':')?;
            let count: u64 = count.trim().parse().ok()?;
            let suffix = Suffix::parse(suffix)?;
            if count > 0 {
                seen.push((suffix, count));
            }
        }
        seen.sort_unstable();
        Some(Self(seen.into_boxed_slice()))
    }

    /// How often `suffix` was seen; 0 when it is not in the range.
    pub fn count(&self, suffix: &Suffix) -> u64 {
        self.0
            .binary_search_by(|(s, _)| s.cmp(suffix))
            .map_or(0, |i| self.0[i].1)
    }
}

/// Ranges by prefix, each for `ttl`, at most `capacity` of them (the oldest goes first).
pub struct RangeCache {
    ttl: Duration,
    capacity: usize,
    ranges: Mutex<HashMap<String, (Instant, Arc<Range>)>>,
}

impl RangeCache {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity,
            ranges: Mutex::new(HashMap::new()),
        }
    }

    /// The range of `prefix` while it is fresh.
    pub fn get(&self, prefix: &str) -> Option<Arc<Range>> {
        let ranges = self.ranges.lock().ok()?;
        let (at, range) = ranges.get(prefix)?;
        (at.elapsed() < self.ttl).then(|| range.clone())
    }

    pub fn insert(&self, prefix: &str, range: Arc<Range>) {
        let Ok(mut ranges) = self.ranges.lock() else {
            return;
        };
        if ranges.len() >= self.capacity {
            ranges.retain(|_, (at, _)| at.elapsed() < self.ttl);
        }
        if ranges.len() >= self.capacity
            && let Some(oldest) = ranges
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(p, _)| p.clone())
        {
            ranges.remove(&oldest);
        }
        ranges.insert(prefix.to_string(), (Instant::now(), range));
    }

    /// How many ranges are kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.ranges.lock().map_or(0, |r| r.len())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const A: &str = "0018A45C4D1DEF81644B54AB7F969B88D65";
    const B: &str = "00D4F6E8FA6EECAD2A3AA415EEC418D38EC";

    #[test]
    fn padding_never_counts_and_a_bad_line_refuses_the_answer() {
        let range = Range::parse(&format!("{A}:3\r\n{B}:0\r\n")).unwrap();
        assert_eq!(range.count(&Suffix::parse(A).unwrap()), 3);
        assert_eq!(range.count(&Suffix::parse(B).unwrap()), 0);
        assert!(Range::parse(&format!("{A}:3\nnot a line")).is_none());
        assert!(Range::parse("0018A45C:3").is_none());
    }

    #[test]
    fn the_cache_holds_at_most_its_capacity() {
        let cache = RangeCache::new(Duration::from_secs(60), 2);
        for prefix in ["00000", "00001", "00002"] {
            cache.insert(prefix, Arc::new(Range::default()));
        }
        assert_eq!(cache.len(), 2);
        assert!(cache.get("00000").is_none(), "the oldest went first");
        assert!(cache.get("00002").is_some());
    }

    #[test]
    fn a_stale_range_is_not_served() {
        let cache = RangeCache::new(Duration::ZERO, 2);
        cache.insert("00000", Arc::new(Range::default()));
        assert!(cache.get("00000").is_none());
    }
}
