//! Brokers' liveness as this controller sees it (RocketMQ's `DefaultBrokerHeartbeatManager`):
//! the last BROKER_HEARTBEAT (or registration) of each replica, with what it said of its
//! epoch and offsets, and the connection it came on. Local to each controller, not
//! replicated: only the Raft leader acts on it, and it puts what it knows into the commands it
//! proposes (an election's candidates), so applying them stays deterministic.

use std::collections::HashMap;

use parking_lot::Mutex;

use crate::elect::Candidate;

/// The last heartbeat of one replica.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrokerLive {
    /// Cluster name.
    pub cluster: String,
    /// Broker set name.
    pub broker_name: String,
    /// Broker id.
    pub broker_id: i64,
    /// `ip:port`.
    pub addr: String,
    /// When it was heard from, ms.
    pub last_ms: u64,
    /// Dead after this long without a heartbeat, ms.
    pub timeout_ms: u64,
    /// Its last epoch.
    pub epoch: i32,
    /// Its commit log's max offset.
    pub max_offset: i64,
    /// Lower is preferred in elections.
    pub priority: i32,
    /// The connection it came on (its close means the broker is gone).
    pub channel: u64,
}

impl BrokerLive {
    fn alive_at(&self, now: u64) -> bool {
        now.saturating_sub(self.last_ms) <= self.timeout_ms
    }

    fn candidate(&self) -> Candidate {
        Candidate {
            broker_id: self.broker_id,
            epoch: self.epoch,
            max_offset: self.max_offset,
            election_priority: self.priority,
        }
    }
}

/// Replicas heard from, by (broker set name, broker id).
#[derive(Debug, Default)]
pub struct LiveTable {
    table: Mutex<HashMap<(String, i64), BrokerLive>>,
}

impl LiveTable {
    /// Records a heartbeat.
    pub fn beat(&self, live: BrokerLive) {
        self.table.lock().insert((live.broker_name.clone(), live.broker_id), live);
    }

    /// The alive replicas of a broker set, as election candidates.
    #[must_use]
    pub fn alive(&self, broker_name: &str, now: u64) -> Vec<Candidate> {
        let mut out: Vec<Candidate> = self
            .table
            .lock()
            .values()
            .filter(|l| l.broker_name == broker_name && l.alive_at(now))
            .map(BrokerLive::candidate)
            .collect();
        out.sort_by_key(|c| c.broker_id);
        out
    }

    /// Whether a replica is alive.
    #[must_use]
    pub fn is_alive(&self, broker_name: &str, broker_id: i64, now: u64) -> bool {
        self.table.lock().get(&(broker_name.to_owned(), broker_id)).is_some_and(|l| l.alive_at(now))
    }

    /// Addresses of the alive replicas of a broker set.
    #[must_use]
    pub fn alive_addrs(&self, broker_name: &str, now: u64) -> Vec<String> {
        let table = self.table.lock();
        table.values().filter(|l| l.broker_name == broker_name && l.alive_at(now)).map(|l| l.addr.clone()).collect()
    }

    /// Removes the replicas whose heartbeats stopped and returns them.
    pub fn expire(&self, now: u64) -> Vec<BrokerLive> {
        self.remove_where(|l| !l.alive_at(now))
    }

    /// Removes the replicas that spoke on a connection that closed and returns them.
    pub fn channel_closed(&self, channel: u64) -> Vec<BrokerLive> {
        self.remove_where(|l| l.channel == channel)
    }

    fn remove_where(&self, gone: impl Fn(&BrokerLive) -> bool) -> Vec<BrokerLive> {
        let mut table = self.table.lock();
        let keys: Vec<_> = table.iter().filter(|(_, l)| gone(l)).map(|(k, _)| k.clone()).collect();
        keys.into_iter().filter_map(|k| table.remove(&k)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(id: i64, last_ms: u64, channel: u64) -> BrokerLive {
        BrokerLive {
            broker_name: "b".into(),
            broker_id: id,
            last_ms,
            timeout_ms: 1000,
            channel,
            ..BrokerLive::default()
        }
    }

    #[test]
    fn heartbeats_expire_after_their_timeout_and_with_their_connection() {
        let t = LiveTable::default();
        t.beat(live(1, 0, 7));
        t.beat(live(2, 900, 8));
        t.beat(live(3, 900, 9));
        assert_eq!(t.alive("b", 1000).len(), 3);
        assert_eq!(t.alive("b", 1500).iter().map(|c| c.broker_id).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(t.expire(1500).len(), 1);
        assert_eq!(t.channel_closed(8)[0].broker_id, 2);
        assert!(t.is_alive("b", 3, 1500));
        assert!(!t.is_alive("b", 2, 1500));
    }
}
