//! Shared by the benchmark tools: summary statistics, a markdown table writer, and the Lambda
//! Runtime API the bootstraps run under.

use std::time::Duration;

pub mod issuer;
pub mod proxy;
pub mod runtime_api;

/// The value at quantile `q` (0.0-1.0) of `values`, nearest rank; `None` when empty.
pub fn quantile<T: Copy + Ord>(values: &[T], q: f64) -> Option<T> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted.get(rank - 1).copied()
}

pub fn median<T: Copy + Ord>(values: &[T]) -> Option<T> {
    quantile(values, 0.5)
}

/// Milliseconds with enough digits for sub-millisecond figures.
pub fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1000.0;
    if v < 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1}")
    }
}

/// `ours / baseline`, as "1.23x"; "-" when either is missing or the baseline is zero.
pub fn ratio(ours: Option<f64>, baseline: Option<f64>) -> String {
    match (ours, baseline) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
        _ => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_nearest_rank() {
        let v = [5, 1, 4, 2, 3];
        assert_eq!(median(&v), Some(3));
        assert_eq!(quantile(&v, 0.99), Some(5));
        assert_eq!(quantile(&v, 0.0), Some(1));
        assert_eq!(median::<u32>(&[]), None);
        assert_eq!(median(&[10, 20]), Some(10));
    }

    #[test]
    fn ratio_handles_missing_baseline() {
        assert_eq!(ratio(Some(3.0), Some(2.0)), "1.50x");
        assert_eq!(ratio(Some(3.0), Some(0.0)), "-");
        assert_eq!(ratio(None, Some(2.0)), "-");
    }
}
