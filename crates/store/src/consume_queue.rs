//! One consume queue: 20-byte units (commit-log offset i64, size i32, tag code i64) in mapped
//! files; the logical offset of a message is its unit index.

use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::file_queue::FileQueue;
use crate::mapped_file::Access;
use crate::offset::PhyOffset;

/// Bytes per unit.
pub const UNIT: usize = 20;
/// [`UNIT`] in the queue's byte-offset space.
const UNIT64: u64 = 20;

/// Byte position of logical offset `index` in the queue's files (`None` when negative).
fn unit_pos(index: i64) -> Option<u64> {
    u64::try_from(index).ok()?.checked_mul(UNIT64)
}

/// A unit of a consume queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CqUnit {
    /// Commit-log offset.
    pub phy_offset: i64,
    /// Record size.
    pub size: i32,
    /// Tag hash (or delivery time for delayed messages).
    pub tag_code: i64,
}

impl CqUnit {
    /// The filler unit for a gap at the start of a queue.
    pub const BLANK: Self = Self { phy_offset: 0, size: i32::MAX, tag_code: 0 };

    /// A unit for the record of `len` bytes at `phy`.
    #[must_use]
    pub fn new(phy: PhyOffset, len: usize, tag_code: i64) -> Self {
        Self { phy_offset: phy.to_wire(), size: i32::try_from(len).unwrap_or(i32::MAX), tag_code }
    }

    /// A filler unit for a gap at the start of a queue.
    #[must_use]
    pub fn is_blank(&self) -> bool {
        self.phy_offset == 0 && self.size == i32::MAX
    }

    /// Where its record lies and how long it is; `None` for a blank or corrupt unit.
    #[must_use]
    pub fn record(&self) -> Option<(PhyOffset, usize)> {
        if self.size == i32::MAX {
            return None;
        }
        let len = usize::try_from(self.size).ok().filter(|&l| l > 0)?;
        Some((PhyOffset::from_wire(self.phy_offset)?, len))
    }

    /// Whether its record ends past `log_end` (never for a blank unit).
    fn ends_past(&self, log_end: PhyOffset) -> bool {
        !self.is_blank() && self.phy_offset.saturating_add(i64::from(self.size)) > log_end.to_wire()
    }

    fn encode(self) -> [u8; UNIT] {
        let mut b = [0u8; UNIT];
        b[0..8].copy_from_slice(&self.phy_offset.to_be_bytes());
        b[8..12].copy_from_slice(&self.size.to_be_bytes());
        b[12..20].copy_from_slice(&self.tag_code.to_be_bytes());
        b
    }

    fn decode(b: &[u8]) -> Self {
        let mut p = [0u8; 8];
        p.copy_from_slice(&b[0..8]);
        let mut t = [0u8; 8];
        t.copy_from_slice(&b[12..20]);
        Self {
            phy_offset: i64::from_be_bytes(p),
            size: i32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            tag_code: i64::from_be_bytes(t),
        }
    }
}

/// A consume queue. Written only by the store's dispatcher (under its lock); read by anyone.
#[derive(Debug)]
pub struct ConsumeQueue {
    files: FileQueue,
    /// Units written (= max logical offset).
    max: AtomicI64,
    /// First logical offset still readable.
    min: AtomicI64,
    /// Bytes known to be on disk (flushed); a flush writes from here.
    flushed: AtomicU64,
}

impl ConsumeQueue {
    /// Opens the queue's files and finds its end: the first unit of size 0, or one pointing at
    /// or past `log_end` (units beyond the commit log are dropped).
    pub fn open(dir: &Path, units_per_file: usize, log_end: PhyOffset) -> std::io::Result<Self> {
        let files = FileQueue::open(dir, units_per_file * UNIT, Access::Scattered)?;
        let first_unit = i64::try_from(files.min_offset() / UNIT64).map_err(std::io::Error::other)?;
        let cq = Self {
            files,
            max: AtomicI64::new(first_unit),
            min: AtomicI64::new(first_unit),
            flushed: AtomicU64::new(0),
        };
        let mut idx = first_unit;
        loop {
            match cq.stored_unit(idx) {
                Some(u) if u.is_blank() || (u.size > 0 && !u.ends_past(log_end)) => idx += 1,
                _ => break,
            }
        }
        cq.max.store(idx, Ordering::Release);
        cq.truncate_units_from(idx);
        Ok(cq)
    }

    fn locate(&self, index: i64) -> Option<(std::sync::Arc<crate::mapped_file::AppendFile>, usize)> {
        self.files.locate(unit_pos(index)?)
    }

    /// The unit at logical offset `index`, if written.
    #[must_use]
    pub fn unit(&self, index: i64) -> Option<CqUnit> {
        if index >= self.max_offset() {
            return None; // not published: the writer may be writing it
        }
        self.stored_unit(index)
    }

    /// The unit stored at `index`, below the queue's max or not (opening reads past it).
    fn stored_unit(&self, index: i64) -> Option<CqUnit> {
        let (f, pos) = self.locate(index)?;
        f.with_published(pos, UNIT, |b| (b.len() == UNIT).then(|| CqUnit::decode(b)))
    }

    /// Units `[from, from + count)` that exist.
    #[must_use]
    pub fn units(&self, from: i64, count: usize) -> Vec<CqUnit> {
        let max = self.max_offset();
        let mut out = Vec::with_capacity(count.min(1024));
        let mut idx = from.max(self.min_offset());
        while idx < max && out.len() < count {
            let Some((f, pos)) = self.locate(idx) else { break };
            let in_file = (f.size() - pos) / UNIT;
            let n = in_file.min(count - out.len()).min(usize::try_from(max - idx).unwrap_or(0));
            f.with_published(pos, n * UNIT, |b| {
                for chunk in b.chunks_exact(UNIT) {
                    out.push(CqUnit::decode(chunk));
                }
            });
            match i64::try_from(n) {
                Ok(n) if n > 0 => idx += n,
                _ => break,
            }
        }
        out
    }

