//! `Dispatcher`: what follows a record into the commit log: its consume-queue unit, its index
//! keys, and the arrival announced to long-polling pulls.

use std::sync::Arc;

use parking_lot::RwLock;
use rmq_common::message::MessageExt;
use rmq_common::{property, sysflag};

use super::queues::QueueTable;
use crate::config::TopicRules;
use crate::consume_queue::{ConsumeQueue, CqUnit};
use crate::index::IndexService;
use crate::offset::PhyOffset;

/// Called when messages were dispatched to a consume queue: topic, queue id, queue offset of
/// the last of them (one call for a batch's messages, which share their queue).
pub type ArrivalListener = Arc<dyn Fn(&str, i32, i64) + Send + Sync>;

/// A message announced to the arrival listener: topic, queue id, queue offset.
pub(crate) type Arrival = (String, i32, i64);

/// Where a record goes besides the commit log. Callers serialise dispatch (the writer lock), so
/// queue offsets are dense.
pub(crate) struct Dispatcher {
    queues: Arc<QueueTable>,
    index: Arc<IndexService>,
    /// Whether message keys are indexed.
    index_keys: bool,
    rules: TopicRules,
    listener: RwLock<Option<ArrivalListener>>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").field("index_keys", &self.index_keys).finish_non_exhaustive()
    }
}

/// Whether a record of this transaction state gets a consume-queue unit (prepared and rolled
/// back half messages do not).
pub(crate) fn is_consumable(sys_flag: i32) -> bool {
    !matches!(sysflag::transaction_type(sys_flag), sysflag::TRANSACTION_PREPARED | sysflag::TRANSACTION_ROLLBACK)
}

/// Calls `f` with the last arrival of each run of consecutive arrivals in the same queue.
fn for_last_of_runs(arrivals: &[Arrival], mut f: impl FnMut(&Arrival)) {
    for (i, a) in arrivals.iter().enumerate() {
        let next_same_queue = arrivals.get(i + 1).is_some_and(|n| n.1 == a.1 && n.0 == a.0);
        if !next_same_queue {
            f(a);
        }
    }
}

impl Dispatcher {
    pub(crate) fn new(queues: Arc<QueueTable>, index: Arc<IndexService>, index_keys: bool, rules: TopicRules) -> Self {
        Self { queues, index, index_keys, rules, listener: RwLock::new(None) }
    }

    /// Sets the listener told of every dispatched message.
    pub(crate) fn set_listener(&self, listener: ArrivalListener) {
        *self.listener.write() = Some(listener);
    }

    /// Tells the listener of `arrivals`: once per run of arrivals in the same queue (a batch
    /// of 32 wakes that queue's parked pulls once, not 32 times), with the run's last offset.
    pub(crate) fn announce(&self, arrivals: &[Arrival]) {
        if let Some(listener) = self.listener.read().clone() {
            for_last_of_runs(arrivals, |(t, q, o)| listener(t, *q, *o));
        }
    }

    /// The queue a new message goes to.
    pub(crate) fn queue(&self, topic: &str, queue_id: i32) -> std::io::Result<Arc<ConsumeQueue>> {
        self.queues.get_or_create(topic, queue_id)
    }

    /// Deletes a topic's consume queues.
    pub(crate) fn delete_topic(&self, topic: &str) {
        self.queues.delete_topic(topic);
    }

    /// The topics that have consume queues.
    pub(crate) fn queue_topics(&self) -> Vec<String> {
        self.queues.topics()
    }

    /// Indexes the keys of the record at `phy` (`topic#key` for each of KEYS and UNIQ_KEY).
    pub(crate) fn index_keys(&self, topic: &str, props: &[(String, String)], phy: PhyOffset, ts: i64) {
        if !self.index_keys {
            return;
        }
        let mut keys: Vec<String> = property::get(props, property::KEYS)
            .map(|k| k.split(' ').filter(|s| !s.is_empty()).map(|k| format!("{topic}#{k}")).collect())
            .unwrap_or_default();
        if let Some(u) = property::get(props, property::UNIQ_KEY) {
            keys.push(format!("{topic}#{u}"));
        }
        if keys.is_empty() {
            return;
        }
        if let Err(e) = self.index.put(&keys, phy.to_wire(), ts) {
            tracing::error!(cause = %e, "writing the index failed");
        }
    }

    /// Dispatches a record read back from the commit log (recovery, replication): its index
    /// keys, and its consume-queue unit unless the queue has it already. Returns the arrival
    /// when a unit was written.
    pub(crate) fn redispatch(&self, phy: PhyOffset, m: &MessageExt) -> std::io::Result<Option<Arrival>> {
        let tx = sysflag::transaction_type(m.sys_flag);
        if tx == sysflag::TRANSACTION_ROLLBACK {
            return Ok(None);
        }
        self.index_keys(&m.topic, &m.properties, phy, m.store_timestamp);
        if tx == sysflag::TRANSACTION_PREPARED {
            return Ok(None);
        }
        let cq = self.queue(&m.topic, m.queue_id)?;
        if m.queue_offset < cq.max_offset() {
            return Ok(None);
        }
        let tag_code = self.rules.tag_code(&m.topic, &m.properties, m.store_timestamp);
        let len = m.store_size;
        cq.put(m.queue_offset, CqUnit::new(phy, len, tag_code))?;
        Ok(Some((m.topic.clone(), m.queue_id, m.queue_offset)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_arrivals_in_one_queue_is_announced_once_with_its_last_offset() {
        let a = |t: &str, q, o| (t.to_owned(), q, o);
        let arrivals = vec![a("T", 0, 1), a("T", 0, 2), a("T", 0, 3), a("T", 1, 7), a("U", 1, 1), a("T", 0, 4)];
        let mut told = Vec::new();
        for_last_of_runs(&arrivals, |x| told.push(x.clone()));
        assert_eq!(told, vec![a("T", 0, 3), a("T", 1, 7), a("U", 1, 1), a("T", 0, 4)]);
        told.clear();
        for_last_of_runs(&[], |x| told.push(x.clone()));
        assert!(told.is_empty());
    }
}
