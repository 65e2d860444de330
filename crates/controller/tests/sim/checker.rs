//! The invariants, checked as the run goes (every write, every epoch a broker learns, every
//! controller state observed) and once more after healing:
//! - no two brokers accept writes in the same master epoch;
//! - epochs only grow: in every log, in what every broker learns, in every controller's
//!   applied state (per incarnation);
//! - a new master comes from the SyncStateSet before its election (unless
//!   `enableElectUncleanMaster`);
//! - controllers that applied the same Raft log index hold the same state;
//! - after healing, every acknowledged write is on the final master's log at its offset and
//!   every replica's log equals the master's.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use rmq_controller::raft::state_machine::Applied;

use crate::epoch::Rec;

/// What one controller showed last.
#[derive(Debug, Clone)]
struct Seen {
    incarnation: u64,
    index: u64,
    master: Option<i64>,
    epoch: i32,
    sss: BTreeSet<i64>,
}

#[derive(Debug, Default)]
pub struct Checker {
    unclean: bool,
    /// Master epoch -> the broker that accepted writes in it.
    writers: BTreeMap<i32, i64>,
    /// Acknowledged value -> (offset, epoch).
    pub acked: BTreeMap<u64, (u64, i32)>,
    /// Broker index -> (incarnation, newest epoch learned).
    learned: BTreeMap<usize, (u64, i32)>,
    seen: BTreeMap<usize, Seen>,
    /// Raft log index applied -> hash of the state after it.
    states: BTreeMap<u64, u64>,
    /// The last index hashed per controller.
    hashed: BTreeMap<usize, u64>,
    pub violations: Vec<String>,
    pub writes: u64,
    pub failed: u64,
    /// Elections seen by a controller from the entry before.
    pub elections_checked: u64,
    /// The newest master epoch any controller applied.
    pub max_epoch: i32,
}

impl Checker {
    pub fn new(unclean: bool) -> Self {
        Self { unclean, ..Self::default() }
    }

    fn fail(&mut self, what: String) {
        if self.violations.len() < 20 {
            self.violations.push(what);
        }
    }

    /// A master appends a record of `epoch` after one of `prev`.
    pub fn on_append(&mut self, broker: i64, epoch: i32, prev: Option<i32>) {
        self.writes += 1;
        let writer = *self.writers.entry(epoch).or_insert(broker);
        if writer != broker {
            self.fail(format!("two masters wrote in epoch {epoch}: brokers {writer} and {broker}"));
        }
        if prev.is_some_and(|p| p > epoch) {
            self.fail(format!("broker {broker} wrote epoch {epoch} after epoch {prev:?} in its log"));
        }
    }

    pub fn on_epoch_learned(&mut self, broker: usize, incarnation: u64, epoch: i32) {
        let last = self.learned.insert(broker, (incarnation, epoch));
        if let Some((inc, old)) = last.filter(|(inc, _)| *inc == incarnation) {
            if old > epoch {
                self.fail(format!("broker #{broker} (start {inc}) went back from epoch {old} to {epoch}"));
            }
        }
    }

    pub fn on_ack(&mut self, value: u64, offset: u64, epoch: i32) {
        self.acked.insert(value, (offset, epoch));
    }

    /// Looks at one controller's applied state.
    pub fn observe(&mut self, ctl: usize, incarnation: u64, applied: &Applied) {
        self.same_state_at_same_index(ctl, applied);
        let Some(set) = applied.replicas.sets.get("broker-a") else { return };
        let index = applied.last_applied.map_or(0, |l| l.index);
        let (master, epoch, sss) = (set.master, set.master_epoch, set.sync_state_set.clone());
        let now = Seen { incarnation, index, master, epoch, sss };
        self.max_epoch = self.max_epoch.max(epoch);
        let before = self.seen.insert(ctl, now.clone());
        let Some(before) = before.filter(|b| b.incarnation == incarnation) else { return };
        if now.epoch < before.epoch {
            self.fail(format!("controller {ctl}: master epoch went back from {} to {}", before.epoch, now.epoch));
        }
        // The state before the election is known only when this controller was seen right
        // before applying it (followers apply in batches; the leader mostly one by one).
        if now.epoch == before.epoch + 1 && now.master.is_some() && before.epoch > 0 && now.index == before.index + 1 {
            self.elections_checked += 1;
            let from_set = now.master.is_some_and(|m| before.sss.contains(&m));
            if !from_set && !self.unclean {
                let msg = format!(
                    "controller {ctl}: master {:?} elected outside the SyncStateSet {:?}",
                    now.master, before.sss
                );
                self.fail(msg);
            }
        }
    }

    fn same_state_at_same_index(&mut self, ctl: usize, applied: &Applied) {
        let Some(index) = applied.last_applied.map(|l| l.index) else { return };
        if self.hashed.insert(ctl, index) == Some(index) {
            return;
        }
        let mut h = DefaultHasher::new();
        serde_json::to_vec(&applied.replicas).unwrap_or_default().hash(&mut h);
        let hash = h.finish();
        let first = *self.states.entry(index).or_insert(hash);
        if first != hash {
            self.fail(format!("controller {ctl}: state at log index {index} differs from another controller's"));
        }
    }

    /// After healing: the master's log holds every acknowledged write where it was
    /// acknowledged, and every replica converged on it.
    pub fn final_check(&mut self, master: i64, master_log: &[Rec], others: &[(usize, Vec<Rec>)]) {
        let lost: Vec<(u64, u64, i32)> = self
            .acked
            .iter()
            .filter(|(v, (off, _))| master_log.get(*off as usize).is_none_or(|r| r.value != **v))
            .map(|(v, (off, e))| (*v, *off, *e))
            .collect();
        if let Some((v, off, e)) = lost.first() {
            let n = lost.len();
            self.fail(format!(
                "{n} acknowledged writes lost, e.g. value {v} (offset {off}, epoch {e}) not on master {master}'s log"
            ));
        }
        for (idx, log) in others {
            if log != master_log {
                let msg = format!(
                    "broker #{idx} did not converge: {} records, the master {master} has {}",
                    log.len(),
                    master_log.len()
                );
                self.fail(msg);
            }
        }
    }
}
