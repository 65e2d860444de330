//! The commit log: records appended back to back in mapped files; a record that does not fit
//! in the rest of a file is preceded by a blank record that fills the file
//! (docs/store-format.md has the byte layouts).

use std::path::Path;

use bytes::Bytes;
use rmq_common::message::{MessageExt, MAGIC_BLANK};

use crate::file_queue::FileQueue;
use crate::mapped_file::Access;
use crate::mapped_file::{AppendFile, Leased};
use crate::offset::PhyOffset;

/// Bytes of a record's head read to learn its size and kind: total size i32, magic i32.
const HEAD: usize = 8;

/// The commit log files.
#[derive(Debug)]
pub struct CommitLog {
    files: FileQueue,
}

/// What recovery found at the end of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveredEnd {
    /// Offset after the last valid record.
    pub end: PhyOffset,
    /// Bytes dropped after it (torn or corrupt tail).
    pub dropped: u64,
}

/// A record head: what the first 8 bytes at an offset say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// A blank record filling the rest of its file.
    Blank,
    /// A message record of this many bytes.
    Record(usize),
    /// Neither (zeros, a torn write, garbage).
    Invalid,
}

impl Head {
    /// Parses the 8 bytes at the start of a record.
    #[must_use]
    pub fn parse(b: &[u8]) -> Self {
        let word = |i: usize| b.get(i..i + 4).and_then(|s| <[u8; 4]>::try_from(s).ok()).map(i32::from_be_bytes);
        match (word(0), word(4)) {
            (Some(_), Some(MAGIC_BLANK)) => Self::Blank,
            (Some(total), Some(_)) => {
                usize::try_from(total).ok().filter(|&t| t >= HEAD).map_or(Self::Invalid, Self::Record)
            }
            _ => Self::Invalid,
        }
    }
}

impl CommitLog {
    /// Opens the files in `dir`.
    pub fn open(dir: &Path, file_size: usize) -> std::io::Result<Self> {
        Ok(Self { files: FileQueue::open(dir, file_size, Access::Sequential)? })
    }

    /// Size of each file.
    #[must_use]
    pub fn file_size(&self) -> u64 {
        self.files.file_size() as u64
    }

    /// First offset still on disk.
    #[must_use]
    pub fn min_offset(&self) -> PhyOffset {
        PhyOffset::new(self.files.min_offset()).unwrap_or(PhyOffset::MAX)
    }

    fn locate(&self, at: PhyOffset) -> Option<(std::sync::Arc<AppendFile>, usize)> {
        self.files.locate(at.get())
    }

    /// Appends `record` at `pos`; returns the record's offset and the new end. Writes a blank
    /// record and moves to the next file when the record (plus 8 bytes) does not fit.
    pub fn append(
        &self,
        pos: PhyOffset,
        record: &mut [u8],
        patch: impl FnOnce(&mut [u8], PhyOffset),
    ) -> std::io::Result<(PhyOffset, PhyOffset)> {
        let mut at = pos;
        let remaining = at.left_in_file(self.file_size());
        if (record.len() + HEAD) as u64 > remaining {
            if remaining >= HEAD as u64 {
                let mut blank = [0u8; HEAD];
                blank[0..4].copy_from_slice(&i32::try_from(remaining).unwrap_or(i32::MAX).to_be_bytes());
                blank[4..8].copy_from_slice(&MAGIC_BLANK.to_be_bytes());
                let (f, p) = self.files.locate_for_write(at.get())?;
                f.append_at(p, &blank)?;
            }
            at = at.plus(remaining);
        }
        patch(record, at);
        let (f, p) = self.files.locate_for_write(at.get())?;
        f.append_at(p, record)?;
        Ok((at, at.plus_len(record.len())))
    }

