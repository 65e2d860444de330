//! Store metrics: append and flush latency distributions, totals.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (ms) of the latency buckets, as RocketMQ's putMessageDistributeTime.
const BOUNDS_MS: [u64; 7] = [0, 10, 50, 100, 200, 500, 1000];

/// A latency histogram with RocketMQ's buckets plus the maximum.
#[derive(Debug, Default)]
pub struct Latency {
    buckets: [AtomicU64; 8],
    max_us: AtomicU64,
    count: AtomicU64,
    total_us: AtomicU64,
}

impl Latency {
    /// Records one sample.
    pub fn record(&self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let ms = us / 1000;
        let idx = BOUNDS_MS.iter().position(|b| ms <= *b).unwrap_or(BOUNDS_MS.len());
        self.buckets[idx].fetch_add(1, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.total_us.fetch_add(us, Ordering::Relaxed);
    }

    /// Largest sample, ms.
    #[must_use]
    pub fn max_ms(&self) -> u64 {
        self.max_us.load(Ordering::Relaxed) / 1000
    }

    /// Mean, µs.
    #[must_use]
    pub fn mean_us(&self) -> u64 {
        self.total_us.load(Ordering::Relaxed) / self.count.load(Ordering::Relaxed).max(1)
    }

    /// The latency (ms) under which a fraction `p` of the samples fall, as the upper bound of
    /// the bucket that holds that sample (the largest sample for the open last bucket); 0 with
    /// no samples.
    #[must_use]
    pub fn percentile_ms(&self, p: f64) -> f64 {
        let total = self.count.load(Ordering::Relaxed);
        if total == 0 {
            return 0.0;
        }
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let rank = ((total as f64) * p).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            seen += b.load(Ordering::Relaxed);
            if seen >= rank {
                #[allow(clippy::cast_precision_loss)]
                return BOUNDS_MS.get(i).map_or(self.max_us.load(Ordering::Relaxed) as f64 / 1000.0, |b| *b as f64);
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let max = self.max_us.load(Ordering::Relaxed) as f64 / 1000.0;
        max
    }

    /// `[<=0ms]:N [0~10ms]:N ... [1000ms~]:N`, the official text form.
    #[must_use]
    pub fn distribution(&self) -> String {
        let mut parts = Vec::with_capacity(8);
        let n = |i: usize| self.buckets[i].load(Ordering::Relaxed);
        parts.push(format!("[<=0ms]:{}", n(0)));
        for i in 1..BOUNDS_MS.len() {
            parts.push(format!("[{}~{}ms]:{}", BOUNDS_MS[i - 1], BOUNDS_MS[i], n(i)));
        }
        parts.push(format!("[{}ms~]:{}", BOUNDS_MS[BOUNDS_MS.len() - 1], n(BOUNDS_MS.len())));
        parts.join(" ")
    }
}

/// The store's counters: puts, bytes, append and flush latency.
#[derive(Debug, Default)]
pub struct StoreMetrics {
    /// Messages stored.
    pub put_total: AtomicU64,
    /// Record bytes stored.
    pub put_bytes: AtomicU64,
    /// Put latency (append, and flush when SYNC_FLUSH).
    pub put_latency: Latency,
    /// Commit-log flush latency.
    pub flush_latency: Latency,
}

impl StoreMetrics {
    /// Counts `n` messages of `bytes` record bytes in all.
    pub fn stored(&self, n: usize, bytes: usize) {
        self.put_total.fetch_add(n as u64, Ordering::Relaxed);
        self.put_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Messages stored.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.put_total.load(Ordering::Relaxed)
    }

    /// Record bytes stored.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.put_bytes.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_like_rocketmq() {
        let l = Latency::default();
        l.record(Duration::from_micros(300));
        l.record(Duration::from_millis(7));
        l.record(Duration::from_millis(2000));
        assert_eq!(
            l.distribution(),
            "[<=0ms]:1 [0~10ms]:1 [10~50ms]:0 [50~100ms]:0 [100~200ms]:0 [200~500ms]:0 [500~1000ms]:0 [1000ms~]:1"
        );
        assert_eq!(l.max_ms(), 2000);
        assert!((l.percentile_ms(0.5) - 10.0).abs() < f64::EPSILON);
        assert!((l.percentile_ms(0.99) - 2000.0).abs() < f64::EPSILON);
        assert!(Latency::default().percentile_ms(0.99).abs() < f64::EPSILON);
    }
}
