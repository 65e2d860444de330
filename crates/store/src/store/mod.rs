//! `MessageStore`: a thin facade over the components that own the store's state. Each is built
//! from the few handles it needs:
//!
//! - [`writer::Writer`]: appends and dispatches under the writer lock (queue offsets dense);
//! - [`dispatch::Dispatcher`]: consume-queue units, index keys, arrival announcements;
//! - [`queues::QueueTable`]: the consume queues;
//! - [`flush::Flusher`]: commit-log flush, SYNC_FLUSH waits, queue/index flush and checkpoint;
//! - [`read::Reader`]: pulls and lookups, with read-ahead for far-behind readers;
//! - [`replica::Replica`]: replication reads, appends and truncation;
//! - [`retention::Retention`] and [`disk::DiskGuard`]: deletion of old files, disk limits;
//! - [`marks::Marks`]: the commit log's end and flush positions all of them follow.

mod disk;
mod dispatch;
mod flush;
mod info;
mod lifecycle;
mod marks;
mod parts;
mod queues;
mod read;
mod readahead;
mod recover;
mod replica;
mod retention;
mod warm;
mod writer;

use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use rmq_common::message::StoreMessage;
use tokio::sync::oneshot;

pub use self::dispatch::ArrivalListener;
use self::flush::signal::FlushSignal;
use self::lifecycle::Lifecycle;
pub use self::lifecycle::StoreError;
use self::parts::Parts;
pub use self::queues::QueueCut;
pub use self::read::ReadFilter;
pub use self::recover::RecoveryStats;
pub use self::retention::RetentionListener;
use self::writer::{AppendJob, Appended, Writer};
use crate::checkpoint::Checkpoint;
use crate::config::StoreConfig;
use crate::metrics::StoreMetrics;
use crate::offset::PhyOffset;
use crate::result::{GetMessageResult, PutMessageResult, PutStatus, QueryResult};

/// Largest body appended in the caller's task rather than on the append thread.
const INLINE_APPEND_MAX_BODY: usize = 16 * 1024;

/// The message store. Cheap operations are lock-free or behind short locks; appends are
/// serialised by one writer lock that also covers dispatch, so queue offsets are dense.
pub struct MessageStore {
    life: Lifecycle,
    writer: Arc<Writer>,
    /// Hands large appends to the append thread.
    appender: std::sync::mpsc::Sender<AppendJob>,
    reader: read::Reader,
    flusher: Arc<flush::Flusher>,
    retention: Arc<retention::Retention>,
    replica: replica::Replica,
    dispatch: Arc<dispatch::Dispatcher>,
    disk: Arc<disk::DiskGuard>,
    metrics: Arc<StoreMetrics>,
}

impl std::fmt::Debug for MessageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageStore").field("root", &self.life.root()).finish_non_exhaustive()
    }
}

impl MessageStore {
    /// Opens (and recovers) the store, then starts its flusher, append and warmer threads.
    pub fn open(config: StoreConfig) -> Result<Arc<Self>, StoreError> {
        let (lock, crashed) = Lifecycle::lock(&config.root)?;
        let parts = Parts::open(&config)?;
        let recovery = parts.recover(&config.root, crashed)?;
        let life = Lifecycle::start(&config.root, lock, recovery)?;
        let (appender, jobs) = std::sync::mpsc::channel();
        let store = Arc::new(Self::assemble(&config, parts, life, appender));
        store.start_threads(jobs)?;
        Ok(store)
    }

    /// Builds each component from the parts it needs.
    fn assemble(config: &StoreConfig, h: Parts, life: Lifecycle, appender: Sender<AppendJob>) -> Self {
        let signal = Arc::new(FlushSignal::default());
        let writer = Arc::new(h.writer(config));
        let flusher = Arc::new(h.flusher(config, &signal, &life.stop_flag()));
        let disk = Arc::new(Parts::disk(config));
        let retention = Arc::new(h.retention(config, &disk));
        let replica = h.replica(&writer, flusher.is_sync().then_some(signal));
        let (dispatch, metrics) = h.shared();
        let reader = h.reader(config);
        Self { life, writer, appender, reader, flusher, retention, replica, dispatch, disk, metrics }
    }

