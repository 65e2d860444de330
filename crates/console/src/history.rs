//! The charts' data: every `sampleIntervalSecs` the console reads each broker's put TPS and each
//! consumer group's lag and keeps the last `historyMinutes` of samples in a ring buffer.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use parking_lot::Mutex;
use rmq_admin::cluster::Cluster;
use rmq_admin::group::Groups;
use rmq_admin::{no_progress, Admin};

/// One sample: when, and a value per series name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// When, ms.
    pub at_ms: i64,
    /// Put TPS by broker (`name/id`).
    pub tps: BTreeMap<String, f64>,
    /// Total lag by consumer group.
    pub lag: BTreeMap<String, f64>,
}

/// A bounded ring of samples, oldest first.
#[derive(Debug)]
pub struct History {
    cap: usize,
    samples: Mutex<VecDeque<Sample>>,
}

impl History {
    /// A ring keeping at most `cap` samples.
    #[must_use]
    pub fn new(cap: usize) -> Self {
        Self { cap: cap.max(1), samples: Mutex::new(VecDeque::new()) }
    }

    /// Adds a sample, dropping the oldest when full.
    pub fn push(&self, s: Sample) {
        let mut q = self.samples.lock();
        while q.len() >= self.cap {
            q.pop_front();
        }
        q.push_back(s);
    }

    /// A copy of the samples, oldest first.
    #[must_use]
    pub fn snapshot(&self) -> Vec<Sample> {
        self.samples.lock().iter().cloned().collect()
    }
}

/// Reads one sample from the cluster (brokers or groups that cannot be read are left out).
pub async fn sample(admin: &Admin) -> Sample {
    let mut s = Sample { at_ms: rmq_common::time::now_ms(), ..Sample::default() };
    if let Ok(brokers) = Cluster::new(admin).cluster_list(None, &no_progress).await {
        for b in brokers.into_iter().filter(|b| b.error.is_none()) {
            s.tps.insert(format!("{}/{}", b.broker_name, b.broker_id), b.in_tps);
        }
    }
    if let Ok(groups) = Groups::new(admin).group_list(&no_progress).await {
        for g in groups {
            #[allow(clippy::cast_precision_loss)] // lags far below 2^52
            s.lag.insert(g.group, g.diff_total as f64);
        }
    }
    s
}

/// Samples every `interval` into `history` until the task is aborted.
pub async fn run_sampler(admin: Arc<Admin>, history: Arc<History>, interval: std::time::Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        history.push(sample(&admin).await);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest() {
        let h = History::new(3);
        for i in 0..5 {
            h.push(Sample { at_ms: i, ..Sample::default() });
        }
        let at: Vec<i64> = h.snapshot().iter().map(|s| s.at_ms).collect();
        assert_eq!(at, vec![2, 3, 4]);
    }
}
