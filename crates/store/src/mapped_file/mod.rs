//! A fixed-size file mapped into memory. The only module of the store with `unsafe`.
//!
//! Invariants: no write through the mapping can hit a hole on a full disk and raise SIGBUS. A
//! [`Access::Sequential`] file is allocated on disk to its full size before it is mapped; a
//! [`Access::Scattered`] file is sparse, and its appender allocates each range before writing
//! into it (a full disk is then an error from the allocation), and zeroes with a hole punch.
//! The mapping lives as long as the `MappedFile`; no reference into the mapping escapes this
//! module except an [`AppendFile`]'s leased slices (`Bytes` owning an `Arc` of the file:
//! append.rs), which keep the mapping alive and its bytes unwritten for as long as they live.
//!
//! Two types, two ways in. [`MappedFile`] is for files whose bytes are rewritten in place (the
//! index): `write` under its write lock, `read` / `with_slice` under its read lock.
//! [`AppendFile`] (append.rs) is for append-only files (commit log, consume queues): it owns
//! the watermark below which bytes are published, appends take a writer mutex of their own and
//! no map lock, and reads are clamped to the watermark, so no byte is read while it is written
//! whatever the callers do.
#![allow(unsafe_code)]

mod append;

pub use append::{AppendFile, Leased, Published};

use std::fs::{File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use memmap2::MmapMut;
use parking_lot::RwLock;

/// Bytes asked for per MADV_WILLNEED call: no more than any device's read-ahead cap (the kernel
/// reads at most max(read_ahead_kb, max I/O size) per call; 128 KiB read-ahead is common).
const WILL_NEED_CHUNK: usize = 128 * 1024;

/// How a file is written, which decides how its space is taken and how writes reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// One write front moving through one large file (the commit log, the index): the whole
    /// file is allocated when created (a full disk fails the creation, never a write), and
    /// writes copy into the mapping.
    Sequential,
    /// One of thousands of small logs, each written a few bytes at a time (consume queues):
    /// the file is created sparse (8,000 queues of 6 MB files would otherwise reserve 48 GB up
    /// front), its appender allocates it [`SCATTERED_CHUNK`] bytes at a time ahead of the
    /// writes, and faults on its mapping do not read ahead (madvise MADV_RANDOM): otherwise each
    /// first touch of a queue's next page zeroes and caches a large folio of the file that the
    /// queue reaches only much later, which with 8,000 queues took half of a broker's CPU.
    Scattered,
}

/// Bytes a [`Access::Scattered`] file is allocated by at a time: one fallocate per 3,276
/// consume-queue units, 512 MiB reserved for 8,000 queues.
pub const SCATTERED_CHUNK: usize = 64 * 1024;

/// Allocates `[from, to)` of `file` on disk without changing its contents (growing the file to
/// `to` if shorter). `Ok(false)` when the file system has no fallocate: nothing was reserved.
fn allocate_range(file: &File, from: usize, to: usize) -> std::io::Result<bool> {
    let (Ok(off), Ok(len)) = (libc::off_t::try_from(from), libc::off_t::try_from(to.saturating_sub(from))) else {
        return Err(std::io::Error::other("range too large"));
    };
    if len == 0 {
        return Ok(true);
    }
    // SAFETY: posix_fallocate only reads its integer arguments; the descriptor is open and owned
    // by `file` for the duration of the call. It changes no byte of the file (allocated blocks
    // keep their data, new ones read as zeros), so no mapping of it sees a change.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), off, len) };
    match rc {
        0 => Ok(true),
        libc::EOPNOTSUPP | libc::EINVAL => Ok(false),
        _ => Err(std::io::Error::from_raw_os_error(rc)),
    }
}

/// A mapped file that starts at `start` in its log's offset space.
#[derive(Debug)]
pub struct MappedFile {
    path: PathBuf,
    start: u64,
    size: usize,
    access: Access,
    map: RwLock<MmapMut>,
    /// Start of the mapping, for msync without taking the lock (a flush must not stall
    /// writers). Valid for as long as `map` lives; the mapping is never moved or remapped.
    base: usize,
    file: File,
}

