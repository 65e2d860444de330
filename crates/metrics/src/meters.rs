//! Meters for hot paths: no lock, no allocation once a key is known.
//!
//! A [`MeterMap`] is a copy-on-write map behind an atomic pointer: a lookup loads the current
//! map (lock-free) and finds the meter; only the first use of a key copies the map, with a
//! compare-and-swap loop. Meters are atomics updated with relaxed ordering: a scrape may see a
//! counter a few increments behind its neighbour, never a torn value.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;

/// A monotonic counter.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The current value.
    #[must_use]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A histogram over fixed upper bounds (plus +Inf), of integer observations.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    counts: Box<[AtomicU64]>,
    sum: AtomicU64,
}

impl Histogram {
    /// An empty histogram over `bounds` (ascending).
    #[must_use]
    pub fn new(bounds: &'static [f64]) -> Self {
        let counts = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        Self { bounds, counts, sum: AtomicU64::new(0) }
    }

    /// Records `value` `times` times.
    #[allow(clippy::cast_precision_loss)] // bucket bounds compare as f64, as Prometheus does
    pub fn observe_n(&self, value: u64, times: u64) {
        let v = value as f64;
        let i = self.bounds.iter().position(|b| v <= *b).unwrap_or(self.bounds.len());
        if let Some(c) = self.counts.get(i) {
            c.fetch_add(times, Ordering::Relaxed);
        }
        self.sum.fetch_add(value.saturating_mul(times), Ordering::Relaxed);
    }

    /// Records `value` once.
    pub fn observe(&self, value: u64) {
        self.observe_n(value, 1);
    }

    /// Sum, count and per-bucket counts (upper bound, count; the last bound is +Inf).
    #[allow(clippy::cast_precision_loss)] // the sum is exposed as a float
    #[must_use]
    pub fn snapshot(&self) -> HistogramSnapshot {
        let bounds = self.bounds.iter().copied().chain(std::iter::once(f64::INFINITY));
        let buckets: Vec<(f64, u64)> = bounds.zip(self.counts.iter().map(|c| c.load(Ordering::Relaxed))).collect();
        let count = buckets.iter().map(|(_, c)| c).sum();
        HistogramSnapshot { sum: self.sum.load(Ordering::Relaxed) as f64, count, buckets }
    }
}

/// What a scrape reads of a [`Histogram`].
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// Sum of the observations.
    pub sum: f64,
    /// Number of observations.
    pub count: u64,
    /// (upper bound, observations in this bucket only); the last bound is +Inf.
    pub buckets: Vec<(f64, u64)>,
}

/// Meters by key, read without a lock.
#[derive(Debug)]
pub struct MeterMap<K, V> {
    map: ArcSwap<HashMap<K, Arc<V>>>,
}

impl<K, V> Default for MeterMap<K, V> {
    fn default() -> Self {
        Self { map: ArcSwap::from_pointee(HashMap::new()) }
    }
}

impl<K: Eq + Hash + Clone, V> MeterMap<K, V> {
    /// The meter of `key`, made by `make` on first use.
    pub fn get_or_insert<Q>(&self, key: &Q, make: impl Fn() -> V) -> Arc<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(v) = self.map.load().get(key) {
            return Arc::clone(v);
        }
        let fresh = Arc::new(make());
        let mut out = Arc::clone(&fresh);
        self.map.rcu(|m| {
            if let Some(v) = m.get(key) {
                out = Arc::clone(v);
                return Arc::clone(m);
            }
            let mut next = HashMap::clone(m);
            next.insert(key.to_owned(), Arc::clone(&fresh));
            out = Arc::clone(&fresh);
            Arc::new(next)
        });
        out
    }

    /// Every key and meter, as of now.
    #[must_use]
    pub fn entries(&self) -> Vec<(K, Arc<V>)> {
        self.map.load().iter().map(|(k, v)| (k.clone(), Arc::clone(v))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_puts_values_in_the_first_bucket_that_holds_them() {
        static B: &[f64] = &[10.0, 100.0];
        let h = Histogram::new(B);
        h.observe(10);
        h.observe(11);
        h.observe_n(1000, 2);
        let s = h.snapshot();
        assert_eq!(s.count, 4);
        assert!((s.sum - 2021.0).abs() < f64::EPSILON);
        assert_eq!(s.buckets, vec![(10.0, 1), (100.0, 1), (f64::INFINITY, 2)]);
    }

    #[test]
    fn meter_map_returns_the_same_meter_for_a_key() {
        let m: MeterMap<String, Counter> = MeterMap::default();
        m.get_or_insert("a", Counter::default).add(2);
        m.get_or_insert("a", Counter::default).add(3);
        m.get_or_insert("b", Counter::default).add(1);
        let mut e: Vec<(String, u64)> = m.entries().into_iter().map(|(k, v)| (k, v.get())).collect();
        e.sort();
        assert_eq!(e, vec![("a".to_owned(), 5), ("b".to_owned(), 1)]);
    }
}
