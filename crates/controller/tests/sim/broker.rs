//! A model of one broker replica in controller mode (RocketMQ's `ReplicasManager` and
//! `AutoSwitchHAService`, reduced to what decides safety): its commit log as epoch-tagged
//! records, the role and master epoch it learned from the controller, and as master the
//! SyncStateSet it keeps, the slaves' acknowledged offsets and the writes waiting for them.
//! Pure state changes only; the async side (messages, timers) is in `broker_task`.

use std::collections::{BTreeMap, BTreeSet};

use rmq_remoting::body::SyncStateSet;

use crate::checker::Checker;
use crate::epoch::{consistent_point, epochs, EpochEntry, Rec};

/// A write is acknowledged within this long or fails (FLUSH_SLAVE_TIMEOUT), ms.
pub const WRITE_TIMEOUT_MS: u64 = 1_500;
/// A slave not caught up for this long leaves the SyncStateSet (`haMaxTimeSlaveNotCatchup`), ms.
pub const NOT_CATCHUP_MS: u64 = 1_000;
/// Records per replication transfer.
const BATCH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Unknown,
    Master,
    Slave(i64),
}

/// What the master knows of one slave.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ack {
    /// Records the slave holds that agree with the master's log.
    pub offset: u64,
    /// The master's log length when it last sent to the slave.
    pub sent_upto: u64,
    /// When the slave last had everything sent to it before, ms.
    pub caught_up_ms: u64,
}

/// A write waiting for the SyncStateSet.
#[derive(Debug, Clone, Copy)]
pub struct Pending {
    pub offset: u64,
    pub value: u64,
    pub deadline: u64,
}

/// A master and SyncStateSet as the controller answered them.
#[derive(Debug, Clone)]
pub struct View {
    pub master: Option<i64>,
    pub epoch: i32,
    pub sss: SyncStateSet,
}

/// A slave's replication request: what it holds.
#[derive(Debug, Clone)]
pub struct Pull {
    pub from: i64,
    pub epoch: i32,
    pub epochs: Vec<EpochEntry>,
    pub len: u64,
}

/// The master's answer: its epoch, where the slave's log stops agreeing, what follows.
#[derive(Debug, Clone)]
pub struct PullAnswer {
    pub epoch: i32,
    pub consistent: u64,
    pub records: Vec<Rec>,
}

#[derive(Debug)]
pub struct Broker {
    pub idx: usize,
    pub addr: String,
    /// Durable: the id the controller gave, the log.
    pub id: Option<i64>,
    pub log: Vec<Rec>,
    pub up: bool,
    pub incarnation: u64,
    pub registered: bool,
    /// The controller to ask first.
    pub hint: usize,
    pub role: Role,
    /// The newest master epoch this replica knows.
    pub epoch: i32,
    pub sss: BTreeSet<i64>,
    pub sss_epoch: i32,
    /// A replica being added to the SyncStateSet (based on `sss_epoch` then): counted for
    /// acknowledgements until the controller's answer is known.
    pub expanding: Option<(i32, i64)>,
    pub altering: bool,
    pub acks: BTreeMap<i64, Ack>,
    pub pending: Vec<Pending>,
}