/// Allocates the whole file, `size` bytes; on a file system without fallocate, a sparse length.
fn allocate(file: &File, size: usize) -> std::io::Result<()> {
    if allocate_range(file, 0, size)? {
        Ok(())
    } else {
        file.set_len(size as u64)
    }
}

impl MappedFile {
    /// Opens (or creates and allocates) `path` with exactly `size` bytes, and maps it.
    pub fn open(path: &Path, start: u64, size: usize) -> std::io::Result<Self> {
        Self::open_for(path, start, size, Access::Sequential)
    }

    /// Opens (or creates: allocated or sparse as `access` says) `path` with exactly `size`
    /// bytes, and maps it.
    pub fn open_for(path: &Path, start: u64, size: usize, access: Access) -> std::io::Result<Self> {
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        let current = file.metadata()?.len();
        if current < size as u64 {
            let grown = match access {
                Access::Sequential => allocate(&file, size),
                Access::Scattered => file.set_len(size as u64),
            };
            if let Err(e) = grown {
                // Leave no empty file behind for the next start to trip on.
                if current == 0 {
                    let _ = std::fs::remove_file(path);
                }
                return Err(e);
            }
        }
        // SAFETY: the file is open read-write and at least `size` bytes long (grown above), so
        // every byte of the mapping is backed by the file (reading a hole of a sparse file maps
        // zeros; a scattered file's appender allocates a range before writing to it). Other
        // processes of ours cannot truncate it underneath the mapping: the store's directory
        // lock keeps them out. Within this process every access goes through this module: the
        // map lock (`write`, `read`, `with_slice`), or `AppendFile`'s watermark discipline
        // (append.rs).
        let mut map = unsafe { memmap2::MmapOptions::new().len(size).map_mut(&file)? };
        if access == Access::Scattered {
            if let Err(e) = map.advise(memmap2::Advice::Random) {
                tracing::debug!(path = %path.display(), cause = %e, "madvise(MADV_RANDOM) refused");
            }
        }
        let base = map.as_mut_ptr() as usize;
        Ok(Self { path: path.to_owned(), start, size, access, map: RwLock::new(map), base, file })
    }

    /// Offset of the first byte in the log.
    #[must_use]
    pub fn start(&self) -> u64 {
        self.start
    }

    /// File size.
    #[must_use]
    pub fn size(&self) -> usize {
        self.size
    }

    /// Path on disk.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the file is written.
    #[must_use]
    pub fn access(&self) -> Access {
        self.access
    }

    /// Allocates `[from, to)` on disk (a [`Access::Scattered`] file's appender, before it
    /// writes there): a full disk is an error here, not a SIGBUS from a write to a hole. On a
    /// file system without fallocate nothing can be reserved, as for a sequential file there.
    fn allocate(&self, from: usize, to: usize) -> std::io::Result<()> {
        allocate_range(&self.file, from, to.min(self.size)).map(|_| ())
    }

