//! Counters, latency histograms and the report lines.
//!
//! The per-second lines use the official benchmark tool's format (a 10-snapshot sliding window,
//! `Current Time: ... | Send TPS: ...`), and the producer adds the send-latency probe lines of
//! `bench/official/.../Probe.java` (`[probe]`, `[probe-reset]`, `[probe-total]`), so
//! scripts/bench/analyze.py reads a run of mqbench exactly like a run of the official tools.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use parking_lot::Mutex;

use crate::clock::{format_utc, now_ms};

/// Largest latency the histograms hold (µs): one hour.
const MAX_US: u64 = 3_600_000_000;
/// Snapshots in the sliding window of the per-second lines (as the official tool keeps).
const WINDOW: usize = 10;

fn histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, MAX_US, 3)?)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(MAX_US).clamp(1, MAX_US)
}

/// Latencies since the last per-second line, and since the end of the warm-up.
struct Histograms {
    second: Histogram<u64>,
    second_failed: u64,
    total: Histogram<u64>,
    total_failed: u64,
    total_sum_us: u64,
    total_messages: u64,
    since_ms: u64,
}

/// What one run counts. Requests are send calls (one per batch) for a producer and messages for
/// a consumer; `messages` counts messages in both.
pub struct Stats {
    requests: AtomicU64,
    messages: AtomicU64,
    failed: AtomicU64,
    sum_us: AtomicU64,
    max_us: AtomicU64,
    /// Consumer only: store-to-consume latency (S2C); the main latency is born-to-consume (B2C).
    sum2_us: AtomicU64,
    max2_us: AtomicU64,
    inflight: AtomicI64,
    first_ms: AtomicU64,
    last_ms: AtomicU64,
    started_ms: u64,
    hist: Mutex<Histograms>,
}

impl Stats {
    /// Empty stats; the run starts now.
    pub fn new() -> anyhow::Result<Self> {
        let now = now_ms();
        Ok(Self {
            requests: AtomicU64::new(0),
            messages: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
            max_us: AtomicU64::new(0),
            sum2_us: AtomicU64::new(0),
            max2_us: AtomicU64::new(0),
            inflight: AtomicI64::new(0),
            first_ms: AtomicU64::new(0),
            last_ms: AtomicU64::new(0),
            started_ms: now,
            hist: Mutex::new(Histograms {
                second: histogram()?,
                second_failed: 0,
                total: histogram()?,
                total_failed: 0,
                total_sum_us: 0,
                total_messages: 0,
                since_ms: now,
            }),
        })
    }

    /// A request is about to be sent.
    pub fn begin(&self) {
        if self.first_ms.load(Ordering::Relaxed) == 0 {
            let _ = self.first_ms.compare_exchange(0, now_ms(), Ordering::Relaxed, Ordering::Relaxed);
        }
        self.inflight.fetch_add(1, Ordering::Relaxed);
    }