    /// Starts the flusher (which also runs disk checks and retention), append and warmer threads.
    fn start_threads(&self, jobs: Receiver<AppendJob>) -> Result<(), StoreError> {
        self.disk.refresh();
        if let Some(reason) = self.disk.full() {
            tracing::warn!(path = %self.disk.path().display(),
                "message store started READ-ONLY: {reason}; messages can be read, sends are refused until space frees");
        }
        let (flusher, disk, retention) =
            (Arc::clone(&self.flusher), Arc::clone(&self.disk), Arc::clone(&self.retention));
        let handle = spawn("store-flush", move || {
            flusher.run(|stopping| {
                disk.refresh();
                if !stopping {
                    retention.delete_expired(std::time::SystemTime::now());
                }
            });
        })?;
        self.life.set_flush_thread(handle);
        let writer = Arc::clone(&self.writer);
        spawn("store-append", move || writer::append_loop(&writer, &jobs))?;
        let (log, marks, stop) = (self.reader.log_handle(), self.reader.marks_handle(), self.life.stop_flag());
        spawn("store-warm", move || warm::warm_loop(&log, &marks, &stop))?;
        Ok(())
    }

    /// Sets the listener told of every commit-log file retention deletes, with the units each
    /// consume queue lost (the broker warns when they were not consumed).
    pub fn set_retention_listener(&self, listener: RetentionListener) {
        self.retention.set_listener(listener);
    }

    /// Why the store refuses sends now (its disk is fuller than the full ratio), or `None` when it takes them: a store opened on a full disk is read-only.
    #[must_use]
    pub fn read_only_reason(&self) -> Option<String> {
        self.disk.full()
    }

    /// Sets the listener told of every dispatched message (long-poll wake-ups).
    pub fn set_arrival_listener(&self, listener: ArrivalListener) {
        self.dispatch.set_listener(listener);
    }

    /// Stores one message.
    pub async fn put_message(&self, msg: StoreMessage) -> PutMessageResult {
        self.put_messages(vec![msg]).await
    }

    /// Stores messages with consecutive queue offsets (a batch shares topic and queue).
    pub async fn put_messages(&self, msgs: Vec<StoreMessage>) -> PutMessageResult {
        if self.life.stopping() {
            return PutMessageResult::refused(PutStatus::ServiceNotAvailable, "message store is shutting down");
        }
        if let Some(reason) = self.disk.full() {
            return PutMessageResult::refused(PutStatus::ServiceNotAvailable, reason);
        }
        let put_started = Instant::now();
        let batch = match self.append(msgs).await {
            Ok(batch) => batch,
            Err(refused) => return refused,
        };
        self.metrics.stored(batch.count, 0);
        self.dispatch.announce(&batch.arrivals);
        let mut result = batch.result;
        if self.flusher.is_sync() {
            let end = PhyOffset::from_wire(result.end_offset).unwrap_or(PhyOffset::ZERO);
            if !self.flusher.wait_flushed(end).await {
                result.status = PutStatus::FlushDiskTimeout;
            }
        }
        self.metrics.put_latency.record(put_started.elapsed());
        result
    }

    /// Appends in place, or on the append thread. A batch is encoded and appended on the
    /// store's append thread (as RocketMQ's send thread): a burst of batch sends then costs the
    /// async workers a hand-off each, not the CPU work, so the other tasks on them (pulls above
    /// all) do not queue behind it. A single small message is appended in place: its work is
    /// smaller than the hand-off.
    async fn append(&self, msgs: Vec<StoreMessage>) -> Appended {
        if let [m] = msgs.as_slice() {
            if m.body.len() <= INLINE_APPEND_MAX_BODY {
                return self.writer.append(&msgs);
            }
        }
        let (reply, replied) = oneshot::channel();
        let sent = self.appender.send(AppendJob { msgs, reply }).is_ok();
        match replied.await {
            Ok(appended) if sent => appended,
            _ => Err(PutMessageResult::refused(PutStatus::ServiceNotAvailable, "the store's append thread is gone")),
        }
    }

