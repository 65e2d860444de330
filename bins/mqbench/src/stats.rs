//! Shared counters, the per-second line and the summary.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use parking_lot::Mutex;

/// Counters and a latency histogram (microseconds).
pub struct Stats {
    /// Successes.
    pub ok: AtomicU64,
    /// Failures.
    pub failed: AtomicU64,
    /// Sum of latencies, µs.
    pub latency_sum_us: AtomicU64,
    /// Largest latency this second, µs.
    pub max_this_second_us: AtomicU64,
    /// All latencies.
    pub histogram: Mutex<Histogram<u64>>,
    started: Instant,
}

impl Stats {
    /// Empty stats.
    pub fn new() -> Self {
        Self {
            ok: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            latency_sum_us: AtomicU64::new(0),
            max_this_second_us: AtomicU64::new(0),
            histogram: Mutex::new(Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("histogram bounds")),
            started: Instant::now(),
        }
    }

    /// Records one success with its latency.
    pub fn record(&self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).max(1);
        self.ok.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us.fetch_add(us, Ordering::Relaxed);
        self.max_this_second_us.fetch_max(us, Ordering::Relaxed);
        let _ = self.histogram.lock().record(us.min(3_600_000_000));
    }

    /// Prints one line per second until `stop`; `label` is "Send" or "Consume".
    pub async fn report(&self, label: &'static str, stop: tokio_util_like::Stop) {
        let mut last_ok = 0u64;
        let mut last_sum = 0u64;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = stop.wait() => return,
            }
            let ok = self.ok.load(Ordering::Relaxed);
            let sum = self.latency_sum_us.load(Ordering::Relaxed);
            let n = ok - last_ok;
            let avg = if n == 0 { 0.0 } else { (sum - last_sum) as f64 / n as f64 / 1000.0 };
            let max = self.max_this_second_us.swap(0, Ordering::Relaxed) as f64 / 1000.0;
            println!(
                "{label} TPS: {n} Max RT(ms): {max:.3} Average RT(ms): {avg:.3} Failed: {} Total: {ok}",
                self.failed.load(Ordering::Relaxed)
            );
            last_ok = ok;
            last_sum = sum;
        }
    }

    /// The summary as JSON.
    pub fn summary(&self, label: &str) -> serde_json::Value {
        let h = self.histogram.lock();
        let secs = self.started.elapsed().as_secs_f64();
        let ok = self.ok.load(Ordering::Relaxed);
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        serde_json::json!({
            "mode": label,
            "seconds": secs,
            "ok": ok,
            "failed": self.failed.load(Ordering::Relaxed),
            "tps": ok as f64 / secs.max(0.001),
            "latency_ms": {
                "mean": h.mean() / 1000.0,
                "p50": ms(0.50), "p99": ms(0.99), "p999": ms(0.999), "max": h.max() as f64 / 1000.0,
            }
        })
    }
}

/// A tiny stop signal (watch channel) shared by the tasks.
pub mod tokio_util_like {
    /// Stop signal.
    #[derive(Clone)]
    pub struct Stop(tokio::sync::watch::Receiver<bool>);

    /// Creates a signal and its trigger.
    pub fn stop() -> (tokio::sync::watch::Sender<bool>, Stop) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (tx, Stop(rx))
    }

    impl Stop {
        /// Resolves once stopped.
        pub async fn wait(&self) {
            let mut rx = self.0.clone();
            let _ = rx.wait_for(|v| *v).await;
        }

        /// Whether stopped.
        pub fn is_stopped(&self) -> bool {
            *self.0.borrow()
        }
    }
}

/// Prints the summary and writes it to `json` if given.
pub fn finish(stats: &Stats, label: &str, json: Option<&std::path::Path>) -> anyhow::Result<()> {
    let s = stats.summary(label);
    let l = &s["latency_ms"];
    println!(
        "Summary: {label} {} ok, {} failed, {:.0} TPS over {:.1} s; latency ms p50 {} p99 {} p999 {} max {}",
        s["ok"],
        s["failed"],
        s["tps"].as_f64().unwrap_or(0.0),
        s["seconds"].as_f64().unwrap_or(0.0),
        l["p50"],
        l["p99"],
        l["p999"],
        l["max"]
    );
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_vec_pretty(&s)?)?;
    }
    Ok(())
}
