//! `MessageStore`: appends, dispatch to consume queues and the key index, reads, flush,
//! recovery and shutdown.

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Condvar, Mutex, RwLock};
use rmq_common::message::StoreMessage;
use rmq_common::time::now_ms;
use rmq_common::{property, sysflag};
use tokio::sync::oneshot;

use crate::commit_log::CommitLog;
use crate::config::{FlushMode, StoreConfig};
use crate::consume_queue::{ConsumeQueue, CqUnit};
use crate::result::{PutMessageResult, PutStatus};

/// Why the store could not open.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// File system failure.
    #[error("{context}: {cause}")]
    Io {
        /// What was being done.
        context: String,
        /// Cause.
        cause: std::io::Error,
    },
    /// Another process holds the store directory.
    #[error("store directory {0} is locked by another process")]
    Locked(PathBuf),
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> StoreError {
    let context = context.into();
    move |cause| StoreError::Io { context, cause }
}

/// What the last recovery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryStats {
    /// Commit-log offset the scan started at (from the checkpoint).
    pub from: u64,
    /// Valid end of the commit log.
    pub end: u64,
    /// Records scanned.
    pub scanned: u64,
    /// Records whose consume-queue unit was missing and re-written.
    pub redispatched: u64,
    /// Bytes of torn or corrupt tail dropped.
    pub dropped: u64,
}

/// Called for every message dispatched to a consume queue: topic, queue id, queue offset.
pub type ArrivalListener = Arc<dyn Fn(&str, i32, i64) + Send + Sync>;

type Queues = HashMap<String, HashMap<i32, Arc<ConsumeQueue>>>;

/// The message store. Cheap operations are lock-free or behind short locks; appends are
/// serialised by one writer lock that also covers dispatch, so queue offsets are dense.
pub struct MessageStore {
    config: StoreConfig,
    log: CommitLog,
    writer: Mutex<u64>,
    queues: RwLock<Queues>,
    index: crate::index::IndexService,
    max_phy: AtomicU64,
    flushed: AtomicU64,
    /// Hands appends to the append thread (append.rs).
    appender: std::sync::mpsc::Sender<append::AppendJob>,
    /// Commit-log bytes below this are released from the resident set (flush.rs).
    released: AtomicU64,
    flush_waiters: Mutex<Vec<(u64, oneshot::Sender<()>)>>,
    flush_signal: Condvar,
    flush_signal_lock: Mutex<bool>,
    listener: RwLock<Option<ArrivalListener>>,
    shutting_down: AtomicBool,
    put_total: AtomicU64,
    put_bytes: AtomicU64,
    put_latency: crate::metrics::Latency,
    flush_latency: crate::metrics::Latency,
    last_store_timestamp: AtomicU64,
    /// Store time of the newest message known to be flushed (for the checkpoint).
    flushed_store_ts: AtomicU64,
    /// Used disk fraction × 1000, refreshed by the flush thread.
    disk_used_permille: AtomicU64,
    flusher: Mutex<Option<std::thread::JoinHandle<()>>>,
    recovery: Mutex<RecoveryStats>,
    /// Commit-log offset time-based retention must keep (records still referenced elsewhere,
    /// such as pending timer messages); `u64::MAX` = none.
    retention_floor: AtomicU64,
    /// Slave: replicated bytes up to here are dispatched (complete records).
    replica_dispatched: AtomicU64,
    /// Background reads ahead of readers far behind the writer.
    read_ahead: readahead::ReadAhead,
    /// The checkpoint last written (the flusher skips writing the same again).
    checkpointed: Mutex<Option<crate::checkpoint::Checkpoint>>,
    /// When the index was last flushed, and the store time it covered then.
    index_flushed: Mutex<(Option<Instant>, i64)>,
    _lock: File,
}

impl std::fmt::Debug for MessageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageStore").field("root", &self.config.root).finish_non_exhaustive()
    }
}

/// Largest body appended in the caller's task rather than on the append thread.
const INLINE_APPEND_MAX_BODY: usize = 16 * 1024;