    /// Zeroes `[pos, pos + len)` of the file without writing through the mapping: punches the
    /// range out (fallocate PUNCH_HOLE, which takes no space, so it works on a full disk), or,
    /// on a file system without it, writes zeros with pwrite. The caller excludes readers.
    fn zero_range(&self, pos: usize, len: usize) -> std::io::Result<()> {
        let (Ok(off), Ok(n)) = (libc::off_t::try_from(pos), libc::off_t::try_from(len)) else {
            return Err(std::io::Error::other("range too large"));
        };
        // SAFETY: fallocate only reads its integer arguments; the descriptor is open and owned by
        // `self.file` for the duration of the call. It changes file contents, not this process's
        // memory: the mapping then shows zeros in the range, which no reader is reading (the
        // caller holds the map's write lock).
        let rc = unsafe {
            libc::fallocate(self.file.as_raw_fd(), libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE, off, n)
        };
        if rc == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EOPNOTSUPP) {
            // pwrite, not the mapping: on a hole it fails with ENOSPC instead of raising SIGBUS.
            std::os::unix::fs::FileExt::write_all_at(&self.file, &vec![0; len], pos as u64)
        } else {
            Err(e)
        }
    }

    /// Copies `data` to position `pos` (relative to the file start).
    ///
    /// # Panics
    /// If the write would end past the file; callers check room first.
    pub fn write(&self, pos: usize, data: &[u8]) {
        let mut map = self.map.write();
        map[pos..pos + data.len()].copy_from_slice(data);
    }

    /// Copies `len` bytes from `pos` out (clamped to the file end).
    #[must_use]
    pub fn read(&self, pos: usize, len: usize) -> Vec<u8> {
        let map = self.map.read();
        let end = pos.saturating_add(len).min(self.size);
        map.get(pos..end).map(<[u8]>::to_vec).unwrap_or_default()
    }

    /// Runs `f` over the bytes `[pos, pos + len)` without copying (clamped to the file end).
    pub fn with_slice<R>(&self, pos: usize, len: usize, f: impl FnOnce(&[u8]) -> R) -> R {
        let map = self.map.read();
        let end = pos.saturating_add(len).min(self.size);
        f(map.get(pos..end).unwrap_or(&[]))
    }

    /// Pages `[from, to)` into the page cache and this mapping, writable, before the writer gets
    /// there (a first touch costs ~10x a write to a cached page), with
    /// madvise(MADV_POPULATE_WRITE): the kernel takes the write faults (block reservation, page
    /// made writable and dirty) without this process touching a byte, so the writer takes none.
    /// Pages that stay unwritten are written back as zeros, which they are.
    /// Kernels before 5.14 lack the advice; then nothing is pre-faulted.
    pub fn touch(&self, from: usize, to: usize) {
        self.advise_content_preserving(from, to, libc::MADV_POPULATE_WRITE);
    }

    /// Asks the kernel to read `[from, to)` into the page cache in the background
    /// (madvise(MADV_WILLNEED)): a reader far behind the writer then finds the pages there
    /// instead of faulting them in one small synchronous read at a time.
    /// The request goes in chunks of `WILL_NEED_CHUNK`: the kernel reads at most one
    /// read-ahead window (the device's read_ahead_kb, or its largest I/O) per call and silently
    /// drops the rest.
    pub fn will_need(&self, from: usize, to: usize) {
        let mut pos = from;
        while pos < to.min(self.size) {
            let end = to.min(pos - pos % WILL_NEED_CHUNK + WILL_NEED_CHUNK);
            self.advise_content_preserving(pos, end, libc::MADV_WILLNEED);
            pos = end;
        }
    }

    /// Pages of `[from, to)` (page-aligned down, clamped to the file) that are in the page
    /// cache, and pages in the range (mincore). `(0, 0)` if the kernel refuses.
    #[must_use]
    pub fn cached_pages(&self, from: usize, to: usize) -> (usize, usize) {
        let Some((a, to)) = self.page_span(from, to) else { return (0, 0) };
        let mut vec = vec![0u8; (to - a).div_ceil(4096)];
        // SAFETY: `[base + a, base + to)` lies inside the mapping, which stays mapped while
        // `self` lives; mincore writes one byte per page of that range into `vec`, which has
        // exactly that many, and reads no memory of the mapping.
        let rc = unsafe { libc::mincore((self.base + a) as *mut libc::c_void, to - a, vec.as_mut_ptr()) };
        if rc != 0 {
            return (0, 0);
        }
        (vec.iter().filter(|&&b| b & 1 == 1).count(), vec.len())
    }

    /// `[from, to)` with `from` aligned down to a page and `to` clamped to the file, or `None`
    /// when that is empty.
    fn page_span(&self, from: usize, to: usize) -> Option<(usize, usize)> {
        let to = to.min(self.size);
        let a = from - from % 4096;
        (a < to).then_some((a, to))
    }

    /// madvise over `[from, to)` (page-aligned down, clamped to the file) with an `advice` that
    /// changes no byte of the mapping (population, read-ahead). Failures are ignored: these are
    /// hints.
    fn advise_content_preserving(&self, from: usize, to: usize, advice: libc::c_int) {
        let Some((a, to)) = self.page_span(from, to) else { return };
        // SAFETY: `[base + a, base + to)` lies inside the mapping, which stays mapped while
        // `self` lives; the callers pass only advice that faults pages in or starts read-ahead
        // (MADV_POPULATE_WRITE, MADV_WILLNEED), which changes no byte of the mapping.
        let _ = unsafe { libc::madvise((self.base + a) as *mut libc::c_void, to - a, advice) };
    }

    /// Writes the bytes `[from, to)` back to disk (msync). Takes no lock: writers keep
    /// appending while the flush runs.
    pub fn flush(&self, from: usize, to: usize) -> std::io::Result<()> {
        let to = to.min(self.size);
        if to <= from {
            return Ok(());
        }
        // Align down to a page, as msync requires.
        let aligned = from - from % 4096;
        // SAFETY: `[base + aligned, base + to)` lies inside the mapping created in `open`, which
        // stays mapped (never moved or resized) until `self.map` drops with `self`; msync reads
        // no memory of ours, it only asks the kernel to write those pages back.
        let rc = unsafe { libc::msync((self.base + aligned) as *mut libc::c_void, to - aligned, libc::MS_SYNC) };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }

    /// Drops the whole pages inside `[from, to)` from this process's page tables
    /// (madvise MADV_DONTNEED). The file's pages stay in the page cache (a dirty one is still
    /// written back), so the data is unchanged: the next read of the range faults it back in
    /// from the cache. Meant for ranges the writer has finished and flushed, so the resident
    /// set holds the working tail, not every byte written since the file was mapped.
    pub fn release(&self, from: usize, to: usize) -> std::io::Result<()> {
        let to = to.min(self.size);
        let a = from.div_ceil(4096) * 4096;
        let b = to - to % 4096;
        if b <= a {
            return Ok(());
        }
        // SAFETY: `[base + a, base + b)` lies inside the mapping created in `open`, which stays
        // mapped until `self.map` drops with `self`. For a shared file mapping MADV_DONTNEED only
        // unmaps pages: their contents stay in the page cache and a reader that touches the range
        // meanwhile faults the same bytes back in, so no reader sees a change.
        let rc = unsafe { libc::madvise((self.base + a) as *mut libc::c_void, b - a, libc::MADV_DONTNEED) };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }

    /// Drops the whole pages inside `[from, to)` from this process's page tables and then from
    /// the page cache (posix_fadvise POSIX_FADV_DONTNEED). The bytes stay on disk: the next read
    /// faults them back in from the file. A dirty page is not dropped (the kernel starts its
    /// write-back instead), so nothing unwritten is lost. Meant for flushed ranges a cold reader
    /// has passed, so the memory it read into is reused for what it reads next.
    pub fn evict(&self, from: usize, to: usize) -> std::io::Result<()> {
        self.release(from, to)?;
        let to = to.min(self.size);
        if to <= from {
            return Ok(());
        }
        let (Ok(off), Ok(len)) = (libc::off_t::try_from(from), libc::off_t::try_from(to - from)) else {
            return Ok(());
        };
        // SAFETY: posix_fadvise only reads its integer arguments; the descriptor is this file's,
        // open while `self` lives. The advice changes no byte of the file or of the mapping.
        let rc = unsafe { libc::posix_fadvise(self.file.as_raw_fd(), off, len, libc::POSIX_FADV_DONTNEED) };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::from_raw_os_error(rc))
        }
    }
}

