//! An append-only mapped file that owns its watermark: bytes below it are published (readable,
//! never written again except by truncation), bytes at or above it are written by one appender
//! at a time. Soundness does not depend on callers:
//!
//! - appends hold `writer` and write only at or above the watermark, then raise it with Release;
//! - reads hold the map's read lock, load the watermark with Acquire and read only below it;
//! - truncation, the one write below the watermark, holds `writer` and the map's write lock, so
//!   it excludes appends and reads, and lowers the watermark before either can run again.
//!
//! So a byte is never read while it is written, appends take no map lock (pulls and the writer
//! do not park on each other), and a reader never waits for an append.
//!
//! Shared slices ([`AppendFile::share_published`]) outlive the read lock: each is a [`Lease`]
//! holding an `Arc` of the file (so the mapping stays mapped, even after the file is deleted
//! from disk) and counted in `leases`. Truncation refuses to run while any lease is live (it
//! checks the count under the map's write lock, which excludes taking a new lease), so the
//! bytes under a lease stay below the watermark and are never written again while it lives.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;

use super::{Access, MappedFile, SCATTERED_CHUNK};

/// What the watermark starts at when a file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// The whole file (an existing file: recovery reads it, then cuts it with `truncate`).
    Whole,
    /// Nothing (a new file the writer fills from the start).
    Nothing,
}

/// Why an append was refused.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The position is below the watermark (those bytes are published).
    #[error("append at {pos} is below the published end {published}")]
    BelowWatermark {
        /// Requested position.
        pos: usize,
        /// The watermark.
        published: usize,
    },
    /// The data would end past the file.
    #[error("append of {len} bytes at {pos} ends past the file size {size}")]
    PastEnd {
        /// Requested position.
        pos: usize,
        /// Bytes to append.
        len: usize,
        /// File size.
        size: usize,
    },
    /// Allocating the range failed (a [`Access::Scattered`] file on a full disk, say);
    /// nothing was written.
    #[error("append of {len} bytes at {pos}: {cause}")]
    Io {
        /// Requested position.
        pos: usize,
        /// Bytes to append.
        len: usize,
        /// What the allocation returned.
        cause: std::io::Error,
    },
}

/// Why a truncation was refused.
#[derive(Debug, thiserror::Error)]
#[error("{0} shared slice(s) of the file are still in use")]
pub struct Leased(pub usize);

impl From<AppendError> for std::io::Error {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Io { cause, .. } => cause,
            e => std::io::Error::other(e),
        }
    }
}

/// An append-only mapped file (commit log, consume queue) with the watermark it owns.
#[derive(Debug)]
pub struct AppendFile {
    map: MappedFile,
    /// Bytes `[0, published)` are written and readable.
    published: AtomicUsize,
    /// Held by the one appender (and by truncation).
    writer: Mutex<()>,
    /// Live [`Lease`]s (shared slices handed out); truncation waits for none.
    leases: AtomicUsize,
    /// [`Access::Scattered`] files: `[published, allocated)` is allocated on disk (the
    /// appender allocates a chunk ahead of its writes; truncation lowers it with the
    /// watermark). Changed only under `writer`.
    allocated: AtomicUsize,
}

/// A published range of an [`AppendFile`] lent out as the owner of a `Bytes`: keeps the file
/// (and so its mapping) alive and blocks truncation until dropped.
struct Lease {
    file: Arc<AppendFile>,
    pos: usize,
    len: usize,
}

impl AsRef<[u8]> for Lease {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `[base + pos, base + pos + len)` lies inside the mapping and below the watermark
        // (checked under the map's read lock when the lease was taken). The mapping stays mapped
        // while `self.file` lives, which this lease keeps alive (deleting the file on disk does
        // not unmap it). The bytes are never written while the lease lives: appends write only at
        // or above the watermark, and truncation, the only thing that lowers it, refuses while
        // `leases` is non-zero, which this lease keeps it.
        unsafe { std::slice::from_raw_parts((self.file.map.base + self.pos) as *const u8, self.len) }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.file.leases.fetch_sub(1, Ordering::AcqRel);
    }
}