impl Broker {
    pub fn new(idx: usize) -> Self {
        Self {
            idx,
            addr: format!("10.0.0.{}:10911", idx + 1),
            id: None,
            log: Vec::new(),
            up: true,
            incarnation: 0,
            registered: false,
            hint: idx,
            role: Role::Unknown,
            epoch: 0,
            sss: BTreeSet::new(),
            sss_epoch: 0,
            expanding: None,
            altering: false,
            acks: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    /// A crash: the process state is gone, the log and the id stay.
    pub fn crash(&mut self, ck: &mut Checker) {
        ck.failed += self.pending.len() as u64;
        let keep = (self.id, std::mem::take(&mut self.log), self.incarnation, self.idx);
        *self = Self { id: keep.0, log: keep.1, incarnation: keep.2, up: false, ..Self::new(keep.3) };
    }

    /// A start after a crash: the epoch known is the log's last.
    pub fn restart(&mut self) {
        self.up = true;
        self.incarnation += 1;
        self.epoch = self.log.last().map_or(0, |r| r.epoch);
    }

    /// The replicas a write must reach besides this one.
    pub fn required(&self) -> BTreeSet<i64> {
        let mut set = self.sss.clone();
        set.extend(self.expanding.map(|(_, who)| who));
        set.into_iter().filter(|r| Some(*r) != self.id).collect()
    }

    /// A client's write; false when this replica is not master.
    pub fn write(&mut self, value: u64, now: u64, ck: &mut Checker) -> bool {
        let (Role::Master, Some(id)) = (self.role, self.id) else { return false };
        ck.on_append(id, self.epoch, self.log.last().map(|r| r.epoch));
        let offset = self.log.len() as u64;
        self.log.push(Rec { epoch: self.epoch, value });
        self.pending.push(Pending { offset, value, deadline: now + WRITE_TIMEOUT_MS });
        true
    }

    /// Acknowledges the writes every required replica holds (all of them with `early`),
    /// fails the timed-out ones.
    pub fn settle(&mut self, now: u64, early: bool, ck: &mut Checker) {
        let required = self.required();
        let acks = &self.acks;
        let on_all = |offset: u64| required.iter().all(|r| acks.get(r).is_some_and(|a| a.offset > offset));
        let epoch = self.epoch;
        self.pending.retain(|p| {
            if early || on_all(p.offset) {
                ck.on_ack(p.value, p.offset, epoch);
                false
            } else if now > p.deadline {
                ck.failed += 1;
                false
            } else {
                true
            }
        });
    }

    /// Acts on the controller's answer; true when the broker set has no master (the broker
    /// then asks for an election).
    pub fn on_view(&mut self, view: &View, now: u64, ck: &mut Checker) -> bool {
        if view.epoch < self.epoch {
            return false;
        }
        let Some(master) = view.master else { return true };
        if view.epoch > self.epoch || self.role == Role::Unknown {
            ck.on_epoch_learned(self.idx, self.incarnation, view.epoch);
            self.epoch = view.epoch;
            if Some(master) == self.id {
                self.become_master(view, now, ck);
            } else {
                ck.failed += self.pending.len() as u64;
                self.pending.clear();
                self.role = Role::Slave(master);
            }
        } else if self.role == Role::Master && view.sss.sync_state_set_epoch > self.sss_epoch {
            self.adopt(&view.sss);
        }
        false
    }

    fn become_master(&mut self, view: &View, now: u64, ck: &mut Checker) {
        ck.failed += self.pending.len() as u64;
        self.pending.clear();
        self.role = Role::Master;
        self.altering = false;
        self.expanding = None;
        self.sss.clone_from(&view.sss.sync_state_set);
        self.sss_epoch = view.sss.sync_state_set_epoch;
        self.acks = self.sss.iter().map(|r| (*r, Ack { caught_up_ms: now, ..Ack::default() })).collect();
    }

    /// Takes the controller's SyncStateSet; an expansion based on an older set is settled by it.
    pub fn adopt(&mut self, sss: &SyncStateSet) {
        self.sss.clone_from(&sss.sync_state_set);
        self.sss_epoch = sss.sync_state_set_epoch;
        if self.expanding.is_some_and(|(based_on, _)| based_on < self.sss_epoch) {
            self.expanding = None;
        }
    }

    /// What a slave asks its master for.
    pub fn pull(&self) -> Option<(i64, Pull)> {
        let (Role::Slave(master), Some(id)) = (self.role, self.id) else { return None };
        let len = self.log.len() as u64;
        Some((master, Pull { from: id, epoch: self.epoch, epochs: epochs(&self.log), len }))
    }

    /// The master's side of replication; `None` when this replica is not a master of the
    /// slave's epoch or a newer one.
    pub fn serve(&mut self, req: &Pull, now: u64) -> Option<PullAnswer> {
        if self.role != Role::Master || req.epoch > self.epoch {
            return None;
        }
        let len = self.log.len() as u64;
        let consistent = consistent_point(&epochs(&self.log), len, &req.epochs, req.len);
        let end = len.min(consistent + BATCH as u64);
        let ack = self.acks.entry(req.from).or_default();
        ack.offset = req.len.min(consistent);
        if ack.offset >= ack.sent_upto {
            ack.caught_up_ms = now;
        }
        ack.sent_upto = end;
        let records = self.log[consistent as usize..end as usize].to_vec();
        Some(PullAnswer { epoch: self.epoch, consistent, records })
    }

    /// A slave applies its master's answer: refuses an older epoch, truncates where the logs
    /// stop agreeing, appends. Returns how many records it truncated, `None` when refused.
    pub fn apply(&mut self, master: i64, answer: &PullAnswer) -> Option<usize> {
        if self.role != Role::Slave(master) || answer.epoch < self.epoch {
            return None;
        }
        if answer.records.iter().any(|r| r.epoch > answer.epoch) {
            return None;
        }
        let keep = (answer.consistent as usize).min(self.log.len());
        let truncated = self.log.len() - keep;
        self.log.truncate(keep);
        self.log.extend_from_slice(&answer.records);
        Some(truncated)
    }

    /// The SyncStateSet change a master should ask for: drop slaves that fell behind, else
    /// add one that caught up.
    pub fn plan_alter(&mut self, now: u64) -> Option<SyncStateSet> {
        if self.role != Role::Master || self.altering {
            return None;
        }
        let id = self.id?;
        let behind = |a: Option<&Ack>| a.is_none_or(|a| now.saturating_sub(a.caught_up_ms) > NOT_CATCHUP_MS);
        let mut new = self.sss.clone();
        new.retain(|r| *r == id || !behind(self.acks.get(r)));
        if new == self.sss {
            let len = self.log.len() as u64;
            let joiner = self.acks.iter().find(|(r, a)| !self.sss.contains(r) && a.offset >= len && !behind(Some(a)));
            let who = *joiner?.0;
            new.insert(who);
            self.expanding = Some((self.sss_epoch, who));
        }
        self.altering = true;
        Some(SyncStateSet { sync_state_set: new, sync_state_set_epoch: self.sss_epoch })
    }

    /// The controller's answer to an alter. Only an answer the controller gave after
    /// applying the request settles an expansion; without one (lost, or a leader change under
    /// the call) the new replica stays counted until a newer SyncStateSet is seen.
    pub fn altered(&mut self, asked: &SyncStateSet, answer: Altered) {
        self.altering = false;
        match answer {
            Altered::Applied(epoch) if self.role == Role::Master && asked.sync_state_set_epoch == self.sss_epoch => {
                self.sss.clone_from(&asked.sync_state_set);
                self.sss_epoch = epoch;
                self.expanding = None;
            }
            Altered::Refused if self.expanding.is_some_and(|(on, _)| on == asked.sync_state_set_epoch) => {
                self.expanding = None;
            }
            _ => {}
        }
    }
}

/// How an alter of the SyncStateSet ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Altered {
    /// Applied: the set's new epoch.
    Applied(i32),
    /// Applied by the controller as a refusal (fenced, not alive, ...).
    Refused,
    /// No answer, or one that does not say whether it was applied.
    Unknown,
}
