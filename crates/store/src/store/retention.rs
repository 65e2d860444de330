//! `Retention`: deletes expired commit-log files (and what points into them) at the configured
//! hours, or the oldest at once under disk pressure.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::disk::DiskGuard;
use super::marks::Marks;
use parking_lot::RwLock;

use super::queues::{QueueCut, QueueTable};
use crate::commit_log::{CommitLog, DeletedLogFile};
use crate::config::RetentionConfig;
use crate::index::IndexService;
use crate::offset::{AtomicPhy, PhyOffset};

/// Deletes old commit-log files.
pub(crate) struct Retention {
    log: Arc<CommitLog>,
    queues: Arc<QueueTable>,
    index: Arc<IndexService>,
    marks: Arc<Marks>,
    disk: Arc<DiskGuard>,
    /// Commit-log offset time-based retention must keep (records still referenced elsewhere,
    /// such as pending timer messages); [`PhyOffset::MAX`] = none.
    floor: AtomicPhy,
    /// `fileReservedTime` and the `deleteWhen` hours; changed at run time.
    policy: RwLock<(Duration, Vec<u32>)>,
    listener: RwLock<Option<RetentionListener>>,
}

/// Told of each commit-log file retention deleted, with the units each queue lost.
pub type RetentionListener = Arc<dyn Fn(&DeletedLogFile, &[QueueCut]) + Send + Sync>;

impl std::fmt::Debug for Retention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retention").field("policy", &*self.policy.read()).finish_non_exhaustive()
    }
}

/// What retention works on.
pub(crate) struct RetentionParts {
    pub(crate) log: Arc<CommitLog>,
    pub(crate) queues: Arc<QueueTable>,
    pub(crate) index: Arc<IndexService>,
    pub(crate) marks: Arc<Marks>,
    pub(crate) disk: Arc<DiskGuard>,
}

impl Retention {
    pub(crate) fn new(p: RetentionParts, cfg: &RetentionConfig) -> Self {
        let RetentionParts { log, queues, index, marks, disk } = p;
        let floor = AtomicPhy::new(PhyOffset::MAX);
        let policy = RwLock::new((cfg.file_reserved_time, cfg.delete_when.clone()));
        let listener = RwLock::new(None);
        Self { log, queues, index, marks, disk, floor, policy, listener }
    }

    /// Replaces the reserved time and the delete hours (runtime config).
    pub(crate) fn set_policy(&self, file_reserved_time: Duration, delete_when: Vec<u32>) {
        *self.policy.write() = (file_reserved_time, delete_when);
    }

    /// Keeps time-based deletion from removing files at or after `floor` (`None` lifts it).
    pub(crate) fn set_floor(&self, floor: Option<PhyOffset>) {
        self.floor.store(floor.unwrap_or(PhyOffset::MAX));
    }

    /// Sets who is told of every file deleted (the broker warns about unconsumed messages).
    pub(crate) fn set_listener(&self, listener: RetentionListener) {
        *self.listener.write() = Some(listener);
    }

    /// Deletes commit log files older than the reserved time at a delete hour, or at once while
    /// the disk is above `disk_max_used_ratio`; past `clean_forcibly_ratio` (when allowed) the
    /// oldest file goes even if it has not expired. Consume-queue units and index files that
    /// pointed into deleted files go too, and the listener hears of each file with what each
    /// queue lost. Returns the new min offset when files went.
    pub(crate) fn delete_expired(&self, now: SystemTime) -> Option<PhyOffset> {
        let secs = now.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let hour = u32::try_from(secs / 3600 % 24).ok()?;
        let (reserved, due) = {
            let policy = self.policy.read();
            (policy.0, policy.1.contains(&hour))
        };
        let pressure = self.disk.under_pressure();
        if !due && !pressure {
            return None;
        }
        let force = self.disk.must_force();
        let mut write_pos = self.marks.end();
        if !force {
            // Expiry never removes records still referenced; forced deletion does.
            write_pos = write_pos.min(self.floor.load());
        }
        let expired = |modified: SystemTime| now.duration_since(modified).is_ok_and(|age| age > reserved);
        let mut min = None;
        // At most one file that has not expired per round, as RocketMQ.
        while let Some(file) = self.log.delete_first(write_pos, force && min.is_none(), expired) {
            min = Some(file.new_min);
            let cuts = self.queues.correct_min(file.new_min);
            self.index.delete_before(file.new_min.to_wire());
            if let Some(l) = self.listener.read().as_ref() {
                l(&file, &cuts);
            }
        }
        let min = min?;
        tracing::info!(min_offset = min.get(), pressure, force, "commit log files deleted");
        Some(min)
    }
}
