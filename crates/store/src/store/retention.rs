//! `Retention`: deletes expired commit-log files (and what points into them) at the configured
//! hours, or the oldest at once under disk pressure.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::disk::DiskGuard;
use super::marks::Marks;
use super::queues::QueueTable;
use crate::commit_log::CommitLog;
use crate::config::RetentionConfig;
use crate::index::IndexService;
use crate::offset::{AtomicPhy, PhyOffset};

/// Deletes old commit-log files.
#[derive(Debug)]
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
    policy: parking_lot::RwLock<(Duration, Vec<u32>)>,
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
        let policy = parking_lot::RwLock::new((cfg.file_reserved_time, cfg.delete_when.clone()));
        Self { log, queues, index, marks, disk, floor, policy }
    }

    /// Replaces the reserved time and the delete hours (runtime config).
    pub(crate) fn set_policy(&self, file_reserved_time: Duration, delete_when: Vec<u32>) {
        *self.policy.write() = (file_reserved_time, delete_when);
    }

    /// Keeps time-based deletion from removing files at or after `floor` (`None` lifts it).
    pub(crate) fn set_floor(&self, floor: Option<PhyOffset>) {
        self.floor.store(floor.unwrap_or(PhyOffset::MAX));
    }

    /// Deletes commit log files older than the reserved time at a delete hour, or the oldest
    /// ones at once while the disk is under pressure; consume-queue units and index files that
    /// pointed into them go too. Returns the new min offset when files went.
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
        let mut write_pos = self.marks.end();
        if !pressure {
            // Expiry never removes records still referenced; disk pressure does.
            write_pos = write_pos.min(self.floor.load());
        }
        let min = self.log.delete_oldest(write_pos, pressure, |modified| {
            now.duration_since(modified).is_ok_and(|age| age > reserved)
        })?;
        self.queues.correct_min(min);
        self.index.delete_before(min.to_wire());
        tracing::info!(min_offset = min.get(), pressure, "expired commit log files deleted");
        Some(min)
    }
}
