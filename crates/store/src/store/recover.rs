//! Recovery: scan the commit log from the checkpoint's safe point (CRC-checked after a crash)
//! to its valid end, cut the torn tail, re-dispatch what consume queues and the index miss, and
//! drop queue units past the end.

use std::path::Path;
use std::time::Instant;

use super::dispatch::Dispatcher;
use super::marks::Marks;
use super::queues::QueueTable;
use crate::checkpoint::Checkpoint;
use crate::commit_log::CommitLog;
use crate::index::IndexService;

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

/// What recovery works on.
pub(crate) struct Recovery<'a> {
    pub(crate) log: &'a CommitLog,
    pub(crate) queues: &'a QueueTable,
    pub(crate) index: &'a IndexService,
    pub(crate) dispatch: &'a Dispatcher,
    pub(crate) marks: &'a Marks,
}

impl Recovery<'_> {
    /// Recovers the store under `root`; `crashed` when the last run did not shut down cleanly
    /// (records are then CRC-checked).
    pub(crate) fn run(&self, root: &Path, crashed: bool) -> std::io::Result<RecoveryStats> {
        let started = Instant::now();
        let cp = Checkpoint::load(root);
        let from = self.log.recovery_start(cp.safe_timestamp());
        // Entries from the scan start on are re-added as the scan visits their records.
        self.index.truncate_from(from.to_wire());
        let mut newest = cp.physic_msg_timestamp.max(0);
        let (mut scanned, mut redispatched) = (0u64, 0u64);
        let mut failure = None;
        let end = self.log.recover(from, crashed, |phy, m| {
            scanned += 1;
            newest = newest.max(m.store_timestamp);
            match self.dispatch.redispatch(phy, m) {
                Ok(Some(_)) => redispatched += 1,
                Ok(None) => {}
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        });
        if let Some(e) = failure {
            return Err(std::io::Error::new(e.kind(), format!("re-dispatching the commit log: {e}")));
        }
        self.marks.recovered(end.end, newest);
        self.queues.fit_to_log(self.log.min_offset(), end.end);
        let stats = RecoveryStats { from: from.get(), end: end.end.get(), scanned, redispatched, dropped: end.dropped };
        log_recovery(&stats, crashed, started);
        Ok(stats)
    }
}

fn log_recovery(s: &RecoveryStats, crashed: bool, started: Instant) {
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (from, end, scanned, redispatched) = (s.from, s.end, s.scanned, s.redispatched);
    tracing::info!(from, end, dropped_bytes = s.dropped, scanned, redispatched, crashed, elapsed_ms, "store recovered");
    if s.dropped > 0 {
        tracing::warn!(dropped_bytes = s.dropped, at = end, "recovery dropped a torn or corrupt commit-log tail");
    }
}
