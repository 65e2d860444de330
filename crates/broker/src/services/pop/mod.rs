//! POP consumption (RocketMQ 5.x): the broker keeps each group's place in each queue and hands
//! out batches that stay invisible for a while; a batch's checkpoint is finished by acks, and
//! what is not acked within its invisible time is revived (written to the group's POP retry
//! topic `%RETRY%group_topic`, or `%DLQ%group` past the group's retryMaxTimes) and popped again.
//! Orderly pops lock a queue to its outstanding batch until it is acked or expires; an expired
//! orderly batch is delivered again from its first unacked offset, with a higher count.
//!
//! State lives in [`table::PopTable`]; every change is journaled ([`journal`]) before the
//! request is answered. The group's consumer offset of a queue is its first in-flight offset
//! (or the pop cursor), so it moves only past acked or revived messages.

pub mod journal;
pub mod read;
pub mod table;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use parking_lot::Mutex;
use rmq_common::message::MessageExt;
use rmq_common::{property, topic as system};
use rmq_remoting::header::pop_info::{ExtraInfo, RetryMark, POP_ORDER_REVIVE_QUEUE};
use rmq_store::{MessageStore, StoreMessage};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::error::BrokerError;
use crate::state::groups::GroupTable;
use crate::state::offsets::ConsumerOffsets;
use crate::state::topics::{perm, TopicTable};
use journal::{apply, Journal, Record};
use table::{AckOutcome, Checkpoint, PopTable, QueueKey};

/// Default retries before the DLQ when a group has no config.
const DEFAULT_MAX_RECONSUME: i32 = 16;
/// Journal lines before a compaction is considered.
const COMPACT_LINES: u64 = 100_000;

/// What the POP service is built from.
#[derive(Debug, Clone)]
pub struct PopHandles {
    /// The store read and written.
    pub store: Arc<MessageStore>,
    /// Topics (retry and DLQ topics are created here).
    pub topics: Arc<TopicTable>,
    /// Groups (retryMaxTimes).
    pub groups: Arc<GroupTable>,
    /// Consumer offsets, moved past acked or revived messages.
    pub offsets: Arc<ConsumerOffsets>,
    /// Cancelled at shutdown.
    pub stop: CancellationToken,
}

/// The topic a handle names: the request's topic when it is already the retry topic (the Java
/// push consumer sends `ExtraInfoUtil.getRealTopic`, as the official broker expects for
/// ACK_MESSAGE and CHANGE_MESSAGE_INVISIBLETIME), else the topic the handle's retry mark names.
#[must_use]
pub fn handle_topic(topic: &str, group: &str, info: &ExtraInfo) -> String {
    if system::is_retry(topic) {
        topic.to_owned()
    } else {
        marked_topic(info.retry, topic, group)
    }
}

/// The retry mark of the topic a message is popped from (`ExtraInfoUtil.getRetry`).
#[must_use]
pub fn retry_mark(topic: &str) -> RetryMark {
    if !system::is_retry(topic) {
        RetryMark::Normal
    } else if system::is_pop_retry_v2(topic) {
        RetryMark::RetryV2
    } else {
        RetryMark::RetryV1
    }
}

/// The topic a retry mark names for `topic` and `group` (`ExtraInfoUtil.getRealTopic`).
#[must_use]
pub fn marked_topic(mark: RetryMark, topic: &str, group: &str) -> String {
    match mark {
        RetryMark::Normal => topic.to_owned(),
        RetryMark::RetryV1 => system::pop_retry_topic(group, topic),
        RetryMark::RetryV2 => system::pop_retry_topic_v2(group, topic),
    }
}

/// The settings the service reads from broker.conf.
#[derive(Debug, Clone)]
pub struct PopSettings {
    /// `brokerName`, written into handles.
    pub broker_name: String,
    /// `reviveQueueNum`: revive queue ids handed out round robin.
    pub revive_queue_num: i32,
    /// `popFromRetryProbability`: percent of pops that read the retry topic first.
    pub pop_from_retry_probability: u32,
    /// `reviveInterval`: how often invisible times are checked, ms.
    pub revive_interval_ms: u64,
    /// `popPollingSize`: pops parked on one queue of a group beyond which POLLING_FULL answers.
    pub pop_polling_size: i32,
    /// `maxPopPollingSize`: pops parked on the whole broker beyond which POLLING_FULL answers.
    pub max_pop_polling_size: i64,
}

#[derive(Debug)]
struct Inner {
    table: PopTable,
    journal: Journal,
}

/// The POP service: state, journal and the revive loop.
#[derive(Debug)]
pub struct PopService {
    handles: PopHandles,
    settings: PopSettings,
    inner: Mutex<Inner>,
    /// Woken by orderly acks, revives and invisible-time changes (parked pops re-check).
    wake: Arc<Notify>,
    ck_counter: AtomicU64,
    polling: DashMap<(String, String, i32), i32>,
    polling_total: std::sync::atomic::AtomicI64,
}