    /// Changes retention at run time: `fileReservedTime`, the `deleteWhen` hours and
    /// `diskMaxUsedSpaceRatio` (%), as UPDATE_BROKER_CONFIG does.
    pub fn set_retention(
        &self,
        file_reserved_time: std::time::Duration,
        delete_when: Vec<u32>,
        disk_max_used_ratio: u32,
    ) {
        self.retention.set_policy(file_reserved_time, delete_when);
        self.disk.set_max_used_ratio(disk_max_used_ratio);
    }

    /// Changes the async flush interval (`flushIntervalCommitLog`) at run time.
    pub fn set_flush_interval(&self, interval: std::time::Duration) {
        self.flusher.set_interval(interval);
    }

    /// Changes the largest message accepted (bytes) at run time.
    pub fn set_max_message_size(&self, size: usize) {
        self.writer.set_max_message_size(size);
    }

    /// Keeps time-based retention from deleting commit-log files at or after `floor` (None
    /// lifts the floor). Disk-pressure deletion ignores it.
    pub fn set_retention_floor(&self, floor: Option<i64>) {
        self.retention.set_floor(floor.and_then(PhyOffset::from_wire));
    }

    /// What recovery did when the store was opened.
    #[must_use]
    pub fn recovery_stats(&self) -> RecoveryStats {
        self.life.recovery()
    }

