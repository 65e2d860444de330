//! Queue locks of orderly consumers (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ): a queue belongs to one
//! client of a group at a time; a lock not renewed for `LOCK_MAX_LIVE` is free again.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Lease of a queue lock (`rocketmq.broker.rebalance.lockMaxLiveTime`).
pub const LOCK_MAX_LIVE: Duration = Duration::from_secs(60);

/// A queue: topic, broker name, queue id.
pub type QueueKey = (String, String, i32);

#[derive(Debug)]
struct Lease {
    client_id: String,
    renewed: Instant,
}

/// Lock table by group.
#[derive(Debug, Default)]
pub struct QueueLocks {
    groups: Mutex<HashMap<String, HashMap<QueueKey, Lease>>>,
}

impl QueueLocks {
    /// Locks (or renews) each queue for `client_id`; returns the queues it now holds.
    pub fn lock(&self, group: &str, client_id: &str, queues: &[QueueKey]) -> Vec<QueueKey> {
        self.lock_at(group, client_id, queues, Instant::now())
    }

    fn lock_at(&self, group: &str, client_id: &str, queues: &[QueueKey], now: Instant) -> Vec<QueueKey> {
        let mut groups = self.groups.lock();
        let table = groups.entry(group.to_owned()).or_default();
        let mut held = Vec::new();
        for q in queues {
            let lease =
                table.entry(q.clone()).or_insert_with(|| Lease { client_id: client_id.to_owned(), renewed: now });
            let expired = now.duration_since(lease.renewed) > LOCK_MAX_LIVE;
            if lease.client_id == client_id || expired {
                lease.client_id = client_id.to_owned();
                lease.renewed = now;
                held.push(q.clone());
            }
        }
        held
    }

    /// Releases the queues held by `client_id`.
    pub fn unlock(&self, group: &str, client_id: &str, queues: &[QueueKey]) {
        let mut groups = self.groups.lock();
        if let Some(table) = groups.get_mut(group) {
            for q in queues {
                if table.get(q).is_some_and(|l| l.client_id == client_id) {
                    table.remove(q);
                }
            }
        }
    }

    /// Whether `client_id` holds a live lock on the queue.
    #[cfg(test)]
    #[must_use]
    pub fn is_locked_by(&self, group: &str, queue: &QueueKey, client_id: &str) -> bool {
        self.groups
            .lock()
            .get(group)
            .and_then(|t| t.get(queue))
            .is_some_and(|l| l.client_id == client_id && l.renewed.elapsed() <= LOCK_MAX_LIVE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(i: i32) -> QueueKey {
        ("T".into(), "b".into(), i)
    }

    #[test]
    fn one_owner_until_expiry() {
        let locks = QueueLocks::default();
        let t0 = Instant::now();
        assert_eq!(locks.lock_at("g", "c1", &[q(0), q(1)], t0), vec![q(0), q(1)]);
        assert_eq!(locks.lock_at("g", "c2", &[q(0), q(2)], t0), vec![q(2)]);
        // Renewal by the owner keeps it.
        assert_eq!(locks.lock_at("g", "c1", &[q(0)], t0 + Duration::from_secs(30)), vec![q(0)]);
        // Past the lease, another client takes it.
        let later = t0 + Duration::from_secs(30) + LOCK_MAX_LIVE + Duration::from_secs(1);
        assert_eq!(locks.lock_at("g", "c2", &[q(0)], later), vec![q(0)]);
        // Other groups are independent.
        assert_eq!(locks.lock_at("g2", "c3", &[q(0)], t0), vec![q(0)]);
    }

    #[test]
    fn unlock_only_by_owner() {
        let locks = QueueLocks::default();
        locks.lock("g", "c1", &[q(0)]);
        locks.unlock("g", "c2", &[q(0)]);
        assert!(locks.is_locked_by("g", &q(0), "c1"));
        locks.unlock("g", "c1", &[q(0)]);
        assert!(!locks.is_locked_by("g", &q(0), "c1"));
        assert_eq!(locks.lock("g", "c2", &[q(0)]), vec![q(0)]);
    }
}
