//! A progress line on stderr while the run goes on, only when stderr is a terminal (logs and
//! pipes get the per-second lines alone).

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::stats::{Kind, Reporter, Stats};
use crate::stop::Stop;

/// Where the run stands: elapsed time against the duration, or messages against the count.
pub struct Progress {
    enabled: bool,
    started: Instant,
    duration_s: u64,
    count: u64,
    spin: usize,
}

impl Progress {
    /// A progress line for a run of `duration_s` seconds or `count` messages (0 = unbounded).
    pub fn new(duration_s: u64, count: u64) -> Self {
        Self { enabled: std::io::stderr().is_terminal(), started: Instant::now(), duration_s, count, spin: 0 }
    }

    /// Prints `lines` on stdout without tearing the progress line, then redraws it.
    pub fn print(&mut self, lines: &[String], messages: u64) {
        let mut err = std::io::stderr().lock();
        if self.enabled {
            let _ = write!(err, "\r\x1b[2K");
        }
        {
            let mut out = std::io::stdout().lock();
            for l in lines {
                let _ = writeln!(out, "{l}");
            }
            let _ = out.flush();
        }
        if self.enabled {
            let _ = write!(err, "{}", self.render(messages));
            let _ = err.flush();
        }
    }

    /// Clears the progress line (at the end of the run).
    pub fn clear(&self) {
        if self.enabled {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }

    fn render(&mut self, messages: u64) -> String {
        const SPIN: [char; 4] = ['|', '/', '-', '\\'];
        self.spin = (self.spin + 1) % SPIN.len();
        let elapsed = self.started.elapsed().as_secs();
        let rate = messages / elapsed.max(1);
        let fraction = if self.count > 0 {
            Some(messages as f64 / self.count as f64)
        } else if self.duration_s > 0 {
            Some(elapsed as f64 / self.duration_s as f64)
        } else {
            None
        };
        let head = match fraction {
            Some(f) => {
                const WIDTH: u8 = 30;
                let f = f.clamp(0.0, 1.0);
                // The most cells the fraction fills (no float-to-int cast).
                let filled = (0..=WIDTH).rev().find(|k| f64::from(*k) <= f * f64::from(WIDTH)).unwrap_or(0);
                let (filled, width) = (usize::from(filled), usize::from(WIDTH));
                format!("[{}{}] {:3.0}%", "#".repeat(filled), ".".repeat(width - filled), f * 100.0)
            }
            None => format!("{} (until stopped)", SPIN[self.spin]),
        };
        format!("{head} {elapsed} s, {messages} messages, {rate} msg/s average")
    }
}

/// Prints the per-second lines until `stop`; returns the progress line to clear.
pub async fn report(stats: Arc<Stats>, kind: Kind, warmup_ms: u64, duration: u64, count: u64, stop: Stop) -> Progress {
    let mut reporter = Reporter::new(kind, warmup_ms);
    let mut progress = Progress::new(duration, count);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stop.wait() => return progress,
        }
        let lines = reporter.tick(&stats);
        progress.print(&lines, stats.messages());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_bar_for_bounded_runs_and_a_spinner_otherwise() {
        let mut p = Progress::new(0, 1000);
        assert!(p.render(500).starts_with("[###############...............]  50%"));
        let mut p = Progress::new(0, 0);
        assert!(p.render(5).contains("(until stopped)"));
    }
}
