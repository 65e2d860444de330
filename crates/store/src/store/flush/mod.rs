//! `Flusher`: the flusher thread's work (commit log to disk, then consume queues, index and
//! checkpoint through [`logics::Logics`]), the SYNC_FLUSH wait, and the release of mapped
//! pages behind the flush position.

pub(crate) mod logics;
pub(crate) mod signal;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use self::logics::Logics;
use self::signal::FlushSignal;
use super::marks::Marks;
use crate::commit_log::CommitLog;
use crate::config::{FlushConfig, FlushMode};
use crate::metrics::StoreMetrics;
use crate::offset::{AtomicPhy, PhyOffset};

/// Bytes behind the flush position that stay mapped in: the tail that tailing consumers, the
/// dispatcher and slaves read. Older commit-log pages are released from the resident set (they
/// stay in the page cache; a lagging reader faults them back in).
const RESIDENT_BEHIND: u64 = 64 * 1024 * 1024;
/// Pages are released in steps of at least this many bytes (one madvise per step).
const RELEASE_STEP: u64 = 16 * 1024 * 1024;
/// Bytes per page counted by `least_pages`.
const PAGE: u64 = 4096;

/// Flushes the commit log and what depends on it.
#[derive(Debug)]
pub(crate) struct Flusher {
    log: Arc<CommitLog>,
    marks: Arc<Marks>,
    signal: Arc<FlushSignal>,
    cfg: FlushConfig,
    /// The async flush interval, ms (`flushIntervalCommitLog`, changed at run time).
    interval_ms: std::sync::atomic::AtomicU64,
    /// Commit-log bytes below this are released from the resident set.
    released: AtomicPhy,
    metrics: Arc<StoreMetrics>,
    logics: Logics,
    stop: Arc<AtomicBool>,
}

/// What a flusher is built from.
pub(crate) struct FlusherParts {
    pub(crate) log: Arc<CommitLog>,
    pub(crate) marks: Arc<Marks>,
    pub(crate) signal: Arc<FlushSignal>,
    pub(crate) metrics: Arc<StoreMetrics>,
    pub(crate) logics: Logics,
    pub(crate) stop: Arc<AtomicBool>,
}

impl Flusher {
    pub(crate) fn new(p: FlusherParts, cfg: FlushConfig) -> Self {
        let released = AtomicPhy::new(PhyOffset::ZERO);
        let FlusherParts { log, marks, signal, metrics, logics, stop } = p;
        let interval_ms = u64::try_from(cfg.interval.as_millis()).unwrap_or(u64::MAX).into();
        Self { log, marks, signal, cfg, interval_ms, released, metrics, logics, stop }
    }

    /// Changes the async flush interval (runtime config).
    pub(crate) fn set_interval(&self, interval: std::time::Duration) {
        let ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX).max(1);
        self.interval_ms.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// Wakes the flusher thread.
    pub(crate) fn wake(&self) {
        self.signal.wake();
    }

    /// Bytes of the commit log below this are on disk.
    pub(crate) fn flushed(&self) -> PhyOffset {
        self.marks.flushed()
    }

    /// Whether a put waits for its flush.
    pub(crate) fn is_sync(&self) -> bool {
        self.cfg.mode == FlushMode::Sync
    }

    /// Waits (up to the sync flush timeout) until the commit log is on disk up to `end`; false
    /// on timeout.
    pub(crate) async fn wait_flushed(&self, end: PhyOffset) -> bool {
        if self.marks.flushed() >= end {
            return true;
        }
        let rx = self.signal.wait_for(end);
        matches!(tokio::time::timeout(self.cfg.sync_timeout, rx).await, Ok(Ok(())))
    }

    /// The flusher thread: flushes until stopped (then once more, everything), running
    /// `housekeeping(stopping)` once a second after the queues are flushed.
    pub(crate) fn run(&self, housekeeping: impl Fn(bool)) {
        let mut last_logics = Instant::now();
        let mut last_thorough = Instant::now();
        loop {
            self.signal.wait(match self.cfg.mode {
                FlushMode::Sync => Duration::from_millis(10),
                FlushMode::Async => {
                    std::time::Duration::from_millis(self.interval_ms.load(std::sync::atomic::Ordering::Relaxed))
                }
            });
            let stopping = self.stop.load(Ordering::Acquire);
            let thorough = stopping || self.is_sync() || last_thorough.elapsed() >= self.cfg.thorough_interval;
            let least = if thorough { 0 } else { u64::from(self.cfg.least_pages) * PAGE };
            if self.flush_commit_log(least) {
                last_thorough = Instant::now();
            }
            if stopping || last_logics.elapsed() >= Duration::from_secs(1) {
                self.sweep_released();
                self.logics.flush(stopping);
                housekeeping(stopping);
                last_logics = Instant::now();
            }
            if stopping {
                break;
            }
        }
    }

    /// Flushes everything now (shutdown, under the writer lock).
    pub(crate) fn flush_all(&self) {
        self.flush_commit_log(0);
        self.logics.flush(true);
    }

    /// Flushes the commit log when at least `least` bytes are unflushed; true when everything
    /// written is now on disk.
    fn flush_commit_log(&self, least: u64) -> bool {
        // Read the store time first: every message stored at or before it lies below `target`.
        let ts = self.marks.last_store_ts();
        let target = self.marks.end();
        let from = self.marks.flushed();
        if target > from && target.since(from) < least {
            return false;
        }
        if target > from {
            let started = Instant::now();
            let flushed = self.log.flush(from, target);
            self.metrics.flush_latency.record(started.elapsed());
            if let Err(e) = flushed {
                tracing::error!(cause = %e, "commit log flush failed");
                return false;
            }
            self.marks.set_flushed(target);
            self.release_behind(target);
        }
        self.marks.flushed_up_to_ts(ts);
        self.signal.flushed(self.marks.flushed());
        true
    }

    /// Releases the commit log's mapped pages more than [`RESIDENT_BEHIND`] bytes behind
    /// `flushed` (the flusher's thread only).
    fn release_behind(&self, flushed: PhyOffset) {
        let upto = flushed.minus(RESIDENT_BEHIND);
        let from = self.released.load();
        if upto < from.plus(RELEASE_STEP) {
            return;
        }
        if let Err(e) = self.log.release(from, upto) {
            tracing::warn!(cause = %e, "releasing mapped commit-log pages failed");
        }
        self.released.store(upto);
    }

    /// Releases again, once a second, the pages of the released range that lagging readers
    /// (a consumer far behind, a slave catching up) faulted back in.
    fn sweep_released(&self) {
        if let Err(e) = self.log.release(self.log.min_offset(), self.released.load()) {
            tracing::warn!(cause = %e, "releasing mapped commit-log pages failed");
        }
    }
}