    /// The record at `offset` (size from its header), copied out, if it ends by `end` (the
    /// published end of the log).
    #[must_use]
    pub fn record_at(&self, offset: PhyOffset, end: PhyOffset) -> Option<Bytes> {
        let (f, pos) = self.locate(offset)?;
        let Head::Record(size) = f.with_published(pos, HEAD, Head::parse) else { return None };
        if offset.plus_len(size) > end {
            return None;
        }
        let data = f.read_published(pos, size);
        (data.len() == size).then(|| Bytes::from(data))
    }

    /// The record at `offset` when its size is known, without copying: a slice of the mapped
    /// file that keeps it mapped (even once retention deletes it) until the last clone drops.
    #[must_use]
    pub fn share(&self, offset: PhyOffset, size: usize) -> Option<Bytes> {
        let (f, pos) = self.locate(offset)?;
        f.share_published(pos, size)
    }

    /// The record at `offset` when its size is known (from a consume-queue unit).
    #[must_use]
    pub fn read(&self, offset: PhyOffset, size: usize) -> Option<Bytes> {
        let (f, pos) = self.locate(offset)?;
        let data = f.read_published(pos, size);
        (data.len() == size).then(|| Bytes::from(data))
    }

    /// Walks records from `from` (or the first file), calling `visit` for each valid one, and
    /// stops at the first invalid record (bad size, magic, CRC with `check_crc`, or a record
    /// whose stored offset is not where it lies). Zeroes what follows and drops later files.
    pub fn recover(
        &self,
        from: PhyOffset,
        check_crc: bool,
        mut visit: impl FnMut(PhyOffset, &MessageExt),
    ) -> RecoveredEnd {
        let size = self.file_size();
        let mut end = self.min_offset().max(from);
        let first = end;
        for f in self.files.files().iter().filter(|f| f.start() + size > first.get()) {
            if f.start() > end.get() {
                break;
            }
            match self.scan_file(f, end, check_crc, &mut visit) {
                Scan::NextFile(next) => end = next,
                Scan::End(at) => {
                    end = at;
                    break;
                }
            }
        }
        let dropped = self.cut(end);
        RecoveredEnd { end, dropped }
    }

    /// Visits the valid records of `f` from `at`.
    fn scan_file(
        &self,
        f: &AppendFile,
        mut at: PhyOffset,
        check_crc: bool,
        visit: &mut impl FnMut(PhyOffset, &MessageExt),
    ) -> Scan {
        let file_end = PhyOffset::new(f.start()).unwrap_or(PhyOffset::MAX).plus(self.file_size());
        loop {
            let Ok(pos) = usize::try_from(at.get() - f.start()) else { return Scan::End(at) };
            if pos + HEAD > f.size() {
                return Scan::NextFile(file_end);
            }
            let total = match f.with_published(pos, HEAD, Head::parse) {
                Head::Blank => return Scan::NextFile(file_end),
                Head::Record(total) if pos + total <= f.size() => total,
                _ => return Scan::End(at),
            };
            let decoded = f.with_published(pos, total, |b| MessageExt::decode_checked(b, check_crc));
            match decoded {
                Ok(m) if PhyOffset::from_wire(m.commit_log_offset) == Some(at) => {
                    visit(at, &m);
                    at = at.plus_len(total);
                }
                _ => return Scan::End(at),
            }
        }
    }

    /// Cuts the log at `end` after recovery: zeroes the torn tail, drops later files (empty
    /// pre-allocations, or what follows a corrupt record); returns the bytes of data dropped.
    fn cut(&self, end: PhyOffset) -> u64 {
        let mut dropped = 0;
        if let Some((f, pos)) = self.locate(end) {
            // Recovery runs before any read, so no slice of the file is lent out.
            match f.truncate(pos) {
                Ok(n) => dropped += n as u64,
                Err(e) => tracing::error!(cause = %e, "cutting the recovered commit log"),
            }
        }
        for f in self.files.files() {
            if f.start() > end.get() {
                dropped +=
                    f.with_published(0, f.size(), |b| b.iter().rposition(|x| *x != 0).map_or(0, |i| i + 1)) as u64;
            }
        }
        self.files.drop_files_from(end.get());
        dropped
    }

