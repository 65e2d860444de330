//! Latency fault tolerance: a broker that failed or answered slowly is avoided for a while,
//! with the official client's steps (latency ≥ 550 ms → 30 s ... ≥ 15 s → 600 s; a failure
//! counts as 30 s of latency).

use std::time::{Duration, Instant};

use dashmap::DashMap;

const LATENCY_MS: [u64; 7] = [50, 100, 550, 1000, 2000, 3000, 15_000];
const AVOID_MS: [u64; 7] = [0, 0, 30_000, 60_000, 120_000, 180_000, 600_000];

/// Brokers to avoid and until when.
#[derive(Debug, Default)]
pub struct FaultTolerance {
    until: DashMap<String, Instant>,
}

impl FaultTolerance {
    /// Records a send's latency to `broker` (a failure as `isolate`).
    pub fn update(&self, broker: &str, latency: Duration, isolate: bool) {
        let ms = if isolate { 30_000 } else { u64::try_from(latency.as_millis()).unwrap_or(u64::MAX) };
        let avoid = LATENCY_MS.iter().rposition(|l| ms >= *l).map_or(0, |i| AVOID_MS[i]);
        if avoid == 0 {
            self.until.remove(broker);
        } else {
            self.until.insert(broker.to_owned(), Instant::now() + Duration::from_millis(avoid));
        }
    }

    /// Whether `broker` may be used now.
    #[must_use]
    pub fn available(&self, broker: &str) -> bool {
        self.until.get(broker).is_none_or(|t| Instant::now() >= *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_or_failed_brokers_are_avoided() {
        let f = FaultTolerance::default();
        f.update("a", Duration::from_millis(10), false);
        assert!(f.available("a"));
        f.update("a", Duration::from_millis(600), false);
        assert!(!f.available("a"));
        f.update("b", Duration::ZERO, true);
        assert!(!f.available("b"));
        f.update("b", Duration::from_millis(5), false);
        assert!(f.available("b"));
    }
}