impl AppendFile {
    /// Opens (or creates: allocated or sparse as `access` says) `path` with exactly `size`
    /// bytes starting at `start` in its log's offset space, with the watermark at `published`.
    pub fn open(path: &Path, start: u64, size: usize, published: Published, access: Access) -> std::io::Result<Self> {
        let map = MappedFile::open_for(path, start, size, access)?;
        let mark = match published {
            Published::Whole => size,
            Published::Nothing => 0,
        };
        let whole = if access == Access::Sequential { size } else { 0 };
        Ok(Self {
            map,
            published: AtomicUsize::new(mark),
            writer: Mutex::new(()),
            leases: AtomicUsize::new(0),
            allocated: AtomicUsize::new(whole),
        })
    }

    /// Offset of the first byte in the log.
    #[must_use]
    pub fn start(&self) -> u64 {
        self.map.start()
    }

    /// File size.
    #[must_use]
    pub fn size(&self) -> usize {
        self.map.size()
    }

    /// Path on disk.
    #[must_use]
    pub fn path(&self) -> &Path {
        self.map.path()
    }

    /// The watermark: bytes below it are published.
    #[cfg(test)]
    #[must_use]
    pub fn published(&self) -> usize {
        self.published.load(Ordering::Acquire)
    }

    /// Writes `data` at `pos` (at or above the watermark; a gap stays as the file holds it,
    /// zeros for a new or truncated file) and publishes up to its end.
    pub fn append_at(&self, pos: usize, data: &[u8]) -> Result<(), AppendError> {
        let size = self.map.size();
        let end = pos.checked_add(data.len()).filter(|&e| e <= size);
        let Some(end) = end else { return Err(AppendError::PastEnd { pos, len: data.len(), size }) };
        let _writer = self.writer.lock();
        let published = self.published.load(Ordering::Acquire);
        if pos < published {
            return Err(AppendError::BelowWatermark { pos, published });
        }
        if self.map.access() == Access::Scattered {
            self.allocate_for(pos, end).map_err(|cause| AppendError::Io { pos, len: data.len(), cause })?;
        }
        // SAFETY: `[base + pos, base + end)` lies inside the mapping (checked above), which stays
        // mapped while `self` lives. Those bytes are at or above the watermark, which only this
        // writer (holding `writer`) raises and only truncation (also holding `writer`) lowers, so
        // no reader reads them (reads stop below the watermark) and no other write touches them.
        // `data` is a shared slice of the caller's memory: no reference into the mapping leaves
        // this module, so it cannot overlap the destination. The bytes are allocated on disk (a
        // sequential file in full, a scattered one just above), so the write cannot fault on a
        // hole.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), (self.map.base + pos) as *mut u8, data.len()) };
        self.published.store(end, Ordering::Release);
        Ok(())
    }

    /// Makes sure `[pos, end)` (at or above the watermark) is allocated on disk, allocating
    /// whole [`SCATTERED_CHUNK`]s from the one holding `pos` when it is not. The caller holds
    /// `writer`.
    fn allocate_for(&self, pos: usize, end: usize) -> std::io::Result<()> {
        if end <= self.allocated.load(Ordering::Relaxed) {
            return Ok(());
        }
        let from = pos - pos % SCATTERED_CHUNK;
        let to = end.div_ceil(SCATTERED_CHUNK) * SCATTERED_CHUNK;
        self.map.allocate(from, to)?;
        self.allocated.store(to.min(self.map.size()), Ordering::Relaxed);
        Ok(())
    }

    /// Runs `f` over the published part of `[pos, pos + len)` (shorter, or empty, when it
    /// reaches past the watermark).
    pub fn with_published<R>(&self, pos: usize, len: usize, f: impl FnOnce(&[u8]) -> R) -> R {
        let _guard = self.map.map.read();
        let end = pos.saturating_add(len).min(self.published.load(Ordering::Acquire));
        if pos >= end {
            return f(&[]);
        }
        // SAFETY: `[base + pos, base + end)` lies inside the mapping (the watermark never exceeds
        // the size), which stays mapped while `self` lives; the slice does not outlive this call.
        // Those bytes are below the watermark loaded while holding the read lock: appends write
        // only at or above the watermark, and the watermark only drops under the write lock
        // (truncation), which the read lock held here excludes. So nothing writes these bytes
        // while the shared slice exists.
        let bytes = unsafe { std::slice::from_raw_parts((self.map.base + pos) as *const u8, end - pos) };
        f(bytes)
    }