    /// Writes replicated bytes at `at` (within one file).
    pub fn write_raw(&self, at: PhyOffset, data: &[u8]) -> std::io::Result<()> {
        let (f, pos) = self.files.locate_for_write(at.get())?;
        if pos + data.len() > f.size() {
            return Err(std::io::Error::other("replicated data crosses a commit-log file end"));
        }
        Ok(f.append_at(pos, data)?)
    }

    /// Cuts the log at `at`: zeroes the rest of its file and drops later files. Refused,
    /// changing nothing, while a shared slice of the file holding `at` is in use (a pull
    /// response not yet written out); the caller tries again later.
    pub fn truncate(&self, at: PhyOffset) -> Result<(), Leased> {
        if let Some((f, pos)) = self.locate(at) {
            f.truncate(pos)?;
        }
        self.files.drop_files_from(at.get());
        Ok(())
    }

    /// Bytes `[from, from + max)`, clamped to `end` and to the end of `from`'s file.
    #[must_use]
    pub fn read_span(&self, from: PhyOffset, max: usize, end: PhyOffset) -> Option<Bytes> {
        let (f, pos) = self.locate(from)?;
        let to = from.plus_len(max).min(end).min(from.plus(from.left_in_file(self.file_size())));
        let len = usize::try_from(to.since(from)).ok().filter(|&l| l > 0)?;
        Some(Bytes::from(f.read_published(pos, len)))
    }

    /// Where recovery starts scanning: the newest file whose first record was stored at or
    /// before `safe_ts` (everything older is known to be dispatched and on disk), or the first
    /// file when no such file exists.
    #[must_use]
    pub fn recovery_start(&self, safe_ts: i64) -> PhyOffset {
        let first = self.min_offset();
        if safe_ts <= 0 {
            return first;
        }
        for f in self.files.files().iter().rev() {
            let Some(start) = PhyOffset::new(f.start()) else { continue };
            let ts = self
                .record_at(start, PhyOffset::MAX)
                .and_then(|r| MessageExt::decode_checked(&r, false).ok())
                .map(|m| m.store_timestamp);
            if ts.is_some_and(|ts| ts <= safe_ts) {
                return start;
            }
        }
        first
    }

    /// Whether most pages of `[from, to)` are not in the page cache (existing files only; an
    /// empty range counts as cached).
    #[must_use]
    pub fn mostly_uncached(&self, from: PhyOffset, to: PhyOffset) -> bool {
        let (mut cached, mut pages) = (0usize, 0usize);
        let _ = self.files.each_span(from.get(), to.get(), |f, a, b| {
            let (c, p) = f.cached_pages(a, b);
            cached += c;
            pages += p;
            Ok(())
        });
        cached * 2 < pages
    }

    /// Starts background read-ahead of `[from, to)` (clamped to existing files).
    pub fn will_need(&self, from: PhyOffset, to: PhyOffset) {
        let _ = self.files.each_span(from.get(), to.get(), |f, a, b| {
            f.will_need(a, b);
            Ok(())
        });
    }

    /// Pre-creates and pre-touches `[from, to)` (creating the files it spans); returns where
    /// warming stopped.
    pub fn warm(&self, from: PhyOffset, to: PhyOffset) -> std::io::Result<PhyOffset> {
        let mut pos = from;
        while pos < to {
            let (f, a) = self.files.locate_for_write(pos.get())?;
            let end = to.min(pos.plus(pos.left_in_file(self.file_size()))).min(pos.plus(4 * 1024 * 1024));
            let b = a + usize::try_from(end.since(pos)).map_err(std::io::Error::other)?;
            f.touch(a, b);
            pos = end;
        }
        Ok(pos)
    }

