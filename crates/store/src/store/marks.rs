//! `Marks`: how far the commit log is written, flushed and dispatched in time, shared by the
//! writer (raises them), the flusher (follows them) and readers.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::offset::{AtomicPhy, PhyOffset};

/// The commit log's positions and the store times that go with them.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    /// End of the commit log (next append offset), published after each append.
    end: AtomicPhy,
    /// Bytes below this are on disk.
    flushed: AtomicPhy,
    /// Store time of the newest message appended and dispatched.
    last_store_ts: AtomicI64,
    /// Store time of the newest message known to be flushed (for the checkpoint).
    flushed_store_ts: AtomicI64,
}

impl Marks {
    /// The published end of the commit log.
    pub(crate) fn end(&self) -> PhyOffset {
        self.end.load()
    }

    /// Publishes a new end (the writer, under its lock).
    pub(crate) fn set_end(&self, end: PhyOffset) {
        self.end.store(end);
    }

    /// Bytes below this are on disk.
    pub(crate) fn flushed(&self) -> PhyOffset {
        self.flushed.load()
    }

    /// Records a flush up to `to`.
    pub(crate) fn set_flushed(&self, to: PhyOffset) {
        self.flushed.store(to);
    }

    /// Everything at and after `at` is gone (truncation): the flush position follows.
    pub(crate) fn cut(&self, at: PhyOffset) {
        self.end.store(at);
        self.flushed.lower_to(at);
    }

    /// After recovery: the log ends (and is on disk) at `end`; the newest message was stored
    /// at `store_ts`.
    pub(crate) fn recovered(&self, end: PhyOffset, store_ts: i64) {
        self.end.store(end);
        self.flushed.store(end);
        self.last_store_ts.store(store_ts, Ordering::Release);
        self.flushed_store_ts.store(store_ts, Ordering::Release);
    }

    /// A message stored at `ts` was appended and dispatched.
    pub(crate) fn stored_at(&self, ts: i64) {
        self.last_store_ts.fetch_max(ts, Ordering::AcqRel);
    }

    /// Store time of the newest message appended and dispatched.
    pub(crate) fn last_store_ts(&self) -> i64 {
        self.last_store_ts.load(Ordering::Acquire)
    }

    /// Every message stored at or before `ts` is on disk.
    pub(crate) fn flushed_up_to_ts(&self, ts: i64) {
        self.flushed_store_ts.fetch_max(ts, Ordering::AcqRel);
    }

    /// Store time of the newest message known to be on disk.
    pub(crate) fn flushed_store_ts(&self) -> i64 {
        self.flushed_store_ts.load(Ordering::Acquire)
    }
}