/// Used fraction (0.0–1.0) of the file system holding `path`, from statvfs(2), as df shows it.
#[must_use]
pub fn disk_used_ratio(path: &Path) -> Option<f64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a valid NUL-terminated string and `st` points to writable memory of
    // the right type; statvfs only writes into it.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it initialised the whole struct.
    let st = unsafe { st.assume_init() };
    // As df's Use%: used / (used + available to us). Blocks reserved for root (or, with
    // resv_strict, for another uid) count neither as used nor as available.
    #[allow(clippy::cast_precision_loss)]
    let (used, avail) = (st.f_blocks.saturating_sub(st.f_bfree) as f64, st.f_bavail as f64);
    (used + avail > 0.0).then(|| used / (used + avail))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resident kB of the mapping that starts at `base`, from /proc/self/smaps.
    fn resident_kb(base: usize) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((start, _)) = range.split_once('-') {
                    if let Ok(start) = usize::from_str_radix(start, 16) {
                        inside = start == base;
                        continue;
                    }
                }
            }
            if inside {
                if let Some(v) = line.strip_prefix("Rss:") {
                    return v.trim().trim_end_matches("kB").trim().parse().expect("Rss value");
                }
            }
        }
        panic!("mapping at {base:#x} not in smaps")
    }

    #[test]
    fn release_shrinks_the_resident_set_and_keeps_the_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let size = 16 * 1024 * 1024;
        let f = MappedFile::open(&dir.path().join("00000000000000000000"), 0, size).expect("open");
        let data: Vec<u8> = (0..size).map(|i| u8::try_from(i % 251).unwrap()).collect();
        f.write(0, &data);
        assert!(resident_kb(f.base) >= 15 * 1024, "written pages are resident");
        // Unflushed (dirty) pages keep their bytes too; flush half first.
        f.flush(0, size / 2).expect("flush");
        f.release(100, size).expect("release");
        assert!(resident_kb(f.base) <= 8, "released pages left the resident set: {} kB", resident_kb(f.base));
        assert_eq!(f.read(0, size), data, "the bytes come back from the page cache");
        f.flush(0, size).expect("flush after release writes the dirty pages");
        drop(f);
        assert_eq!(std::fs::read(dir.path().join("00000000000000000000")).expect("read file"), data);
    }

    #[test]
    fn evict_drops_flushed_pages_from_the_page_cache_and_loses_no_byte() {
        // Not in /tmp: on a tmpfs the page cache is the only copy and is never dropped.
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).expect("tempdir");
        let size = 8 * 1024 * 1024;
        let path = dir.path().join("00000000000000000000");
        let f = MappedFile::open(&path, 0, size).expect("open");
        let data: Vec<u8> = (0..size).map(|i| u8::try_from(i % 253).unwrap()).collect();
        f.write(0, &data);
        f.flush(0, size / 2).expect("flush");
        assert!(f.cached_pages(0, size).0 >= size / 4096 - 1, "written pages are cached");
        f.evict(0, size / 2).expect("evict");
        let (cached, pages) = f.cached_pages(0, size / 2);
        assert_eq!(pages, size / 2 / 4096);
        assert!(cached <= 1, "flushed pages left the page cache: {cached} still there");
        // Dirty pages are not dropped, and every byte reads back (from disk or cache).
        f.evict(size / 2, size).expect("evict dirty");
        assert_eq!(f.read(0, size), data);
        f.flush(0, size).expect("flush");
        drop(f);
        assert_eq!(std::fs::read(&path).expect("read file"), data);
    }

    #[test]
    fn will_need_reads_the_whole_range_back_into_the_page_cache() {
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).expect("tempdir");
        let size = 32 * 1024 * 1024;
        let f = MappedFile::open(&dir.path().join("00000000000000000000"), 0, size).expect("open");
        f.write(0, &vec![7u8; size]);
        f.flush(0, size).expect("flush");
        f.evict(0, size).expect("evict");
        assert!(f.cached_pages(0, size).0 <= 1);
        // Far more than one read-ahead window: the kernel would read only the first one.
        f.will_need(0, size);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let (cached, pages) = f.cached_pages(0, size);
            if cached == pages {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "only {cached} of {pages} pages were read ahead");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}
