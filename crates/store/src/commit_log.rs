//! The commit log: records appended back to back in mapped files; a record that does not fit
//! in the rest of a file is preceded by a blank record that fills the file.

use std::path::Path;

use bytes::Bytes;
use rmq_common::message::{MessageExt, MAGIC_BLANK};

use crate::file_queue::FileQueue;

/// The commit log files and the append position.
#[derive(Debug)]
pub struct CommitLog {
    files: FileQueue,
}

/// What recovery found at the end of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveredEnd {
    /// Offset after the last valid record.
    pub end: u64,
    /// Bytes dropped after it (torn or corrupt tail).
    pub dropped: u64,
}

impl CommitLog {
    /// Opens the files in `dir`.
    pub fn open(dir: &Path, file_size: usize) -> std::io::Result<Self> {
        Ok(Self { files: FileQueue::open(dir, file_size)? })
    }

    /// Size of each file.
    #[must_use]
    pub fn file_size(&self) -> u64 {
        self.files.file_size() as u64
    }

    /// First offset still on disk.
    #[must_use]
    pub fn min_offset(&self) -> u64 {
        self.files.min_offset()
    }

    /// Appends `record` at `pos`; returns the record's offset and the new end. Writes a blank
    /// record and moves to the next file when the record (plus 8 bytes) does not fit.
    pub fn append(
        &self,
        pos: u64,
        record: &mut [u8],
        patch: impl FnOnce(&mut [u8], u64),
    ) -> std::io::Result<(u64, u64)> {
        let size = self.file_size();
        let len = record.len() as u64;
        let mut at = pos;
        let used = at % size;
        if used + len + 8 > size {
            let remaining = size - used;
            if remaining >= 8 {
                let f = self.files.file_for_write(at)?;
                let mut blank = [0u8; 8];
                blank[0..4].copy_from_slice(&i32::try_from(remaining).unwrap_or(i32::MAX).to_be_bytes());
                blank[4..8].copy_from_slice(&MAGIC_BLANK.to_be_bytes());
                f.append(usize::try_from(used).unwrap_or(0), &blank);
            }
            at += remaining;
        }
        patch(record, at);
        let f = self.files.file_for_write(at)?;
        f.append(usize::try_from(at - f.start()).unwrap_or(0), record);
        Ok((at, at + len))
    }

    /// The record at `offset` (size from its header), copied out, if it ends by `end` (the
    /// published end of the log).
    #[must_use]
    pub fn record_at(&self, offset: u64, end: u64) -> Option<Bytes> {
        if offset.checked_add(8)? > end {
            return None;
        }
        let f = self.files.file_for(offset)?;
        let pos = usize::try_from(offset - f.start()).ok()?;
        let head = f.read_published(pos, 8);
        if head.len() < 8 {
            return None;
        }
        let size = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let magic = i32::from_be_bytes([head[4], head[5], head[6], head[7]]);
        if magic == MAGIC_BLANK || size <= 0 || offset + u64::try_from(size).ok()? > end {
            return None;
        }
        let data = f.read_published(pos, usize::try_from(size).ok()?);
        (data.len() == usize::try_from(size).ok()?).then(|| Bytes::from(data))
    }

    /// The record at `offset` when its size is known (from a consume-queue unit).
    #[must_use]
    pub fn read(&self, offset: u64, size: usize) -> Option<Bytes> {
        let f = self.files.file_for(offset)?;
        let pos = usize::try_from(offset - f.start()).ok()?;
        let data = f.read_published(pos, size);
        (data.len() == size).then(|| Bytes::from(data))
    }

    /// Walks records from the first file, calling `visit` for each valid one, and stops at the
    /// first invalid record (bad size, magic, CRC with `check_crc`). Zeroes what follows.
    pub fn recover(&self, from: u64, check_crc: bool, mut visit: impl FnMut(u64, &MessageExt)) -> RecoveredEnd {
        let size = self.file_size();
        let files = self.files.files();
        let mut end = files.first().map_or(0, |f| f.start()).max(from);
        let first = end;
        'files: for f in files.iter().filter(|f| f.start() + size > first) {
            if f.start() != end - end % size && f.start() > end {
                break;
            }
            let mut pos = usize::try_from(end.saturating_sub(f.start())).unwrap_or(0);
            loop {
                if pos + 8 > f.size() {
                    end = f.start() + size;
                    continue 'files;
                }
                let head = f.read(pos, 8);
                let total = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
                let magic = i32::from_be_bytes([head[4], head[5], head[6], head[7]]);
                if magic == MAGIC_BLANK {
                    end = f.start() + size;
                    continue 'files;
                }
                let Ok(total) = usize::try_from(total) else { break 'files };
                if total < 8 || pos + total > f.size() {
                    break 'files;
                }
                let decoded = f.with_slice(pos, total, |b| MessageExt::decode_checked(b, check_crc));
                match decoded {
                    Ok(m)
                        if m.commit_log_offset
                            == i64::try_from(f.start()).unwrap_or(0) + i64::try_from(pos).unwrap_or(0) =>
                    {
                        visit(f.start() + pos as u64, &m);
                        pos += total;
                        end = f.start() + pos as u64;
                    }
                    _ => break 'files,
                }
            }
        }
        // Zero the torn tail and drop later files.
        let mut dropped = 0;
        if let Some(f) = self.files.file_for(end) {
            let pos = usize::try_from(end - f.start()).unwrap_or(0);
            let tail = f.read(pos, f.size() - pos);
            let nonzero = tail.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
            dropped += nonzero as u64;
            if nonzero > 0 {
                f.zero_from(pos);
            }
        }
        // Files after the end are empty pre-allocations, or beyond a corrupt record.
        for f in self.files.files() {
            if f.start() > end {
                let size = usize::try_from(self.file_size()).unwrap_or(0);
                dropped += f.with_slice(0, size, |b| b.iter().rposition(|x| *x != 0).map_or(0, |i| i + 1)) as u64;
            }
        }
        self.files.drop_files_from(end);
        RecoveredEnd { end, dropped }
    }

