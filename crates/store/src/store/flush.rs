//! The flusher thread (commit log to disk, then consume queues, index and checkpoint), the
//! pre-warmer ahead of the writer, and the release of mapped pages behind the flush position.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::MessageStore;
use crate::config::FlushMode;
use crate::consume_queue::ConsumeQueue;

/// Bytes behind the flush position that stay mapped in: the tail that tailing consumers, the
/// dispatcher and slaves read. Older commit-log pages are released from the resident set (they
/// stay in the page cache; a lagging reader faults them back in).
const RESIDENT_BEHIND: u64 = 64 * 1024 * 1024;
/// Pages are released in steps of at least this many bytes (one madvise per step).
const RELEASE_STEP: u64 = 16 * 1024 * 1024;
/// How often the index is written to disk. Its hash slots take random writes, and each flush
/// write-protects every page it wrote, so the next write to each faults again: flushing every
/// second cost a fault per touched slot page per second. Recovery after a crash re-indexes the
/// log from the checkpoint's index time, at most this much older than the rest.
const INDEX_FLUSH_INTERVAL: Duration = Duration::from_secs(10);

impl MessageStore {
    pub(super) fn wake_flusher(&self) {
        *self.flush_signal_lock.lock() = true;
        self.flush_signal.notify_one();
    }

    pub(super) fn refresh_disk_usage(&self) {
        if let Some(r) = crate::mapped_file::disk_used_ratio(&self.config.commit_log_path()) {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            self.disk_used_permille.store((r * 1000.0) as u64, Ordering::Relaxed);
        }
    }

    pub(super) fn flush_loop(self: Arc<Self>) {
        let mut last_cq_flush = Instant::now();
        let mut last_thorough = Instant::now();
        self.refresh_disk_usage();
        loop {
            {
                let mut signalled = self.flush_signal_lock.lock();
                if !*signalled {
                    let wait = match self.config.flush_mode {
                        FlushMode::Sync => Duration::from_millis(10),
                        FlushMode::Async => self.config.flush_interval,
                    };
                    self.flush_signal.wait_for(&mut signalled, wait);
                }
                *signalled = false;
            }
            let stopping = self.shutting_down.load(Ordering::Acquire);
            let least = if stopping
                || self.config.flush_mode == FlushMode::Sync
                || last_thorough.elapsed() >= self.config.flush_thorough_interval
            {
                0
            } else {
                u64::from(self.config.flush_least_pages) * 4096
            };
            if self.flush_commit_log(least) {
                last_thorough = Instant::now();
            }
            if stopping || last_cq_flush.elapsed() >= Duration::from_secs(1) {
                self.sweep_released();
                self.flush_queues(stopping);
                self.refresh_disk_usage();
                last_cq_flush = Instant::now();
                if !stopping {
                    self.delete_expired_files(std::time::SystemTime::now());
                }
            }
            if stopping {
                break;
            }
        }
    }

    /// Flushes the commit log when at least `least` bytes are unflushed; true when everything
    /// written is now on disk.
    pub(super) fn flush_commit_log(&self, least: u64) -> bool {
        // Read the store time first: every message stored at or before it lies below `target`.
        let ts = self.last_store_timestamp.load(Ordering::Acquire);
        let target = self.max_phy.load(Ordering::Acquire);
        let from = self.flushed.load(Ordering::Acquire);
        if target > from && target - from < least {
            return false;
        }
        if target > from {
            let started = Instant::now();
            let flushed = self.log.flush(from, target);
            self.flush_latency.record(started.elapsed());
            if let Err(e) = flushed {
                tracing::error!(cause = %e, "commit log flush failed");
                return false;
            }
            self.flushed.store(target, Ordering::Release);
            self.release_behind(target);
        }
        self.flushed_store_ts.fetch_max(ts, Ordering::AcqRel);
        self.notify_flushed();
        true
    }