    /// A request of `messages` messages succeeded after `latency`.
    pub fn ok(&self, latency: Duration, messages: u64) {
        let us = micros(latency);
        self.inflight.fetch_sub(1, Ordering::Relaxed);
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.messages.fetch_add(messages, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
        self.last_ms.store(now_ms(), Ordering::Relaxed);
        let mut h = self.hist.lock();
        let _ = h.second.record(us);
        let _ = h.total.record(us);
        h.total_sum_us += us;
        h.total_messages += messages;
    }

    /// A request failed (error or a status other than SEND_OK).
    pub fn failed(&self) {
        self.inflight.fetch_sub(1, Ordering::Relaxed);
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut h = self.hist.lock();
        h.second_failed += 1;
        h.total_failed += 1;
    }

    /// Consumer: one message consumed, `b2c` after its birth and `s2c` after it was stored.
    pub fn consumed(&self, b2c: Duration, s2c: Duration) {
        self.begin();
        self.ok(b2c, 1);
        let us = micros(s2c);
        self.sum2_us.fetch_add(us, Ordering::Relaxed);
        self.max2_us.fetch_max(us, Ordering::Relaxed);
    }

    /// Messages acknowledged so far.
    pub fn messages(&self) -> u64 {
        self.messages.load(Ordering::Relaxed)
    }

    /// Starts the measured window now: the total histogram and counters restart.
    fn reset_total(&self, now: u64) {
        let mut h = self.hist.lock();
        h.total.reset();
        h.total_failed = 0;
        h.total_sum_us = 0;
        h.total_messages = 0;
        h.since_ms = now;
    }

    /// `[probe-total] ...`: the measured window's figures (the Probe's format).
    pub fn total_line(&self) -> String {
        let until = now_ms();
        let h = self.hist.lock();
        let n = h.total.len();
        let avg = if n == 0 { 0.0 } else { h.total_sum_us as f64 / n as f64 };
        format!(
            "[probe-total] since={} until={until} sends={} nonok={} pending={} avgus={avg:.1} p50us={} p90us={} \
             p99us={} p999us={} maxus={}",
            h.since_ms,
            n + h.total_failed,
            h.total_failed,
            self.inflight.load(Ordering::Relaxed).max(0),
            h.total.value_at_quantile(0.50),
            h.total.value_at_quantile(0.90),
            h.total.value_at_quantile(0.99),
            h.total.value_at_quantile(0.999),
            h.total.max(),
        )
    }

    /// The summary of the measured window (whole run when there was no warm-up) as JSON.
    pub fn summary(&self, mode: &str) -> serde_json::Value {
        let h = self.hist.lock();
        let secs = (now_ms().saturating_sub(h.since_ms)) as f64 / 1000.0;
        let ms = |q: f64| h.total.value_at_quantile(q) as f64 / 1000.0;
        let (first, last) = (self.first_ms.load(Ordering::Relaxed), self.last_ms.load(Ordering::Relaxed));
        let active_s = last.saturating_sub(first) as f64 / 1000.0;
        serde_json::json!({
            "mode": mode,
            "since_ms": h.since_ms,
            "seconds": secs,
            "requests": h.total.len(),
            "messages": h.total_messages,
            "failed": h.total_failed,
            "tps": h.total_messages as f64 / secs.max(0.001),
            "latency_ms": {
                "mean": h.total.mean() / 1000.0,
                "p50": ms(0.50), "p90": ms(0.90), "p99": ms(0.99), "p999": ms(0.999),
                "max": h.total.max() as f64 / 1000.0,
            },
            "run": {
                "seconds": (now_ms().saturating_sub(self.started_ms)) as f64 / 1000.0,
                // from the first request (or message) to the last success: a drain rate
                "active_seconds": active_s,
                "active_tps": self.messages.load(Ordering::Relaxed) as f64 / active_s.max(0.001),
                "requests": self.requests.load(Ordering::Relaxed),
                "messages": self.messages.load(Ordering::Relaxed),
                "failed": self.failed.load(Ordering::Relaxed),
            },
        })
    }
}

/// What the per-second lines describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Producer; `batch` messages per request (1 = single sends).
    Send {
        /// Messages per request.
        batch: u64,
    },
    /// Consumer.
    Consume,
}

#[derive(Clone, Copy)]
struct Snap {
    ms: u64,
    requests: u64,
    messages: u64,
    failed: u64,
    sum_us: u64,
    sum2_us: u64,
}

/// Builds the lines printed once a second.
pub struct Reporter {
    kind: Kind,
    snaps: VecDeque<Snap>,
    warmup_ms: u64,
    reset_done: bool,
}

impl Snap {
    /// The counters of `s` at `ms`.
    fn of(s: &Stats, ms: u64) -> Self {
        Self {
            ms,
            requests: s.requests.load(Ordering::Relaxed),
            messages: s.messages.load(Ordering::Relaxed),
            failed: s.failed.load(Ordering::Relaxed),
            sum_us: s.sum_us.load(Ordering::Relaxed),
            sum2_us: s.sum2_us.load(Ordering::Relaxed),
        }
    }
}

impl Reporter {
    /// A reporter; with a producer, the measured window starts `warmup_ms` after the first send.
    pub fn new(kind: Kind, warmup_ms: u64) -> Self {
        Self { kind, snaps: VecDeque::with_capacity(WINDOW + 1), warmup_ms, reset_done: warmup_ms == 0 }
    }

    /// The lines for this second.
    pub fn tick(&mut self, s: &Stats) -> Vec<String> {
        let now = now_ms();
        self.snaps.push_back(Snap::of(s, now));
        if self.snaps.len() > WINDOW {
            self.snaps.pop_front();
        }
        let mut out = Vec::with_capacity(3);
        if let (Some(first), Some(last)) = (self.snaps.front(), self.snaps.back()) {
            if self.snaps.len() >= 2 {
                out.push(self.window_line(s, first, last));
            }
        }
        if matches!(self.kind, Kind::Send { .. }) {
            out.push(Self::probe_line(s, now));
            let first = s.first_ms.load(Ordering::Relaxed);
            if !self.reset_done && first != 0 && now.saturating_sub(first) >= self.warmup_ms {
                self.reset_done = true;
                s.reset_total(now);
                out.push(format!("[probe-reset] ts={now}"));
            }
        }
        out
    }