    /// Writes replicated bytes at `at` (within one file).
    pub fn write_raw(&self, at: u64, data: &[u8]) -> std::io::Result<()> {
        let f = self.files.file_for_write(at)?;
        let pos = usize::try_from(at - f.start()).map_err(|_| std::io::Error::other("offset out of range"))?;
        if pos + data.len() > f.size() {
            return Err(std::io::Error::other("replicated data crosses a commit-log file end"));
        }
        f.append(pos, data);
        Ok(())
    }

    /// Cuts the log at `at`: zeroes the rest of its file and drops later files.
    pub fn truncate(&self, at: u64) {
        if let Some(f) = self.files.file_for(at) {
            f.zero_from(usize::try_from(at - f.start()).unwrap_or(0));
        }
        self.files.drop_files_from(at);
    }

    /// Bytes `[from, from + max)`, clamped to `end` and to the end of `from`'s file.
    #[must_use]
    pub fn read_span(&self, from: u64, max: usize, end: u64) -> Option<Bytes> {
        let f = self.files.file_for(from)?;
        let file_end = f.start() + self.file_size();
        let to = (from + max as u64).min(end).min(file_end);
        if to <= from {
            return None;
        }
        let pos = usize::try_from(from - f.start()).ok()?;
        Some(Bytes::from(f.read_published(pos, usize::try_from(to - from).ok()?)))
    }

    /// Where recovery starts scanning: the newest file whose first record was stored at or
    /// before `safe_ts` (everything older is known to be dispatched and on disk), or the first
    /// file when no such file exists.
    #[must_use]
    pub fn recovery_start(&self, safe_ts: i64) -> u64 {
        let files = self.files.files();
        let first = files.first().map_or(0, |f| f.start());
        if safe_ts <= 0 {
            return first;
        }
        for f in files.iter().rev() {
            let ts = self
                .record_at(f.start(), u64::MAX)
                .and_then(|r| MessageExt::decode_checked(&r, false).ok())
                .map(|m| m.store_timestamp);
            if ts.is_some_and(|ts| ts <= safe_ts) {
                return f.start();
            }
        }
        first
    }

    /// Fraction (0.0-1.0) of the pages of `[from, to)` in the page cache (existing files only;
    /// 1.0 for an empty range).
    #[must_use]
    pub fn cached_fraction(&self, from: u64, to: u64) -> f64 {
        let (mut cached, mut pages) = (0usize, 0usize);
        let _ = self.files.each_span(from, to, |f, a, b| {
            let (c, p) = f.cached_pages(a, b);
            cached += c;
            pages += p;
            Ok(())
        });
        if pages == 0 {
            1.0
        } else {
            cached as f64 / pages as f64
        }
    }

    /// Starts background read-ahead of `[from, to)` (clamped to existing files).
    pub fn will_need(&self, from: u64, to: u64) {
        let _ = self.files.each_span(from, to, |f, a, b| {
            f.will_need(a, b);
            Ok(())
        });
    }

    /// Pre-creates and pre-touches `[from, to)` (creating the files it spans); returns where
    /// warming stopped.
    pub fn warm(&self, from: u64, to: u64) -> std::io::Result<u64> {
        let mut pos = from;
        while pos < to {
            let f = self.files.file_for_write(pos)?;
            let file_end = f.start() + self.file_size();
            let end = to.min(file_end).min(pos + 4 * 1024 * 1024);
            let a = usize::try_from(pos - f.start()).unwrap_or(0);
            let b = usize::try_from(end - f.start()).unwrap_or(0);
            f.touch(a, b);
            pos = end;
        }
        Ok(pos)
    }

    /// Deletes the oldest files (only those wholly before `write_pos`) for which `expired(modified)` holds,
    /// or the oldest one regardless when `force`; returns the new min offset when any went.
    pub fn delete_oldest(
        &self,
        write_pos: u64,
        force: bool,
        expired: impl Fn(std::time::SystemTime) -> bool,
    ) -> Option<u64> {
        let mut min = None;
        loop {
            let files = self.files.files();
            if files.len() < 2 {
                break;
            }
            let first = &files[0];
            // Never the file being written, nor the pre-allocated ones after it.
            if first.start() + self.file_size() > write_pos {
                break;
            }
            let modified = std::fs::metadata(first.path()).and_then(|m| m.modified()).ok()?;
            let forced = force && min.is_none();
            if !forced && !expired(modified) {
                break;
            }
            tracing::info!(file = %first.path().display(), force, "deleting commit log file");
            min = self.files.remove_first();
        }
        min
    }

    /// Flushes `[from, to)`.
    pub fn flush(&self, from: u64, to: u64) -> std::io::Result<()> {
        self.files.flush(from, to)
    }

    /// Releases the mapped pages of `[from, to)` from the resident set (data stays in the
    /// page cache and on disk).
    pub fn release(&self, from: u64, to: u64) -> std::io::Result<()> {
        self.files.release(from, to)
    }

    /// Drops `[from, to)` from the page cache (the bytes stay on disk; see
    /// `MappedFile::evict`).
    pub fn evict(&self, from: u64, to: u64) -> std::io::Result<()> {
        self.files.evict(from, to)
    }

    /// Bytes on disk.
    #[must_use]
    pub fn disk_size(&self) -> u64 {
        self.files.disk_size()
    }
}
