//! `Logics`: flushes the consume queues and the index, and writes the checkpoint that says up to
//! when each is on disk.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::checkpoint::Checkpoint;
use crate::index::IndexService;
use crate::store::marks::Marks;
use crate::store::queues::QueueTable;

/// How often the index is written to disk. Its hash slots take random writes, and each flush
/// write-protects every page it wrote, so the next write to each faults again: flushing every
/// second cost a fault per touched slot page per second. Recovery after a crash re-indexes the
/// log from the checkpoint's index time, at most this much older than the rest.
const INDEX_FLUSH_INTERVAL: Duration = Duration::from_secs(10);

/// When the index was last flushed, and the store time it covered then.
#[derive(Debug, Clone, Copy, Default)]
struct IndexFlushed {
    at: Option<Instant>,
    store_ts: i64,
}

/// Flushes what the dispatcher wrote, and the checkpoint.
#[derive(Debug)]
pub(crate) struct Logics {
    root: PathBuf,
    queues: Arc<QueueTable>,
    index: Arc<IndexService>,
    marks: Arc<Marks>,
    index_flushed: Mutex<IndexFlushed>,
    /// The checkpoint last written (the same is not written again).
    checkpointed: Mutex<Option<Checkpoint>>,
}

impl Logics {
    pub(crate) fn new(root: PathBuf, queues: Arc<QueueTable>, index: Arc<IndexService>, marks: Arc<Marks>) -> Self {
        let (index_flushed, checkpointed) = (Mutex::default(), Mutex::default());
        Self { root, queues, index, marks, index_flushed, checkpointed }
    }

    /// Flushes the consume queues, the index (every [`INDEX_FLUSH_INTERVAL`], or now when
    /// `all`) and writes the checkpoint.
    pub(crate) fn flush(&self, all: bool) {
        // Every message stored at or before `ts` is dispatched (under the writer lock).
        let ts = self.marks.last_store_ts();
        let physic = self.marks.flushed_store_ts();
        if let Err(e) = self.queues.flush() {
            tracing::error!(cause = %e, "consume queue flush failed");
            return;
        }
        let Some(index_ts) = self.flush_index(all, ts) else { return };
        let cp = Checkpoint { physic_msg_timestamp: physic, logics_msg_timestamp: ts, index_msg_timestamp: index_ts };
        let mut last = self.checkpointed.lock();
        if *last == Some(cp) {
            return;
        }
        match cp.store(&self.root) {
            Ok(()) => *last = Some(cp),
            Err(e) => tracing::error!(cause = %e, "writing the checkpoint failed"),
        }
    }

    /// Flushes the index when due; the store time it covers (`None` when the flush failed).
    fn flush_index(&self, all: bool, ts: i64) -> Option<i64> {
        let mut last = self.index_flushed.lock();
        if all || last.at.is_none_or(|at| at.elapsed() >= INDEX_FLUSH_INTERVAL) {
            if let Err(e) = self.index.flush() {
                tracing::error!(cause = %e, "index flush failed");
                return None;
            }
            *last = IndexFlushed { at: Some(Instant::now()), store_ts: ts };
        }
        Some(last.store_ts)
    }
}
