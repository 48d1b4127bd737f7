//! Latency percentiles from recorded samples.

use std::time::Duration;

/// Collects durations and reports percentiles (nearest-rank).
#[derive(Debug, Default)]
pub struct Latencies {
    micros: Vec<u64>,
}

impl Latencies {
    pub fn with_capacity(n: usize) -> Self {
        Latencies { micros: Vec::with_capacity(n) }
    }

    pub fn record(&mut self, d: Duration) {
        self.micros.push(d.as_micros().min(u128::from(u64::MAX)) as u64);
    }

    /// Adds every sample of `other`.
    pub fn extend(&mut self, other: Latencies) {
        self.micros.extend(other.micros);
    }

    pub fn len(&self) -> usize {
        self.micros.len()
    }

    pub fn is_empty(&self) -> bool {
        self.micros.is_empty()
    }

    /// The `p`-th percentile (0 < p ≤ 100) in µs; 0 when empty.
    pub fn percentile(&mut self, p: f64) -> u64 {
        if self.micros.is_empty() {
            return 0;
        }
        self.micros.sort_unstable();
        let rank = ((p / 100.0) * self.micros.len() as f64).ceil() as usize;
        self.micros[rank.clamp(1, self.micros.len()) - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut l = Latencies::default();
        assert_eq!(l.percentile(50.0), 0);
        for us in (1..=100).rev() {
            l.record(Duration::from_micros(us));
        }
        assert_eq!((l.percentile(50.0), l.percentile(99.0), l.percentile(100.0)), (50, 99, 100));
    }
}