impl PopService {
    /// Opens the journal under `<store root>/pop` and replays it.
    pub fn open(store_root: &std::path::Path, settings: PopSettings, handles: PopHandles) -> std::io::Result<Self> {
        let (journal, table) = Journal::open(&store_root.join("pop"))?;
        let service = Self {
            handles,
            settings,
            inner: Mutex::new(Inner { table, journal }),
            wake: Arc::new(Notify::new()),
            ck_counter: AtomicU64::new(0),
            polling: DashMap::new(),
            polling_total: std::sync::atomic::AtomicI64::new(0),
        };
        service.commit_all();
        Ok(service)
    }

    /// The wake-up point of parked pops.
    #[must_use]
    pub fn wake(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// The next revive queue id of an unordered pop.
    #[must_use]
    pub fn next_revive_qid(&self) -> i32 {
        let n = u64::try_from(self.settings.revive_queue_num.max(1)).unwrap_or(1);
        i32::try_from(self.ck_counter.fetch_add(1, Ordering::Relaxed) % n).unwrap_or(0)
    }

    /// Whether a pop reads the retry topic before the topic.
    #[must_use]
    pub fn retry_first(&self) -> bool {
        rand::random::<u32>() % 100 < self.settings.pop_from_retry_probability
    }

    /// Applies and journals records, then moves the affected queues' consumer offsets.
    fn record(&self, inner: &mut Inner, records: Vec<Record>) -> Result<(), BrokerError> {
        inner.journal.append(&records).map_err(|e| BrokerError::System(format!("pop journal: {e}")))?;
        let mut keys = BTreeSet::new();
        for r in &records {
            match r {
                Record::Ck { ck, .. } => {
                    keys.insert(ck.key.clone());
                }
                Record::Cur { key, .. } | Record::Counts { key, .. } => {
                    keys.insert(key.clone());
                }
                Record::Ack { id, .. } | Record::End { id } | Record::OrderExpired { id } => {
                    if let Some(ck) = inner.table.get(*id) {
                        keys.insert(ck.key.clone());
                    }
                }
            }
            apply(&mut inner.table, r);
        }
        for key in keys {
            self.commit(&inner.table, &key);
        }
        Ok(())
    }

    fn commit(&self, table: &PopTable, key: &QueueKey) {
        if let Some(off) = table.committable(key) {
            if self.handles.offsets.query(&key.group, &key.topic, key.queue_id) != Some(off) {
                self.handles.offsets.commit(&key.group, &key.topic, key.queue_id, off);
            }
        }
    }

    fn commit_all(&self) {
        let inner = self.inner.lock();
        let (cursors, _) = inner.table.snapshot();
        for (key, _) in cursors {
            self.commit(&inner.table, &key);
        }
    }

    /// Acks one message by its handle: `Ok(true)` when a live checkpoint had it unacked,
    /// `Ok(false)` when the handle is unknown or was acked before (answered SUCCESS, as
    /// RocketMQ does).
    pub fn ack(&self, group: &str, topic: &str, info: &ExtraInfo, offset: i64) -> Result<bool, BrokerError> {
        let key =
            QueueKey { group: group.to_owned(), topic: handle_topic(topic, group, info), queue_id: info.queue_id };
        let mut inner = self.inner.lock();
        let Some(ck) = inner.table.find(&key, info.ck_queue_offset, info.pop_time) else { return Ok(false) };
        let (id, order) = (ck.id, ck.order);
        match inner.table.ack_probe(id, offset) {
            AckOutcome::Acked { finished, .. } => {
                let mut records = vec![Record::Ack { id, off: offset }];
                if finished {
                    records.push(Record::End { id });
                }
                self.record(&mut inner, records)?;
                if order && finished {
                    self.wake.notify_waiters();
                }
                Ok(true)
            }
            AckOutcome::AlreadyAcked | AckOutcome::Unknown => Ok(false),
        }
    }

    /// CHANGE_MESSAGE_INVISIBLETIME: acks the message under its old handle and checkpoints it
    /// alone from now for `invisible_time`; returns (pop time, revive queue id) of the new
    /// checkpoint. An unknown or acked handle changes nothing (`None`).
    pub fn change_invisible(
        &self,
        group: &str,
        topic: &str,
        info: &ExtraInfo,
        offset: i64,
        invisible_time: i64,
    ) -> Result<Option<(i64, i32)>, BrokerError> {
        let key =
            QueueKey { group: group.to_owned(), topic: handle_topic(topic, group, info), queue_id: info.queue_id };
        let now = crate::now_ms();
        let mut inner = self.inner.lock();
        let Some(old) = inner.table.find(&key, info.ck_queue_offset, info.pop_time) else { return Ok(None) };
        let (old_id, order) = (old.id, old.order);
        if order {
            // Orderly: the whole batch's invisible time moves (the queue stays locked).
            let mut ck = old.clone();
            if ck.acked.contains(&offset) {
                return Ok(None);
            }
            ck.id = inner.table.next_id();
            ck.pop_time = now;
            ck.invisible_time = invisible_time;
            let records = vec![Record::End { id: old_id }, Record::Ck { ck, next: None }];
            self.record(&mut inner, records)?;
            return Ok(Some((now, POP_ORDER_REVIVE_QUEUE)));
        }
        let AckOutcome::Acked { finished, .. } = inner.table.ack_probe(old_id, offset) else { return Ok(None) };
        let revive_qid = self.next_revive_qid();
        let ck = Checkpoint {
            id: inner.table.next_id(),
            key,
            start: offset,
            pop_time: now,
            invisible_time,
            revive_qid,
            order: false,
            offsets: vec![offset],
            acked: BTreeSet::new(),
        };
        // The new checkpoint first, so the offset stays in flight throughout.
        let mut records = vec![Record::Ck { ck, next: None }, Record::Ack { id: old_id, off: offset }];
        if finished {
            records.push(Record::End { id: old_id });
        }
        self.record(&mut inner, records)?;
        self.wake.notify_waiters();
        Ok(Some((now, revive_qid)))
    }

    /// An offset reset of a group on a topic (INVOKE_BROKER_TO_RESET_OFFSET): each queue's
    /// outstanding checkpoints are dropped (their messages will not be revived) and its cursor
    /// moves to the new offset, as RocketMQ's `resetPopOffset`.
    pub fn reset(
        &self,
        group: &str,
        topic: &str,
        targets: &std::collections::BTreeMap<i32, i64>,
    ) -> Result<(), BrokerError> {
        let mut inner = self.inner.lock();
        let mut records = Vec::new();
        for (queue_id, next) in targets {
            let key = QueueKey { group: group.to_owned(), topic: topic.to_owned(), queue_id: *queue_id };
            let known = inner.table.cursor(&key).is_some() || !inner.table.checkpoints_of(&key).is_empty();
            if !known {
                continue;
            }
            records.extend(inner.table.checkpoints_of(&key).into_iter().map(|id| Record::End { id }));
            records.push(Record::Cur { key, next: *next });
        }
        if records.is_empty() {
            return Ok(());
        }
        self.record(&mut inner, records)?;
        self.wake.notify_waiters();
        Ok(())
    }

    /// Counts a parked pop (POLLING_INFO); `false` (not counted) when the queue's or the
    /// broker's parked pops are full, as RocketMQ's `popPollingSize` / `maxPopPollingSize`.
    pub fn polling_enter(&self, topic: &str, group: &str, queue_id: i32) -> bool {
        if self.polling_total.load(Ordering::Relaxed) >= self.settings.max_pop_polling_size {
            return false;
        }
        let mut n = self.polling.entry((topic.to_owned(), group.to_owned(), queue_id)).or_insert(0);
        if *n > self.settings.pop_polling_size {
            return false;
        }
        *n += 1;
        self.polling_total.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Uncounts a parked pop.
    pub fn polling_leave(&self, topic: &str, group: &str, queue_id: i32) {
        if let Some(mut n) = self.polling.get_mut(&(topic.to_owned(), group.to_owned(), queue_id)) {
            *n -= 1;
            self.polling_total.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Pops parked on a queue.
    #[must_use]
    pub fn polling_num(&self, topic: &str, group: &str, queue_id: i32) -> i32 {
        self.polling.get(&(topic.to_owned(), group.to_owned(), queue_id)).map_or(0, |n| (*n).max(0))
    }

    /// Starts the revive loop.
    pub fn spawn(self: &Arc<Self>) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(this.settings.revive_interval_ms.max(10)));
            let mut last_sync = std::time::Instant::now();
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = this.handles.stop.cancelled() => break,
                }
                let revived = this.revive_due(crate::now_ms()).await;
                if revived > 0 {
                    this.wake.notify_waiters();
                }
                if last_sync.elapsed() >= Duration::from_secs(1) {
                    last_sync = std::time::Instant::now();
                    let mut inner = this.inner.lock();
                    let Inner { table, journal } = &mut *inner;
                    if let Err(e) = journal.sync().and_then(|()| journal.maybe_compact(table, COMPACT_LINES)) {
                        tracing::warn!(cause = %e, "syncing or compacting the pop journal failed");
                    }
                }
            }
        });
    }

    /// Revives every unordered checkpoint whose invisible time has passed; returns how many
    /// messages were written to retry or DLQ topics.
    pub async fn revive_due(&self, now: i64) -> usize {
        let due: Vec<Checkpoint> = {
            let inner = self.inner.lock();
            inner.table.expired(now).into_iter().filter_map(|id| inner.table.get(id).cloned()).collect()
        };
        let mut written = 0;
        for ck in due {
            let mut all = true;
            for off in ck.pending() {
                match self.revive_one(&ck, off).await {
                    Ok(()) => written += 1,
                    Err(e) => {
                        tracing::warn!(group = %ck.key.group, topic = %ck.key.topic, offset = off, cause = %e, "revive failed; retried later");
                        all = false;
                        break;
                    }
                }
            }
            if all {
                let mut inner = self.inner.lock();
                // An ack may have finished it meanwhile.
                if inner.table.get(ck.id).is_some() {
                    if let Err(e) = self.record(&mut inner, vec![Record::End { id: ck.id }]) {
                        tracing::warn!(cause = %e, "journaling a revive failed");
                    }
                }
            }
        }
        written
    }

    /// Writes one unacked message to the group's POP retry topic, or its DLQ once its
    /// reconsume times reach the group's retryMaxTimes.
    async fn revive_one(&self, ck: &Checkpoint, offset: i64) -> Result<(), BrokerError> {
        {
            let inner = self.inner.lock();
            let still = inner.table.get(ck.id).is_some_and(|c| !c.acked.contains(&offset));
            if !still {
                return Ok(());
            }
        }
        let key = &ck.key;
        let got = self.handles.store.get_messages(&key.topic, key.queue_id, offset, 1, &|_| true);
        let Some(record) = got.messages.first() else {
            // Gone from the store (retention): nothing to revive.
            return Ok(());
        };
        let msg = MessageExt::decode(record).map_err(|e| BrokerError::System(e.to_string()))?;
        let max = self.handles.groups.get(&key.group).map_or(DEFAULT_MAX_RECONSUME, |g| g.retry_max_times);
        let rw = perm::READ | perm::WRITE;
        let target = if msg.reconsume_times >= max {
            system::dlq_topic(&key.group)
        } else if system::is_retry(&key.topic) {
            key.topic.clone()
        } else {
            system::pop_retry_topic(&key.group, &key.topic)
        };
        self.handles.topics.get_or_create_system(&target, 1, rw);
        self.handles.topics.durable(&target).await.map_err(BrokerError::System)?;
        let mut props = msg.properties.clone();
        if msg.reconsume_times == 0 || property::get(&props, property::FIRST_POP_TIME).is_none() {
            property::set(&mut props, property::FIRST_POP_TIME, &ck.pop_time.to_string());
        }
        if property::get(&props, property::RETRY_TOPIC).is_none() && !system::is_retry(&msg.topic) {
            property::set(&mut props, property::RETRY_TOPIC, &msg.topic);
        }
        if property::get(&props, property::ORIGIN_MESSAGE_ID).is_none_or(str::is_empty) {
            property::set(&mut props, property::ORIGIN_MESSAGE_ID, &msg.msg_id);
        }
        property::remove(&mut props, property::POP_CK);
        let m = StoreMessage {
            topic: target,
            queue_id: 0,
            reconsume_times: msg.reconsume_times + 1,
            store_host: msg.store_host,
            properties: props,
            ..StoreMessage::from(&msg)
        };
        let result = self.handles.store.put_message(m).await;
        if crate::services::stored(result.status) {
            Ok(())
        } else {
            Err(BrokerError::System(result.remark))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_marks_follow_the_topic_name() {
        assert_eq!(retry_mark("T"), RetryMark::Normal);
        assert_eq!(retry_mark("%RETRY%g_T"), RetryMark::RetryV1);
        assert_eq!(retry_mark("%RETRY%g+T"), RetryMark::RetryV2);
        assert_eq!(marked_topic(RetryMark::Normal, "T", "g"), "T");
        assert_eq!(marked_topic(RetryMark::RetryV1, "T", "g"), "%RETRY%g_T");
        assert_eq!(marked_topic(RetryMark::RetryV2, "T", "g"), "%RETRY%g+T");
    }

    #[test]
    fn a_handle_names_the_retry_topic_whichever_topic_the_header_carries() {
        let retried = ExtraInfo::parse("0 1 2 3 1 broker-a 0 5").expect("handle");
        let plain = ExtraInfo::parse("0 1 2 3 0 broker-a 0 5").expect("handle");
        // The Java push consumer sends the real topic; a raw caller may send the original.
        assert_eq!(handle_topic("%RETRY%g_T", "g", &retried), "%RETRY%g_T");
        assert_eq!(handle_topic("T", "g", &retried), "%RETRY%g_T");
        assert_eq!(handle_topic("T", "g", &plain), "T");
    }
}