    /// The checkpoint as last written.
    #[must_use]
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint::load(self.life.root())
    }

    /// Flushes everything, removes the abort file and refuses further puts.
    pub fn shutdown(&self) {
        self.life.stop(&self.flusher);
        let _w = self.writer.lock();
        self.flusher.flush_all();
        self.life.closed();
        tracing::info!("message store shut down cleanly");
    }

    /// Retention: deletes commit log files older than fileReservedTime at a deleteWhen hour,
    /// or the oldest ones at once while the disk is above diskMaxUsedSpaceRatio; consume queue
    /// units that pointed into them go too. `now` is passed in so tests can move the clock.
    pub fn delete_expired_files(&self, now: std::time::SystemTime) -> Option<u64> {
        self.retention.delete_expired(now).map(PhyOffset::get)
    }

    /// Up to `max_msgs` records of a queue from `offset` whose tag code passes `filter`,
    /// with the status and next offset RocketMQ's pull protocol expects.
    pub fn get_messages(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msgs: u32,
        filter: &dyn Fn(i64) -> bool,
    ) -> GetMessageResult {
        let filter = ReadFilter { tag_code: filter, record: &|_| true };
        self.reader.get_messages(topic, queue_id, offset, max_msgs, filter)
    }

    /// As [`MessageStore::get_messages`], also checking each record whose tag code passes
    /// (RocketMQ's `isMatchedByCommitLog`, used by SQL92 filters): a refused record is skipped
    /// and counted as scanned, so the next offset moves past it.
    pub fn get_messages_filtered(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msgs: u32,
        filter: ReadFilter<'_>,
    ) -> GetMessageResult {
        self.reader.get_messages(topic, queue_id, offset, max_msgs, filter)
    }

    /// How many consume queues `topic` has (highest queue id + 1), if records of it were
    /// dispatched; a slave learns topics it has data of from this.
    #[must_use]
    pub fn queue_count(&self, topic: &str) -> Option<i32> {
        self.reader.queue_count(topic)
    }

    /// Max logical offset of a queue (0 if none).
    #[must_use]
    pub fn max_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.reader.max_offset(topic, queue_id)
    }

    /// Min logical offset of a queue (0 if none).
    #[must_use]
    pub fn min_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.reader.min_offset(topic, queue_id)
    }

    /// Store time of the message at a logical offset.
    #[must_use]
    pub fn store_time_of(&self, topic: &str, queue_id: i32, offset: i64) -> Option<i64> {
        self.reader.store_time_of(topic, queue_id, offset)
    }

    /// Store time of the earliest message of a queue.
    #[must_use]
    pub fn earliest_message_time(&self, topic: &str, queue_id: i32) -> Option<i64> {
        self.reader.store_time_of(topic, queue_id, self.reader.min_offset(topic, queue_id))
    }

    /// The first logical offset whose store time is at or after `timestamp` (binary search);
    /// max offset when every message is older.
    #[must_use]
    pub fn offset_by_time(&self, topic: &str, queue_id: i32, timestamp: i64) -> i64 {
        self.reader.offset_by_time(topic, queue_id, timestamp)
    }

    /// Whether the message at a logical offset is likely no longer in memory.
    #[must_use]
    pub fn is_in_disk(&self, topic: &str, queue_id: i32, offset: i64) -> bool {
        self.reader.is_in_disk(topic, queue_id, offset)
    }

    /// The record at a commit-log offset.
    #[must_use]
    pub fn message_by_offset(&self, phy_offset: i64) -> Option<Bytes> {
        self.reader.message_at(PhyOffset::from_wire(phy_offset)?)
    }

    /// Records indexed under `topic#key` stored within `[begin, end]`, newest first, at most `max`.
    #[must_use]
    pub fn query_by_key(&self, topic: &str, key: &str, max: u32, begin: i64, end: i64) -> QueryResult {
        self.reader.query_by_key(topic, key, max, begin, end)
    }

    /// Raw units of a consume queue: (commit-log offset, size, tag code).
    #[must_use]
    pub fn consume_queue_units(&self, topic: &str, queue_id: i32, from: i64, count: u32) -> Vec<(i64, i32, i64)> {
        self.reader.consume_queue_units(topic, queue_id, from, count)
    }

    /// Deletes a topic's consume queues.
    pub fn delete_topic(&self, topic: &str) {
        self.dispatch.delete_topic(topic);
    }

    /// The topics that have consume queues (CLEAN_EXPIRED_CONSUMEQUEUE walks them).
    #[must_use]
    pub fn queue_topics(&self) -> Vec<String> {
        self.dispatch.queue_topics()
    }

    /// Store time of the oldest message in the commit log (0 when empty).
    #[must_use]
    pub fn earliest_store_time(&self) -> i64 {
        self.reader.earliest_store_time()
    }

    /// Max commit-log offset.
    #[must_use]
    pub fn max_phy_offset(&self) -> i64 {
        self.reader.end().to_wire()
    }

    /// End of the commit log (next append offset).
    #[must_use]
    pub fn commit_log_max_offset(&self) -> u64 {
        self.reader.end().get()
    }

    /// First offset still in the commit log.
    #[must_use]
    pub fn commit_log_min_offset(&self) -> u64 {
        self.reader.log().min_offset().get()
    }

    /// Up to `max` raw bytes from `from` (never past the log end or a file end).
    #[must_use]
    pub fn read_commit_log(&self, from: u64, max: usize) -> Option<Bytes> {
        self.replica.read(PhyOffset::new(from)?, max)
    }

    /// Appends replicated bytes at `at`, which must be the current end (an empty log accepts
    /// any start). Complete records are dispatched to consume queues and the index; a record
    /// split across calls is dispatched when its rest arrives.
    pub fn append_replicated(&self, at: u64, data: &[u8]) -> Result<(), String> {
        let at = PhyOffset::new(at).ok_or_else(|| format!("replicated data at {at}: past the largest offset"))?;
        self.replica.append(at, data)
    }

    /// Cuts the log (and queue units and index entries past it) back to `at`, when the master's
    /// log is shorter than ours. Returns whether anything was cut.
    pub fn truncate_commit_log(&self, at: u64) -> bool {
        PhyOffset::new(at).is_some_and(|at| self.replica.truncate(at))
    }

    /// Figures for GET_BROKER_RUNTIME_INFO.
    #[must_use]
    pub fn runtime_info(&self) -> Vec<(String, String)> {
        let figures = info::Figures {
            log: self.reader.log(),
            index: self.reader.index(),
            metrics: &self.metrics,
            disk: &self.disk,
            end: self.reader.end(),
            flushed: self.flusher.flushed(),
            earliest_store_time: self.reader.earliest_store_time(),
        };
        figures.runtime_info()
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<std::thread::JoinHandle<()>, StoreError> {
    std::thread::Builder::new().name(name.into()).spawn(f).map_err(lifecycle::io(format!("starting thread {name}")))
}

impl Drop for MessageStore {
    /// Stops the background threads (a store dropped without `shutdown` still flushes what it
    /// has; the abort file stays, so the next open recovers as after a crash).
    fn drop(&mut self) {
        self.life.stop_without_join(&self.flusher);
    }
}
