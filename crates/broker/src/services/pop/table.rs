//! The in-memory POP state: checkpoints (one per popped batch of one queue), each queue's pop
//! cursor and in-flight offsets, and orderly queues' reconsume counts. Pure data: the service
//! journals every change and replays it through the same methods at start.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

/// A queue as a group pops it: `topic` is the topic read (the group's POP retry topic for
/// retried messages).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QueueKey {
    /// Consumer group.
    pub group: String,
    /// Topic read.
    pub topic: String,
    /// Queue id.
    pub queue_id: i32,
}

/// One popped batch of one queue, as the handles name it (start offset and pop time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Journal id.
    pub id: u64,
    /// The queue.
    pub key: QueueKey,
    /// Start offset (the handles' `ckQueueOffset`).
    pub start: i64,
    /// Pop time, ms.
    pub pop_time: i64,
    /// Invisible time, ms.
    pub invisible_time: i64,
    /// Revive queue id given to the client.
    pub revive_qid: i32,
    /// Orderly pop.
    pub order: bool,
    /// Offsets handed out.
    pub offsets: Vec<i64>,
    /// Offsets acked so far.
    #[serde(default)]
    pub acked: BTreeSet<i64>,
}

impl Checkpoint {
    /// When the unacked messages become visible again, ms.
    #[must_use]
    pub fn deadline(&self) -> i64 {
        self.pop_time.saturating_add(self.invisible_time)
    }

    /// Offsets not acked yet.
    pub fn pending(&self) -> impl Iterator<Item = i64> + '_ {
        self.offsets.iter().copied().filter(|o| !self.acked.contains(o))
    }
}

/// What an ack did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    /// Marked; `finished` when the checkpoint has nothing pending any more.
    Acked {
        /// Checkpoint id.
        ck: u64,
        /// Every offset of the checkpoint is acked.
        finished: bool,
    },
    /// The offset of that checkpoint was acked before.
    AlreadyAcked,
    /// No live checkpoint has that handle and offset (acked and finished, revived, or never
    /// popped).
    Unknown,
}

/// An orderly queue's state at pop time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// No batch outstanding.
    Free,
    /// A batch is outstanding and still invisible.
    Blocked,
    /// The outstanding batch's invisible time passed (its checkpoint id).
    Expired(u64),
}

#[derive(Debug, Default)]
struct QueueState {
    cursor: Option<i64>,
    inflight: BTreeMap<i64, u64>,
    order_ck: Option<u64>,
    order_counts: BTreeMap<i64, i32>,
}

/// Every queue's and checkpoint's POP state.
#[derive(Debug, Default)]
pub struct PopTable {
    queues: HashMap<QueueKey, QueueState>,
    cks: HashMap<u64, Checkpoint>,
    by_handle: HashMap<(QueueKey, i64, i64), u64>,
    next_id: u64,
}

impl PopTable {
    /// A fresh checkpoint id.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The next offset to pop, once known.
    #[must_use]
    pub fn cursor(&self, key: &QueueKey) -> Option<i64> {
        self.queues.get(key).and_then(|q| q.cursor)
    }

    /// Sets the next offset to pop.
    pub fn set_cursor(&mut self, key: &QueueKey, cursor: i64) {
        self.queues.entry(key.clone()).or_default().cursor = Some(cursor);
    }

    /// Registers a popped batch; `next` moves the cursor (None for a re-checkpoint of a message
    /// already popped, by CHANGE_MESSAGE_INVISIBLETIME).
    pub fn add(&mut self, ck: Checkpoint, next: Option<i64>) {
        self.next_id = self.next_id.max(ck.id);
        let q = self.queues.entry(ck.key.clone()).or_default();
        if let Some(n) = next {
            q.cursor = Some(n);
        }
        for off in ck.pending() {
            q.inflight.insert(off, ck.id);
        }
        if ck.order {
            q.order_ck = Some(ck.id);
        }
        self.by_handle.insert((ck.key.clone(), ck.start, ck.pop_time), ck.id);
        self.cks.insert(ck.id, ck);
    }

    /// The live checkpoint a handle names.
    #[must_use]
    pub fn find(&self, key: &QueueKey, start: i64, pop_time: i64) -> Option<&Checkpoint> {
        self.by_handle.get(&(key.clone(), start, pop_time)).and_then(|id| self.cks.get(id))
    }

    /// A checkpoint by id.
    #[must_use]
    pub fn get(&self, id: u64) -> Option<&Checkpoint> {
        self.cks.get(&id)
    }