impl MessageStore {
    /// Opens (and recovers) the store, then starts its flusher thread.
    pub fn open(config: StoreConfig) -> Result<Arc<Self>, StoreError> {
        std::fs::create_dir_all(&config.root).map_err(io(format!("creating {}", config.root.display())))?;
        let lock = File::create(config.root.join("lock")).map_err(io("creating lock file"))?;
        if lock.try_lock().is_err() {
            return Err(StoreError::Locked(config.root.clone()));
        }
        let abort = config.root.join("abort");
        let crashed = abort.exists();
        let log = CommitLog::open(&config.commit_log_path(), config.commit_log_file_size)
            .map_err(io("opening commit log"))?;
        let shape = crate::index::IndexShape { slots: config.max_hash_slot_num, entries: config.max_index_num };
        let index = crate::index::IndexService::open(&config.root.join("index"), shape).map_err(io("opening index"))?;
        let (appender, jobs) = std::sync::mpsc::channel();
        let store = Self {
            appender,
            log,
            writer: Mutex::new(0),
            queues: RwLock::new(HashMap::new()),
            index,
            max_phy: AtomicU64::new(0),
            flushed: AtomicU64::new(0),
            released: AtomicU64::new(0),
            flush_waiters: Mutex::new(Vec::new()),
            flush_signal: Condvar::new(),
            flush_signal_lock: Mutex::new(false),
            listener: RwLock::new(None),
            shutting_down: AtomicBool::new(false),
            put_total: AtomicU64::new(0),
            put_bytes: AtomicU64::new(0),
            put_latency: crate::metrics::Latency::default(),
            flush_latency: crate::metrics::Latency::default(),
            last_store_timestamp: AtomicU64::new(0),
            flushed_store_ts: AtomicU64::new(0),
            disk_used_permille: AtomicU64::new(0),
            flusher: Mutex::new(None),
            recovery: Mutex::new(RecoveryStats::default()),
            retention_floor: AtomicU64::new(u64::MAX),
            replica_dispatched: AtomicU64::new(0),
            read_ahead: readahead::ReadAhead::default(),
            checkpointed: Mutex::new(None),
            index_flushed: Mutex::new((None, 0)),
            _lock: lock,
            config,
        };
        store.recover(crashed)?;
        File::create(&abort).map_err(io("creating abort file"))?;
        let store = Arc::new(store);
        let flusher = Arc::clone(&store);
        let handle = std::thread::Builder::new()
            .name("store-flush".into())
            .spawn(move || flusher.flush_loop())
            .map_err(io("starting flush thread"))?;
        *store.flusher.lock() = Some(handle);
        let weak = Arc::downgrade(&store);
        std::thread::Builder::new()
            .name("store-append".into())
            .spawn(move || append::append_loop(&weak, &jobs))
            .map_err(io("starting append thread"))?;
        let weak = Arc::downgrade(&store);
        std::thread::Builder::new()
            .name("store-warm".into())
            .spawn(move || flush::warm_loop(&weak))
            .map_err(io("starting warm thread"))?;
        Ok(store)
    }

    fn cq_dir(&self, topic: &str, queue_id: i32) -> PathBuf {
        self.config.root.join("consumequeue").join(topic).join(queue_id.to_string())
    }

