//! `Logics`: flushes the consume queues and the index, and writes the checkpoint that says up to
//! when each is on disk.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::checkpoint::Checkpoint;
use crate::config::FlushConfig;
use crate::index::IndexService;
use crate::store::marks::Marks;
use crate::store::queues::QueueTable;

/// How often the index is written to disk. Its hash slots take random writes, and each flush
/// write-protects every page it wrote, so the next write to each faults again: flushing every
/// second cost a fault per touched slot page per second. Recovery after a crash re-indexes the
/// log from the checkpoint's index time, at most this much older than the rest.
const INDEX_FLUSH_INTERVAL: Duration = Duration::from_secs(10);

/// When a file set was last flushed whole, and the store time it covered then.
#[derive(Debug, Clone, Copy, Default)]
struct Flushed {
    at: Option<Instant>,
    store_ts: i64,
}

impl Flushed {
    /// Whether a whole flush is due (`all`, never yet, or `interval` passed).
    fn due(&self, all: bool, interval: Duration) -> bool {
        all || self.at.is_none_or(|at| at.elapsed() >= interval)
    }
}

/// Flushes what the dispatcher wrote, and the checkpoint.
#[derive(Debug)]
pub(crate) struct Logics {
    root: PathBuf,
    queues: Arc<QueueTable>,
    index: Arc<IndexService>,
    marks: Arc<Marks>,
    index_flushed: Mutex<Flushed>,
    /// When every consume queue was last flushed (between those, a queue is flushed once it has
    /// `cq_least` unflushed bytes: with thousands of queues, each written a little, a flush of
    /// every one each second was thousands of small disk writes a second).
    queues_flushed: Mutex<Flushed>,
    cq_least: u64,
    cq_thorough: Duration,
    /// The checkpoint last written (the same is not written again).
    checkpointed: Mutex<Option<Checkpoint>>,
}

impl Logics {
    pub(crate) fn new(
        root: PathBuf,
        queues: Arc<QueueTable>,
        index: Arc<IndexService>,
        marks: Arc<Marks>,
        flush: &FlushConfig,
    ) -> Self {
        let (index_flushed, queues_flushed, checkpointed) = (Mutex::default(), Mutex::default(), Mutex::default());
        let cq_least = u64::from(flush.cq_least_pages) * super::PAGE;
        let cq_thorough = flush.cq_thorough_interval;
        Self { root, queues, index, marks, index_flushed, queues_flushed, cq_least, cq_thorough, checkpointed }
    }

    /// Flushes the consume queues (those with enough unflushed, every one when due or `all`),
    /// the index (every [`INDEX_FLUSH_INTERVAL`], or now when `all`) and writes the checkpoint:
    /// its logics and index times are those of the last whole flush of each.
    pub(crate) fn flush(&self, all: bool) {
        // Every message stored at or before `ts` is dispatched (under the writer lock).
        let ts = self.marks.last_store_ts();
        let physic = self.marks.flushed_store_ts();
        let Some(logics_ts) = self.flush_queues(all, ts) else { return };
        let Some(index_ts) = self.flush_index(all, ts) else { return };
        let cp =
            Checkpoint { physic_msg_timestamp: physic, logics_msg_timestamp: logics_ts, index_msg_timestamp: index_ts };
        let mut last = self.checkpointed.lock();
        if *last == Some(cp) {
            return;
        }
        match cp.store(&self.root) {
            Ok(()) => *last = Some(cp),
            Err(e) => tracing::error!(cause = %e, "writing the checkpoint failed"),
        }
    }

    /// Flushes the consume queues with at least `cq_least` unflushed bytes, or all of them when
    /// due; the store time the last whole flush covers (`None` when a flush failed).
    fn flush_queues(&self, all: bool, ts: i64) -> Option<i64> {
        let mut last = self.queues_flushed.lock();
        let whole = last.due(all, self.cq_thorough) || self.cq_least == 0;
        if let Err(e) = self.queues.flush(if whole { 0 } else { self.cq_least }) {
            tracing::error!(cause = %e, "consume queue flush failed");
            return None;
        }
        if whole {
            *last = Flushed { at: Some(Instant::now()), store_ts: ts };
        }
        Some(last.store_ts)
    }

    /// Flushes the index when due; the store time it covers (`None` when the flush failed).
    fn flush_index(&self, all: bool, ts: i64) -> Option<i64> {
        let mut last = self.index_flushed.lock();
        if last.due(all, INDEX_FLUSH_INTERVAL) {
            if let Err(e) = self.index.flush() {
                tracing::error!(cause = %e, "index flush failed");
                return None;
            }
            *last = Flushed { at: Some(Instant::now()), store_ts: ts };
        }
        Some(last.store_ts)
    }
}
