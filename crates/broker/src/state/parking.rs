//! Long polling: a pull that finds nothing waits here until a message is dispatched to its
//! queue or its suspend timeout passes.

use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::Notify;

/// Wake-up points per topic, indexed by queue id.
#[derive(Debug, Default)]
pub struct PullHold {
    topics: DashMap<String, Vec<Arc<Notify>>>,
}

impl PullHold {
    /// The wake-up point of a queue (created on first use).
    #[must_use]
    pub fn notifier(&self, topic: &str, queue_id: i32) -> Arc<Notify> {
        let idx = usize::try_from(queue_id).unwrap_or(0);
        if let Some(v) = self.topics.get(topic) {
            if let Some(n) = v.get(idx) {
                return Arc::clone(n);
            }
        }
        let mut v = self.topics.entry(topic.to_owned()).or_default();
        while v.len() <= idx {
            v.push(Arc::new(Notify::new()));
        }
        Arc::clone(&v[idx])
    }

    /// A message arrived in the queue: wake every pull waiting on it.
    pub fn arrived(&self, topic: &str, queue_id: i32) {
        if let Some(v) = self.topics.get(topic) {
            if let Some(n) = usize::try_from(queue_id).ok().and_then(|i| v.get(i)) {
                n.notify_waiters();
            }
        }
    }

    /// Wakes every waiter (shutdown).
    pub fn wake_all(&self) {
        for v in &self.topics {
            for n in v.iter() {
                n.notify_waiters();
            }
        }
    }
}