    fn notify_flushed(&self) {
        let flushed = self.flushed.load(Ordering::Acquire);
        let mut waiters = self.flush_waiters.lock();
        let mut i = 0;
        while i < waiters.len() {
            if waiters[i].0 <= flushed {
                let (_, tx) = waiters.swap_remove(i);
                let _ = tx.send(());
            } else {
                i += 1;
            }
        }
    }

    /// Flushes the consume queues, the index (every [`INDEX_FLUSH_INTERVAL`], or now when
    /// `all`) and writes the checkpoint that says up to when each is on disk.
    pub(super) fn flush_queues(&self, all: bool) {
        // Every message stored at or before `ts` is dispatched (under the append lock).
        let ts = i64::try_from(self.last_store_timestamp.load(Ordering::Acquire)).unwrap_or(0);
        let physic = i64::try_from(self.flushed_store_ts.load(Ordering::Acquire)).unwrap_or(0);
        let queues: Vec<Arc<ConsumeQueue>> = self.queues.read().values().flat_map(|m| m.values().cloned()).collect();
        for q in queues {
            if let Err(e) = q.flush() {
                tracing::error!(cause = %e, "consume queue flush failed");
                return;
            }
        }
        let index_ts = {
            let mut last = self.index_flushed.lock();
            if all || last.0.is_none_or(|at| at.elapsed() >= INDEX_FLUSH_INTERVAL) {
                if let Err(e) = self.index.flush() {
                    tracing::error!(cause = %e, "index flush failed");
                    return;
                }
                *last = (Some(Instant::now()), ts);
            }
            last.1
        };
        let cp = crate::checkpoint::Checkpoint {
            physic_msg_timestamp: physic,
            logics_msg_timestamp: ts,
            index_msg_timestamp: index_ts,
        };
        let mut last = self.checkpointed.lock();
        if *last == Some(cp) {
            return;
        }
        match cp.store(&self.config.root) {
            Ok(()) => *last = Some(cp),
            Err(e) => tracing::error!(cause = %e, "writing the checkpoint failed"),
        }
    }

    /// Releases the commit log's mapped pages more than [`RESIDENT_BEHIND`] bytes behind
    /// `flushed` (the flusher's thread only).
    fn release_behind(&self, flushed: u64) {
        let upto = flushed.saturating_sub(RESIDENT_BEHIND);
        let from = self.released.load(Ordering::Acquire);
        if upto < from + RELEASE_STEP {
            return;
        }
        if let Err(e) = self.log.release(from, upto) {
            tracing::warn!(cause = %e, "releasing mapped commit-log pages failed");
        }
        self.released.store(upto, Ordering::Release);
    }

    /// Releases again, once a second, the pages of the released range that lagging readers
    /// (a consumer far behind, a slave catching up) faulted back in.
    fn sweep_released(&self) {
        let upto = self.released.load(Ordering::Acquire);
        if let Err(e) = self.log.release(self.log.min_offset(), upto) {
            tracing::warn!(cause = %e, "releasing mapped commit-log pages failed");
        }
    }
}

/// How far ahead of the append position the commit log is kept allocated and paged in.
const WARM_AHEAD: u64 = 64 * 1024 * 1024;

/// Keeps the commit log pre-created and paged in ahead of the writer, until the store is gone.
pub(super) fn warm_loop(store: &std::sync::Weak<MessageStore>) {
    let mut warmed = 0u64;
    loop {
        let Some(s) = store.upgrade() else { return };
        if s.shutting_down.load(Ordering::Acquire) {
            return;
        }
        let pos = s.max_phy.load(Ordering::Acquire);
        let target = pos + WARM_AHEAD.min(s.log.file_size());
        if warmed < pos {
            warmed = pos;
        }
        if warmed < target {
            match s.log.warm(warmed, target) {
                Ok(w) => warmed = w,
                Err(e) => tracing::warn!(cause = %e, "pre-allocating the commit log failed"),
            }
        }
        drop(s);
        std::thread::sleep(Duration::from_millis(20));
    }
}