    /// Acks one offset of the checkpoint a handle names.
    #[cfg(test)]
    pub fn ack(&mut self, key: &QueueKey, start: i64, pop_time: i64, offset: i64) -> AckOutcome {
        let Some(&id) = self.by_handle.get(&(key.clone(), start, pop_time)) else { return AckOutcome::Unknown };
        self.ack_id(id, offset)
    }

    /// Acks one offset of a checkpoint.
    pub fn ack_id(&mut self, id: u64, offset: i64) -> AckOutcome {
        let Some(ck) = self.cks.get_mut(&id) else { return AckOutcome::Unknown };
        if !ck.offsets.contains(&offset) {
            return AckOutcome::Unknown;
        }
        if !ck.acked.insert(offset) {
            return AckOutcome::AlreadyAcked;
        }
        if let Some(q) = self.queues.get_mut(&ck.key) {
            if q.inflight.get(&offset) == Some(&id) {
                q.inflight.remove(&offset);
            }
        }
        AckOutcome::Acked { ck: id, finished: ck.pending().next().is_none() }
    }

    /// What acking `offset` of checkpoint `id` would do, without doing it.
    #[must_use]
    pub fn ack_probe(&self, id: u64, offset: i64) -> AckOutcome {
        match self.cks.get(&id) {
            None => AckOutcome::Unknown,
            Some(ck) if !ck.offsets.contains(&offset) => AckOutcome::Unknown,
            Some(ck) if ck.acked.contains(&offset) => AckOutcome::AlreadyAcked,
            Some(ck) => AckOutcome::Acked { ck: id, finished: ck.pending().all(|o| o == offset) },
        }
    }

    /// Drops a checkpoint whose messages are all acked or revived.
    pub fn finish(&mut self, id: u64) -> Option<Checkpoint> {
        let ck = self.cks.remove(&id)?;
        self.by_handle.remove(&(ck.key.clone(), ck.start, ck.pop_time));
        if let Some(q) = self.queues.get_mut(&ck.key) {
            for off in &ck.offsets {
                if q.inflight.get(off) == Some(&id) {
                    q.inflight.remove(off);
                }
            }
            if q.order_ck == Some(id) {
                q.order_ck = None;
            }
        }
        Some(ck)
    }

    /// Live checkpoints of a queue.
    #[must_use]
    pub fn checkpoints_of(&self, key: &QueueKey) -> Vec<u64> {
        let mut ids: Vec<u64> = self.cks.values().filter(|c| c.key == *key).map(|c| c.id).collect();
        ids.sort_unstable();
        ids
    }

    /// Unordered checkpoints whose invisible time has passed.
    #[must_use]
    pub fn expired(&self, now: i64) -> Vec<u64> {
        let mut ids: Vec<u64> = self.cks.values().filter(|c| !c.order && c.deadline() <= now).map(|c| c.id).collect();
        ids.sort_unstable();
        ids
    }

    /// The offset the group has consumed up to: the first in-flight offset, else the cursor.
    #[must_use]
    pub fn committable(&self, key: &QueueKey) -> Option<i64> {
        let q = self.queues.get(key)?;
        let first = q.inflight.keys().next().copied();
        match (first, q.cursor) {
            (Some(f), Some(c)) => Some(f.min(c)),
            (f, c) => f.or(c),
        }
    }

    /// An orderly queue's state.
    #[must_use]
    pub fn order_state(&self, key: &QueueKey, now: i64) -> OrderState {
        let Some(id) = self.queues.get(key).and_then(|q| q.order_ck) else { return OrderState::Free };
        match self.cks.get(&id) {
            Some(ck) if ck.deadline() > now => OrderState::Blocked,
            Some(_) => OrderState::Expired(id),
            None => OrderState::Free,
        }
    }

    /// Ends an expired orderly batch: its unacked offsets count one more delivery, the cursor
    /// goes back to the first of them. Returns the new cursor.
    pub fn expire_order(&mut self, id: u64) -> Option<i64> {
        let ck = self.finish(id)?;
        let pending: Vec<i64> = ck.pending().collect();
        let q = self.queues.entry(ck.key.clone()).or_default();
        for off in &pending {
            *q.order_counts.entry(*off).or_insert(0) += 1;
        }
        let first = pending.first().copied()?;
        q.cursor = Some(first);
        Some(first)
    }

    /// How many times an orderly message was delivered before.
    #[must_use]
    pub fn order_count(&self, key: &QueueKey, offset: i64) -> i32 {
        self.queues.get(key).and_then(|q| q.order_counts.get(&offset).copied()).unwrap_or(0)
    }