    /// The published bytes `[pos, pos + len)` without copying, as a `Bytes` that keeps this file
    /// mapped (and blocks its truncation) until the last clone drops; `None` unless the whole
    /// range is published.
    #[must_use]
    pub fn share_published(self: &Arc<Self>, pos: usize, len: usize) -> Option<Bytes> {
        let _guard = self.map.map.read();
        let end = pos.checked_add(len)?;
        if end > self.published.load(Ordering::Acquire) {
            return None;
        }
        if len == 0 {
            return Some(Bytes::new());
        }
        // Counted while the read lock excludes truncation, so it sees this lease.
        self.leases.fetch_add(1, Ordering::AcqRel);
        Some(Bytes::from_owner(Lease { file: Arc::clone(self), pos, len }))
    }

    /// Copies the published part of `[pos, pos + len)` out.
    #[must_use]
    pub fn read_published(&self, pos: usize, len: usize) -> Vec<u8> {
        self.with_published(pos, len, <[u8]>::to_vec)
    }

    /// Cuts the file at `pos`: zeroes what is not zero after it and moves the watermark there.
    /// Returns how many bytes after `pos` held data (up to the last non-zero byte); refused,
    /// changing nothing, while shared slices of the file are in use.
    pub fn truncate(&self, pos: usize) -> Result<usize, Leased> {
        let _writer = self.writer.lock();
        let mut map = self.map.map.write();
        let leases = self.leases.load(Ordering::Acquire);
        if leases > 0 {
            return Err(Leased(leases));
        }
        let pos = pos.min(self.map.size());
        let tail = map.get_mut(pos..).unwrap_or_default();
        let used = tail.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        match self.map.access() {
            Access::Sequential => {
                if let Some(t) = tail.get_mut(..used) {
                    t.fill(0);
                }
            }
            // A sparse file's tail may hold holes (an append may leave a gap), and a write
            // through the mapping to a hole on a full disk raises SIGBUS: punch the tail out
            // instead (zeros that take no space).
            Access::Scattered => {
                if used > 0 {
                    if let Err(e) = self.map.zero_range(pos, used) {
                        tracing::error!(path = %self.map.path().display(), cause = %e, "zeroing a cut tail");
                    }
                }
                // The punch freed the blocks past `pos`: the next append allocates again.
                self.allocated.store(self.allocated.load(Ordering::Relaxed).min(pos), Ordering::Relaxed);
            }
        }
        self.published.store(pos, Ordering::Release);
        Ok(used)
    }

    /// Pre-faults `[from, to)` writable (see [`MappedFile::touch`]).
    pub fn touch(&self, from: usize, to: usize) {
        self.map.touch(from, to);
    }

    /// Starts background read-ahead of `[from, to)` (see [`MappedFile::will_need`]).
    pub fn will_need(&self, from: usize, to: usize) {
        self.map.will_need(from, to);
    }

    /// Cached and total pages of `[from, to)` (see [`MappedFile::cached_pages`]).
    #[must_use]
    pub fn cached_pages(&self, from: usize, to: usize) -> (usize, usize) {
        self.map.cached_pages(from, to)
    }

    /// Writes `[from, to)` back to disk (see [`MappedFile::flush`]).
    pub fn flush(&self, from: usize, to: usize) -> std::io::Result<()> {
        self.map.flush(from, to)
    }

    /// Drops `[from, to)` from the resident set (see [`MappedFile::release`]).
    pub fn release(&self, from: usize, to: usize) -> std::io::Result<()> {
        self.map.release(from, to)
    }