    /// Writes the unit for logical offset `index` (only the next one; earlier ones are kept).
    pub fn put(&self, index: i64, unit: CqUnit) -> std::io::Result<()> {
        let max = self.max_offset();
        if index < max {
            return Ok(());
        }
        // A gap (a queue whose first message does not start at 0) is filled with blank units.
        let mut idx = max;
        while idx < index {
            self.write_unit(idx, CqUnit::BLANK)?;
            idx += 1;
        }
        self.write_unit(index, unit)?;
        self.max.store(index + 1, Ordering::Release);
        Ok(())
    }

    fn write_unit(&self, index: i64, unit: CqUnit) -> std::io::Result<()> {
        let pos = unit_pos(index).ok_or_else(|| std::io::Error::other("negative queue offset"))?;
        let (f, at) = self.files.locate_for_write(pos)?;
        f.append_at(at, &unit.encode())?;
        Ok(())
    }

    fn truncate_units_from(&self, index: i64) {
        let pos = unit_pos(index).unwrap_or(0);
        self.flushed.fetch_min(pos, Ordering::AcqRel);
        if let Some((f, at)) = self.files.locate(pos) {
            // Consume-queue files never lend slices out, so this is never refused.
            if let Err(e) = f.truncate(at) {
                tracing::error!(cause = %e, "truncating a consume queue");
            }
        }
        self.files.drop_files_from(pos);
    }

    /// Drops trailing units that point at or past `log_end` (a commit-log tail cut by recovery).
    pub fn truncate_to_log_end(&self, log_end: PhyOffset) {
        let max = self.max_offset();
        let mut idx = max;
        while idx > self.min_offset() {
            match self.unit(idx - 1) {
                Some(u) if u.ends_past(log_end) => idx -= 1,
                _ => break,
            }
        }
        if idx < max {
            self.max.store(idx, Ordering::Release);
            self.truncate_units_from(idx);
        }
    }

    /// Next logical offset to be written.
    #[must_use]
    pub fn max_offset(&self) -> i64 {
        self.max.load(Ordering::Acquire)
    }

    /// First readable logical offset.
    #[must_use]
    pub fn min_offset(&self) -> i64 {
        self.min.load(Ordering::Acquire)
    }

    /// Moves the min offset past units pointing below `log_min` (deleted commit log), and
    /// deletes queue files that hold only such units.
    pub fn correct_min(&self, log_min: PhyOffset) -> (i64, i64) {
        let max = self.max_offset();
        let old = self.min_offset();
        let mut min = old;
        while min < max {
            match self.unit(min) {
                Some(u) if u.phy_offset < log_min.to_wire() || u.is_blank() => min += 1,
                _ => break,
            }
        }
        self.min.store(min, Ordering::Release);
        let first_kept = unit_pos(min).unwrap_or(0);
        while self.files.files().len() > 1 && self.files.files().get(1).is_some_and(|f| f.start() <= first_kept) {
            self.files.remove_first();
        }
        (old, min)
    }

    /// Flushes what was written since the last flush when that is at least `least` bytes
    /// (nothing, not even a disk cache flush, when less was; any amount when `least` is 0).
    pub fn flush(&self, least: u64) -> std::io::Result<()> {
        let end = unit_pos(self.max_offset()).unwrap_or(0);
        let from = self.flushed.load(Ordering::Acquire).max(self.files.min_offset());
        if end <= from || (end - from) < least {
            return Ok(());
        }
        self.files.flush(from, end)?;
        self.flushed.fetch_max(end, Ordering::AcqRel);
        Ok(())
    }

    /// Deletes the queue's files.
    pub fn destroy(&self) {
        self.files.destroy();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flush_waits_for_least_bytes_unless_asked_for_everything() {
        let dir = tempfile::tempdir().unwrap();
        let cq = ConsumeQueue::open(dir.path(), 1000, PhyOffset::ZERO).unwrap();
        let at = |i: i64| PhyOffset::from_wire(i * 100).expect("offset");
        for i in 0..10 {
            cq.put(i, CqUnit::new(at(i), 100, 0)).unwrap();
        }
        cq.flush(8192).unwrap();
        assert_eq!(cq.flushed.load(Ordering::Acquire), 0, "200 bytes are fewer than two pages");
        cq.flush(0).unwrap();
        assert_eq!(cq.flushed.load(Ordering::Acquire), 10 * UNIT64);
        for i in 10..500 {
            cq.put(i, CqUnit::new(at(i), 100, 0)).unwrap();
        }
        cq.flush(8192).unwrap();
        assert_eq!(cq.flushed.load(Ordering::Acquire), 500 * UNIT64, "9,800 bytes are two pages or more");
    }

    #[test]
    fn units_say_where_their_record_is_unless_blank_or_corrupt() {
        let at = PhyOffset::from_wire(4096).expect("offset");
        assert_eq!(CqUnit::new(at, 120, 7).record(), Some((at, 120)));
        assert_eq!(CqUnit::BLANK.record(), None);
        assert!(CqUnit::BLANK.is_blank());
        assert_eq!(CqUnit { phy_offset: -1, size: 10, tag_code: 0 }.record(), None);
        assert_eq!(CqUnit { phy_offset: 10, size: 0, tag_code: 0 }.record(), None);
        let u = CqUnit::new(at, 120, -3);
        assert_eq!(CqUnit::decode(&u.encode()), u);
    }
}