    /// Every orderly queue's delivery counts (for compaction).
    #[must_use]
    pub fn order_counts(&self) -> Vec<(QueueKey, Vec<(i64, i32)>)> {
        let mut out: Vec<(QueueKey, Vec<(i64, i32)>)> = self
            .queues
            .iter()
            .filter(|(_, q)| !q.order_counts.is_empty())
            .map(|(k, q)| (k.clone(), q.order_counts.iter().map(|(o, c)| (*o, *c)).collect()))
            .collect();
        out.sort();
        out
    }

    /// Restores an orderly queue's delivery counts.
    pub fn set_order_counts(&mut self, key: &QueueKey, counts: &[(i64, i32)]) {
        self.queues.entry(key.clone()).or_default().order_counts = counts.iter().copied().collect();
    }

    /// Every queue with a known cursor, and every live checkpoint (for compaction).
    #[must_use]
    pub fn snapshot(&self) -> (Vec<(QueueKey, i64)>, Vec<Checkpoint>) {
        let mut cursors: Vec<(QueueKey, i64)> =
            self.queues.iter().filter_map(|(k, q)| q.cursor.map(|c| (k.clone(), c))).collect();
        cursors.sort();
        let mut cks: Vec<Checkpoint> = self.cks.values().cloned().collect();
        cks.sort_by_key(|c| c.id);
        (cursors, cks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> QueueKey {
        QueueKey { group: "g".into(), topic: "T".into(), queue_id: 0 }
    }

    fn ck(t: &mut PopTable, start: i64, offsets: &[i64], pop_time: i64, order: bool) -> u64 {
        let id = t.next_id();
        let c = Checkpoint {
            id,
            key: key(),
            start,
            pop_time,
            invisible_time: 100,
            revive_qid: 0,
            order,
            offsets: offsets.to_vec(),
            acked: BTreeSet::new(),
        };
        let next = offsets.last().map(|o| o + 1);
        t.add(c, next);
        id
    }

    #[test]
    fn offsets_commit_only_past_acked_messages() {
        let mut t = PopTable::default();
        t.set_cursor(&key(), 0);
        let a = ck(&mut t, 0, &[0, 1, 2], 10, false);
        let b = ck(&mut t, 3, &[3, 4], 20, false);
        assert_eq!(t.committable(&key()), Some(0));
        assert_eq!(t.ack(&key(), 0, 10, 1), AckOutcome::Acked { ck: a, finished: false });
        assert_eq!(t.committable(&key()), Some(0));
        assert_eq!(t.ack(&key(), 0, 10, 1), AckOutcome::AlreadyAcked);
        assert_eq!(t.ack(&key(), 0, 11, 0), AckOutcome::Unknown);
        assert_eq!(t.ack(&key(), 0, 10, 7), AckOutcome::Unknown);
        assert_eq!(t.ack(&key(), 0, 10, 0), AckOutcome::Acked { ck: a, finished: false });
        assert_eq!(t.committable(&key()), Some(2));
        assert_eq!(t.ack(&key(), 0, 10, 2), AckOutcome::Acked { ck: a, finished: true });
        t.finish(a);
        assert_eq!(t.committable(&key()), Some(3));
        assert_eq!(t.expired(119), Vec::<u64>::new());
        assert_eq!(t.expired(120), vec![b]);
        t.finish(b);
        assert_eq!(t.committable(&key()), Some(5));
        assert_eq!(t.ack(&key(), 3, 20, 3), AckOutcome::Unknown);
    }

    #[test]
    fn orderly_batches_block_then_expire_back_to_the_first_unacked() {
        let mut t = PopTable::default();
        assert_eq!(t.order_state(&key(), 0), OrderState::Free);
        let a = ck(&mut t, 0, &[0, 1, 2], 10, true);
        assert_eq!(t.order_state(&key(), 50), OrderState::Blocked);
        assert_eq!(t.ack_id(a, 0), AckOutcome::Acked { ck: a, finished: false });
        assert_eq!(t.order_state(&key(), 110), OrderState::Expired(a));
        assert_eq!(t.expire_order(a), Some(1));
        assert_eq!(t.cursor(&key()), Some(1));
        assert_eq!((t.order_count(&key(), 0), t.order_count(&key(), 1), t.order_count(&key(), 2)), (0, 1, 1));
        assert_eq!(t.order_state(&key(), 110), OrderState::Free);
        assert_eq!(t.committable(&key()), Some(1));
    }
}