    /// Recovery: scan the commit log from the checkpoint's safe point (CRC-checked after a
    /// crash) to its valid end, cut the torn tail, re-dispatch what consume queues and the index
    /// miss, and drop queue units past the end.
    fn recover(&self, crashed: bool) -> Result<(), StoreError> {
        let started = Instant::now();
        let cp = crate::checkpoint::Checkpoint::load(&self.config.root);
        let from = self.log.recovery_start(cp.safe_timestamp());
        let cq_root = self.config.root.join("consumequeue");
        if let Ok(topics) = std::fs::read_dir(&cq_root) {
            for t in topics.filter_map(Result::ok) {
                let topic = t.file_name().to_string_lossy().into_owned();
                let Ok(qs) = std::fs::read_dir(t.path()) else { continue };
                for q in qs.filter_map(Result::ok) {
                    let Ok(qid) = q.file_name().to_string_lossy().parse::<i32>() else { continue };
                    let cq = ConsumeQueue::open(&q.path(), self.config.cq_units_per_file, i64::MAX)
                        .map_err(io(format!("opening consume queue {topic}/{qid}")))?;
                    self.queues.write().entry(topic.clone()).or_default().insert(qid, Arc::new(cq));
                }
            }
        }
        // Entries from the scan start on are re-added as the scan visits their records.
        self.index.truncate_from(i64::try_from(from).unwrap_or(0));
        self.last_store_timestamp.store(u64::try_from(cp.physic_msg_timestamp).unwrap_or(0), Ordering::Relaxed);
        self.flushed_store_ts.store(u64::try_from(cp.physic_msg_timestamp).unwrap_or(0), Ordering::Relaxed);
        let mut redispatched = 0u64;
        let mut scanned = 0u64;
        let mut failure = None;
        let end = self.log.recover(from, crashed, |phy, m| {
            scanned += 1;
            match self.redispatch(phy, m) {
                Ok(true) => redispatched += 1,
                Ok(false) => {}
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        });
        if let Some(e) = failure {
            return Err(io("re-dispatching the commit log")(e));
        }
        self.flushed_store_ts.store(self.last_store_timestamp.load(Ordering::Acquire), Ordering::Release);
        let log_end = i64::try_from(end.end).unwrap_or(0);
        let log_min = i64::try_from(self.log.min_offset()).unwrap_or(0);
        for q in self.queues.read().values().flat_map(|m| m.values()) {
            q.truncate_to_log_end(log_end);
            q.correct_min(log_min);
        }
        *self.writer.lock() = end.end;
        self.max_phy.store(end.end, Ordering::Release);
        self.flushed.store(end.end, Ordering::Release);
        self.replica_dispatched.store(end.end, Ordering::Release);
        *self.recovery.lock() = RecoveryStats { from, end: end.end, scanned, redispatched, dropped: end.dropped };
        tracing::info!(
            from,
            end = end.end,
            dropped_bytes = end.dropped,
            scanned,
            redispatched,
            crashed,
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(0),
            "store recovered"
        );
        if end.dropped > 0 {
            tracing::warn!(
                dropped_bytes = end.dropped,
                at = end.end,
                "recovery dropped a torn or corrupt commit-log tail"
            );
        }
        Ok(())
    }

    /// Dispatches one record found by recovery: its consume-queue unit when the queue lacks it
    /// (true), and its index keys.
    fn redispatch(&self, phy: u64, m: &rmq_common::message::MessageExt) -> std::io::Result<bool> {
        let phy = i64::try_from(phy).unwrap_or(0);
        self.last_store_timestamp.fetch_max(u64::try_from(m.store_timestamp).unwrap_or(0), Ordering::Relaxed);
        let tx = sysflag::transaction_type(m.sys_flag);
        if tx == sysflag::TRANSACTION_ROLLBACK {
            return Ok(false);
        }
        self.index_message(&m.topic, &m.properties, phy, m.store_timestamp);
        if tx == sysflag::TRANSACTION_PREPARED {
            return Ok(false);
        }
        let cq = self.queue_or_create(&m.topic, m.queue_id)?;
        if m.queue_offset < cq.max_offset() {
            return Ok(false);
        }
        let unit = CqUnit {
            phy_offset: phy,
            size: i32::try_from(m.store_size).unwrap_or(i32::MAX),
            tag_code: tag_code_of(&m.topic, &m.properties, m.store_timestamp),
        };
        cq.put(m.queue_offset, unit)?;
        Ok(true)
    }

    fn queue_or_create(&self, topic: &str, queue_id: i32) -> std::io::Result<Arc<ConsumeQueue>> {
        if let Some(q) = self.queues.read().get(topic).and_then(|m| m.get(&queue_id)) {
            return Ok(Arc::clone(q));
        }
        let mut queues = self.queues.write();
        let m = queues.entry(topic.to_owned()).or_default();
        if let Some(q) = m.get(&queue_id) {
            return Ok(Arc::clone(q));
        }
        let cq = Arc::new(ConsumeQueue::open(&self.cq_dir(topic, queue_id), self.config.cq_units_per_file, i64::MAX)?);
        m.insert(queue_id, Arc::clone(&cq));
        Ok(cq)
    }

    fn queue(&self, topic: &str, queue_id: i32) -> Option<Arc<ConsumeQueue>> {
        self.queues.read().get(topic).and_then(|m| m.get(&queue_id)).cloned()
    }

    fn index_message(&self, topic: &str, props: &[(String, String)], phy: i64, ts: i64) {
        if !self.config.index_enable {
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
        if let Err(e) = self.index.put(&keys, phy, ts) {
            tracing::error!(cause = %e, "writing the index failed");
        }
    }

    /// Sets the listener told of every dispatched message (long-poll wake-ups).
    pub fn set_arrival_listener(&self, listener: ArrivalListener) {
        *self.listener.write() = Some(listener);
    }

    /// Stores one message.
    pub async fn put_message(&self, msg: StoreMessage) -> PutMessageResult {
        self.put_messages(vec![msg]).await
    }

    /// Stores messages with consecutive queue offsets (a batch shares topic and queue).
    pub async fn put_messages(&self, msgs: Vec<StoreMessage>) -> PutMessageResult {
        if self.shutting_down.load(Ordering::Acquire) {
            return PutMessageResult::refused(PutStatus::ServiceNotAvailable, "message store is shutting down");
        }
        if let Some(reason) = self.disk_full() {
            return PutMessageResult::refused(PutStatus::ServiceNotAvailable, reason);
        }
        let put_started = Instant::now();
        // A batch is encoded and appended on the store's append thread (as RocketMQ's send
        // thread): a burst of batch sends then costs the async workers a hand-off each, not the
        // CPU work, so the other tasks on them (pulls above all) do not queue behind it. A single
        // small message is appended in place: its work is smaller than the hand-off.
        let appended = if msgs.len() == 1 && msgs[0].body.len() <= INLINE_APPEND_MAX_BODY {
            self.append_now(&msgs)
        } else {
            let (reply, replied) = oneshot::channel();
            let sent = self.appender.send(append::AppendJob { msgs, reply }).is_ok();
            match replied.await {
                Ok(appended) if sent => appended,
                _ => {
                    return PutMessageResult::refused(
                        PutStatus::ServiceNotAvailable,
                        "the store's append thread is gone",
                    )
                }
            }
        };
        let (mut result, arrivals, count) = match appended {
            Ok(v) => v,
            Err(refused) => return refused,
        };
        self.put_total.fetch_add(count as u64, Ordering::Relaxed);
        if let Some(listener) = self.listener.read().clone() {
            for (t, q, o) in &arrivals {
                listener(t, *q, *o);
            }
        }
        if self.config.flush_mode == FlushMode::Sync {
            let end = u64::try_from(result.end_offset).unwrap_or(0);
            if !self.wait_flushed(end).await {
                result.status = PutStatus::FlushDiskTimeout;
            }
        }
        self.put_latency.record(put_started.elapsed());
        result
    }

    async fn wait_flushed(&self, end: u64) -> bool {
        if self.flushed.load(Ordering::Acquire) >= end {
            return true;
        }
        let (tx, rx) = oneshot::channel();
        self.flush_waiters.lock().push((end, tx));
        self.wake_flusher();
        matches!(tokio::time::timeout(self.config.sync_flush_timeout, rx).await, Ok(Ok(())))
    }

    /// Keeps time-based retention from deleting commit-log files at or after `floor` (None
    /// lifts the floor). Disk-pressure deletion ignores it.
    pub fn set_retention_floor(&self, floor: Option<i64>) {
        let v = floor.and_then(|f| u64::try_from(f).ok()).unwrap_or(u64::MAX);
        self.retention_floor.store(v, Ordering::Release);
    }

    /// What recovery did when the store was opened.
    #[must_use]
    pub fn recovery_stats(&self) -> RecoveryStats {
        *self.recovery.lock()
    }

    /// The checkpoint as last written.
    #[must_use]
    pub fn checkpoint(&self) -> crate::checkpoint::Checkpoint {
        crate::checkpoint::Checkpoint::load(&self.config.root)
    }

    /// Flushes everything, removes the abort file and refuses further puts.
    pub fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
        self.wake_flusher();
        if let Some(h) = self.flusher.lock().take() {
            let _ = h.join();
        }
        let _w = self.writer.lock();
        self.flush_commit_log(0);
        self.flush_queues(true);
        let _ = std::fs::remove_file(self.config.root.join("abort"));
        tracing::info!("message store shut down cleanly");
    }

    /// Retention: deletes commit log files older than fileReservedTime at a deleteWhen hour,
    /// or the oldest ones at once while the disk is above diskMaxUsedSpaceRatio; consume queue
    /// units that pointed into them go too. `now` is passed in so tests can move the clock.
    pub fn delete_expired_files(&self, now: std::time::SystemTime) -> Option<u64> {
        let hour = u32::try_from(now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()) / 3600 % 24)
            .unwrap_or(0);
        let due = self.config.delete_when.contains(&hour);
        let permille = self.disk_used_permille.load(Ordering::Relaxed);
        let pressure = permille > u64::from(self.config.disk_max_used_ratio) * 10;
        if !due && !pressure {
            return None;
        }
        let reserved = self.config.file_reserved_time;
        let mut write_pos = self.max_phy.load(Ordering::Acquire);
        if !pressure {
            // Expiry never removes records still referenced; disk pressure does.
            write_pos = write_pos.min(self.retention_floor.load(Ordering::Acquire));
        }
        let min = self.log.delete_oldest(write_pos, pressure, |modified| {
            now.duration_since(modified).is_ok_and(|age| age > reserved)
        })?;
        let log_min = i64::try_from(min).unwrap_or(0);
        let queues: Vec<Arc<ConsumeQueue>> = self.queues.read().values().flat_map(|m| m.values().cloned()).collect();
        for q in queues {
            q.correct_min(log_min);
        }
        self.index.delete_before(log_min);
        tracing::info!(min_offset = min, pressure, "expired commit log files deleted");
        Some(min)
    }

    fn disk_full(&self) -> Option<String> {
        let permille = self.disk_used_permille.load(Ordering::Relaxed);
        (permille > u64::from(self.config.disk_full_ratio) * 10).then(|| {
            format!(
                "disk is full: {}.{}% used, the limit is {}%",
                permille / 10,
                permille % 10,
                self.config.disk_full_ratio
            )
        })
    }
}

fn tag_code_of(topic: &str, props: &[(String, String)], store_ts: i64) -> i64 {
    if topic == rmq_common::topic::SCHEDULE {
        // Delivery time is recomputed by the broker's schedule service from the level.
        return store_ts;
    }
    rmq_common::hash::tag_code(property::get(props, property::TAGS))
}

mod append;
mod flush;
mod read;
mod readahead;
mod replica;
