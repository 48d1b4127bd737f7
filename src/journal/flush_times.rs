//! How long the writer's flushes take: a bounded histogram the flusher updates after every
//! write-and-flush, readable at any time from any thread.
//!
//! Why: an acknowledgement waits for the flush in progress and then its own, so the flush's
//! tail is the floor of the acknowledgement's tail. When `ack_p99_us` is high, this tells a
//! slow store (long flushes) from slow hand-offs (short flushes, late wake-ups).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Buckets by powers of two of microseconds: bucket `i` counts flushes under `2^i` µs (the
/// last one everything longer, from about 36 minutes).
const BUCKETS: usize = 32;

/// Updated by the flusher thread, read by anyone (relaxed: counters, not synchronisation).
#[derive(Debug)]
pub struct FlushTimes {
    buckets: [AtomicU64; BUCKETS],
    max_us: AtomicU64,
}

impl Default for FlushTimes {
    fn default() -> Self {
        FlushTimes { buckets: std::array::from_fn(|_| AtomicU64::new(0)), max_us: AtomicU64::new(0) }
    }
}

impl FlushTimes {
    pub(super) fn record(&self, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.buckets[bucket_of(us)].fetch_add(1, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
    }

    /// The counts so far.
    pub fn summary(&self) -> FlushSummary {
        FlushSummary {
            buckets: std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed)),
            max_us: self.max_us.load(Ordering::Relaxed),
        }
    }
}

/// The smallest `i` with `us < 2^i`, capped at the last bucket.
fn bucket_of(us: u64) -> usize {
    ((u64::BITS - us.leading_zeros()) as usize).min(BUCKETS - 1)
}

/// A copy of [`FlushTimes`] at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushSummary {
    buckets: [u64; BUCKETS],
    /// The longest flush, in µs.
    pub max_us: u64,
}

impl FlushSummary {
    pub fn flushes(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// Flushes that took at least `us` µs, counted by whole buckets: exact when `us` is a
    /// power of two.
    pub fn at_least_us(&self, us: u64) -> u64 {
        self.buckets[bucket_of(us)..].iter().sum()
    }

    /// An upper bound on the `p`-th percentile (0 < p ≤ 100), in µs: the top of the bucket
    /// holding it (at most twice the true value), never above the longest flush. 0 when empty.
    pub fn percentile_at_most_us(&self, p: f64) -> u64 {
        let total = self.flushes();
        if total == 0 {
            return 0;
        }
        let rank = ((p / 100.0) * total as f64).ceil().clamp(1.0, total as f64) as u64;
        let mut seen = 0;
        for (i, count) in self.buckets.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return (1u64 << i).saturating_sub(1).min(self.max_us);
            }
        }
        self.max_us
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two() {
        assert_eq!([0, 1, 2, 3, 4, 1023, 1024].map(bucket_of), [0, 1, 2, 2, 3, 10, 11]);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn percentiles_bound_the_true_value_from_above_within_twice() {
        let times = FlushTimes::default();
        for us in 1..=100u64 {
            times.record(Duration::from_micros(us * 10));
        }
        times.record(Duration::from_millis(40));
        let summary = times.summary();
        assert_eq!(summary.flushes(), 101);
        assert_eq!(summary.max_us, 40_000);
        // The true p50 is 510 µs, in the bucket [256, 512).
        assert_eq!(summary.percentile_at_most_us(50.0), 511);
        // p99 is the 100th flush, 1,000 µs: bucket [512, 1024).
        assert_eq!(summary.percentile_at_most_us(99.0), 1023);
        // The top is capped by the longest flush, not its bucket's 65,535.
        assert_eq!(summary.percentile_at_most_us(100.0), 40_000);
        assert_eq!(summary.at_least_us(1024), 1);
        assert_eq!(summary.at_least_us(512), 50);
        assert_eq!(FlushTimes::default().summary().percentile_at_most_us(99.0), 0);
    }
}