    /// Drops `[from, to)` from the page cache (see [`MappedFile::evict`]).
    pub fn evict(&self, from: usize, to: usize) -> std::io::Result<()> {
        self.map.evict(from, to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_watermark_and_appends_below_it_are_refused() {
        for access in [Access::Sequential, Access::Scattered] {
            watermark_rules(access);
        }
    }

    fn watermark_rules(access: Access) {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = AppendFile::open(&dir.path().join("f"), 0, 4096, Published::Nothing, access).expect("open");
        assert!(f.read_published(0, 10).is_empty());
        f.append_at(0, b"hello").expect("append");
        assert_eq!(f.read_published(0, 100), b"hello");
        assert!(matches!(f.append_at(3, b"x"), Err(AppendError::BelowWatermark { pos: 3, published: 5 })));
        assert!(matches!(f.append_at(4090, b"1234567"), Err(AppendError::PastEnd { .. })));
        // A gap reads back as zeros.
        f.append_at(8, b"!").expect("append after a gap");
        assert_eq!(f.read_published(0, 100), b"hello\0\0\0!");
        assert_eq!(f.truncate(2).expect("no lease"), 7);
        assert_eq!(f.published(), 2);
        assert_eq!(f.read_published(0, 100), b"he");
        f.append_at(2, b"y").expect("append at the cut");
        assert_eq!(f.read_published(0, 100), b"hey");
        drop(f);
        let f = AppendFile::open(&dir.path().join("f"), 0, 4096, Published::Whole, access).expect("reopen");
        assert_eq!(f.published(), 4096);
        assert_eq!(&f.read_published(0, 4)[..], b"hey\0");
        assert!(f.read_published(4, 4092).iter().all(|b| *b == 0), "{access:?}: the cut tail reads as zeros");
    }

    #[test]
    fn a_scattered_file_takes_space_only_where_written() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let size = 6 * 1024 * 1024;
        let path = dir.path().join("cq");
        let f = AppendFile::open(&path, 0, size, Published::Nothing, Access::Scattered).expect("open");
        for i in 0..10 {
            f.append_at(i * 20, &[7; 20]).expect("append");
        }
        let blocks = std::fs::metadata(&path).expect("stat").blocks() * 512;
        assert_eq!(std::fs::metadata(&path).expect("stat").len(), size as u64);
        assert!(blocks <= 64 * 1024, "a 6 MiB consume-queue file with 200 bytes written holds {blocks} bytes");
        assert_eq!(f.read_published(0, 200), vec![7; 200]);
        let seq =
            AppendFile::open(&dir.path().join("log"), 0, size, Published::Nothing, Access::Sequential).expect("open");
        let seq_blocks = std::fs::metadata(dir.path().join("log")).expect("stat").blocks() * 512;
        // The commit log keeps its space reserved up front (where the file system allocates).
        assert!(seq_blocks >= size as u64 || seq_blocks == 0, "sequential file holds {seq_blocks} bytes");
        drop(seq);
    }

    #[test]
    fn readers_see_every_published_append_whole_while_the_writer_goes_on() {
        for access in [Access::Sequential, Access::Scattered] {
            concurrent_readers(access);
        }
    }

    fn concurrent_readers(access: Access) {
        const UNIT: usize = 64;
        let dir = tempfile::tempdir().expect("tempdir");
        let size = 4 * 1024 * 1024;
        let f = AppendFile::open(&dir.path().join("cq"), 0, size, Published::Nothing, access).expect("open");
        std::thread::scope(|scope| {
            for _ in 0..3 {
                let f = &f;
                scope.spawn(move || {
                    let mut checked = 0;
                    while checked < size / UNIT {
                        while checked * UNIT < f.published() {
                            let unit = f.read_published(checked * UNIT, UNIT);
                            let want = u8::try_from(checked % 251).expect("small");
                            assert!(unit.len() == UNIT && unit.iter().all(|b| *b == want), "unit {checked} torn");
                            checked += 1;
                        }
                        std::hint::spin_loop();
                    }
                });
            }
            for i in 0..size / UNIT {
                let b = u8::try_from(i % 251).expect("small");
                f.append_at(i * UNIT, &[b; UNIT]).expect("append");
            }
        });
    }
}