    fn window_line(&self, s: &Stats, a: &Snap, b: &Snap) -> String {
        let span_ms = b.ms.saturating_sub(a.ms).max(1);
        let per_s = |x: u64| x * 1000 / span_ms;
        let reqs = b.requests - a.requests;
        let avg_ms = |sum: u64| if reqs == 0 { 0.0 } else { sum as f64 / reqs as f64 / 1000.0 };
        let time = format_utc(b.ms);
        match self.kind {
            Kind::Send { batch } => {
                let mps =
                    if batch > 1 { format!(" | Send MPS: {}", per_s(b.messages - a.messages)) } else { String::new() };
                format!(
                    "Current Time: {time} | Send TPS: {}{mps} | Max RT(ms): {} | Average RT(ms): {:7.3} | \
                     Send Failed: {} | Response Failed: 0",
                    per_s(reqs),
                    s.max_us.load(Ordering::Relaxed) / 1000,
                    avg_ms(b.sum_us - a.sum_us),
                    b.failed,
                )
            }
            Kind::Consume => format!(
                "Current Time: {time} | Consume TPS: {} | AVG(B2C) RT(ms): {:7.3} | AVG(S2C) RT(ms): {:7.3} | \
                 MAX(B2C) RT(ms): {} | MAX(S2C) RT(ms): {} | Consume Fail: 0",
                per_s(reqs),
                avg_ms(b.sum_us - a.sum_us),
                avg_ms(b.sum2_us - a.sum2_us),
                s.max_us.load(Ordering::Relaxed) / 1000,
                s.max2_us.load(Ordering::Relaxed) / 1000,
            ),
        }
    }

    /// `[probe] ...`: this second's sends and their latency (the Probe's format).
    fn probe_line(s: &Stats, now: u64) -> String {
        let mut h = s.hist.lock();
        let n = h.second.len();
        let line = format!(
            "[probe] ts={now} sends={} nonok={} p50us={} p99us={} maxus={}",
            n + h.second_failed,
            h.second_failed,
            h.second.value_at_quantile(0.50),
            h.second.value_at_quantile(0.99),
            h.second.max()
        );
        h.second.reset();
        h.second_failed = 0;
        line
    }
}

/// Prints the summary line and writes the summary to `json` if given.
pub fn finish(s: &serde_json::Value, json: Option<&std::path::Path>) -> anyhow::Result<()> {
    let l = &s["latency_ms"];
    println!(
        "Summary: {} {} messages ({} requests), {} failed, {:.0} msg/s over {:.1} s; latency ms p50 {} p99 {} p999 {} max {}",
        s["mode"].as_str().unwrap_or_default(),
        s["messages"],
        s["requests"],
        s["failed"],
        s["tps"].as_f64().unwrap_or(0.0),
        s["seconds"].as_f64().unwrap_or(0.0),
        l["p50"],
        l["p99"],
        l["p999"],
        l["max"]
    );
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_vec_pretty(s)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_lines_match_the_official_format_and_the_warmup_resets_the_total() {
        let s = Stats::new().unwrap();
        let mut r = Reporter::new(Kind::Send { batch: 1 }, 1);
        assert!(r.tick(&s).iter().all(|l| !l.starts_with("Current Time")), "one snapshot gives no rate yet");
        for _ in 0..10 {
            s.begin();
            s.ok(Duration::from_micros(1500), 1);
        }
        s.begin();
        s.failed();
        std::thread::sleep(Duration::from_millis(5));
        let lines = r.tick(&s);
        let window = lines.iter().find(|l| l.starts_with("Current Time: ")).expect("a window line");
        assert!(window.contains(" | Send TPS: ") && window.contains(" | Max RT(ms): 1 | Average RT(ms):   1.500"));
        assert!(window.contains(" | Send Failed: 1 |"), "{window}");
        let probe = lines.iter().find(|l| l.starts_with("[probe] ")).expect("a probe line");
        assert!(probe.contains(" sends=11 nonok=1 p50us=1500 "), "{probe}");
        assert!(lines.iter().any(|l| l.starts_with("[probe-reset] ts=")), "warm-up of 1 ms is over: {lines:?}");
        s.begin();
        s.ok(Duration::from_micros(400), 1);
        let total = s.total_line();
        assert!(total.contains(" sends=1 nonok=0 pending=0 "), "the reset dropped the warm-up: {total}");
    }

    #[test]
    fn batch_and_consume_lines() {
        let s = Stats::new().unwrap();
        let mut r = Reporter::new(Kind::Send { batch: 32 }, 0);
        r.tick(&s);
        s.begin();
        s.ok(Duration::from_millis(2), 32);
        std::thread::sleep(Duration::from_millis(5));
        let l = r.tick(&s).remove(0);
        assert!(l.contains(" | Send MPS: ") && l.contains(" | Max RT(ms): 2 |"), "{l}");

        let c = Stats::new().unwrap();
        let mut r = Reporter::new(Kind::Consume, 0);
        r.tick(&c);
        c.consumed(Duration::from_millis(3), Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(5));
        let lines = r.tick(&c);
        assert_eq!(lines.len(), 1, "no probe lines for a consumer: {lines:?}");
        assert!(lines[0].contains("AVG(B2C) RT(ms):   3.000 | AVG(S2C) RT(ms):   1.000 |"), "{}", lines[0]);
    }
}