    /// Deletes the oldest file when it lies wholly before `write_pos` and `expired(modified)`
    /// holds or `force`; says which file went and the new min offset.
    pub fn delete_first(
        &self,
        write_pos: PhyOffset,
        force: bool,
        expired: impl Fn(std::time::SystemTime) -> bool,
    ) -> Option<DeletedLogFile> {
        let files = self.files.files();
        let first = files.first().filter(|_| files.len() >= 2)?;
        // Never the file being written, nor the pre-allocated ones after it.
        if first.start() + self.file_size() > write_pos.get() {
            return None;
        }
        let modified = std::fs::metadata(first.path()).and_then(|m| m.modified()).ok()?;
        let expired = expired(modified);
        if !force && !expired {
            return None;
        }
        let path = first.path().display().to_string();
        tracing::info!(file = %path, forced = !expired, "deleting commit log file");
        let new_min = self.files.remove_first().and_then(PhyOffset::new)?;
        Some(DeletedLogFile { path, forced: !expired, new_min })
    }

    /// Flushes `[from, to)`.
    pub fn flush(&self, from: PhyOffset, to: PhyOffset) -> std::io::Result<()> {
        self.files.flush(from.get(), to.get())
    }

    /// Releases the mapped pages of `[from, to)` from the resident set (data stays in the
    /// page cache and on disk).
    pub fn release(&self, from: PhyOffset, to: PhyOffset) -> std::io::Result<()> {
        self.files.release(from.get(), to.get())
    }

    /// Drops `[from, to)` from the page cache (the bytes stay on disk; see
    /// `MappedFile::evict`).
    pub fn evict(&self, from: PhyOffset, to: PhyOffset) -> std::io::Result<()> {
        self.files.evict(from.get(), to.get())
    }

    /// Bytes on disk.
    #[must_use]
    pub fn disk_size(&self) -> u64 {
        self.files.disk_size()
    }
}

/// How the scan of one file ended.
enum Scan {
    /// At the file's end (a blank record or no room for a head): go on at this offset.
    NextFile(PhyOffset),
    /// At an invalid record at this offset: the log ends there.
    End(PhyOffset),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_tell_records_blanks_and_garbage_apart() {
        let head = |total: i32, magic: i32| {
            let mut b = total.to_be_bytes().to_vec();
            b.extend_from_slice(&magic.to_be_bytes());
            Head::parse(&b)
        };
        assert_eq!(head(120, rmq_common::message::MAGIC_V1), Head::Record(120));
        assert_eq!(head(4096, MAGIC_BLANK), Head::Blank);
        assert_eq!(head(7, rmq_common::message::MAGIC_V1), Head::Invalid);
        assert_eq!(head(-5, rmq_common::message::MAGIC_V1), Head::Invalid);
        assert_eq!(Head::parse(&[0, 0, 0, 100]), Head::Invalid);
    }

    #[test]
    fn a_record_that_does_not_fit_goes_to_the_next_file_after_a_blank() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = CommitLog::open(dir.path(), 256).expect("open");
        let mut rec = vec![7u8; 200];
        let (at, end) = log.append(PhyOffset::ZERO, &mut rec, |_, _| {}).expect("append");
        assert_eq!((at.get(), end.get()), (0, 200));
        // 56 bytes left, a 100-byte record needs 108: a 56-byte blank, then the next file.
        let mut rec = vec![9u8; 100];
        let (at, end) =
            log.append(end, &mut rec, |r, at| r[0..8].copy_from_slice(&at.to_wire().to_be_bytes())).expect("append");
        assert_eq!((at.get(), end.get()), (256, 356));
        let blank = log.read_span(PhyOffset::ZERO.plus(200), 8, end).expect("blank head");
        assert_eq!(Head::parse(&blank), Head::Blank);
        assert_eq!(&blank[0..4], &56i32.to_be_bytes());
        assert_eq!(&log.read(at, 8).expect("record")[..], &256i64.to_be_bytes());
    }
}

/// A commit-log file retention deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedLogFile {
    /// Its path.
    pub path: String,
    /// Deleted before it expired (disk pressure).
    pub forced: bool,
    /// The commit log's min offset after it went.
    pub new_min: PhyOffset,
}
