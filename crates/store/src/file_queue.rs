//! A sequence of equally sized append-only mapped files named by their 20-digit start offset.
//! Files found on disk open fully published (recovery reads them, then cuts them); files
//! created for writing open empty.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::mapped_file::{Access, AppendFile, Published};

/// The files of one log (commit log, or one consume queue).
#[derive(Debug)]
pub struct FileQueue {
    dir: PathBuf,
    file_size: usize,
    access: Access,
    files: RwLock<Vec<Arc<AppendFile>>>,
    /// Serialises file creation (the writer and the warmer may both ask for the next file).
    create: parking_lot::Mutex<()>,
}

impl FileQueue {
    /// Opens every `<20 digits>` file in `dir` (created if missing), in offset order.
    /// `access`: how the files are written ([`Access`]).
    pub fn open(dir: &Path, file_size: usize, access: Access) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut starts: Vec<u64> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                (name.len() == 20 && name.bytes().all(|b| b.is_ascii_digit())).then(|| name.parse().ok()).flatten()
            })
            .collect();
        starts.sort_unstable();
        // Trailing files that were never allocated are removed, not allocated again.
        while let Some(&last) = starts.last() {
            let path = dir.join(format!("{last:020}"));
            if !crate::leftover::is_failed_allocation(&path, file_size) || !crate::leftover::remove(&path, "log") {
                break;
            }
            starts.pop();
        }
        let mut files = Vec::with_capacity(starts.len());
        for s in starts {
            files.push(Arc::new(AppendFile::open(
                &dir.join(format!("{s:020}")),
                s,
                file_size,
                Published::Whole,
                access,
            )?));
        }
        Ok(Self {
            dir: dir.to_owned(),
            file_size,
            access,
            files: RwLock::new(files),
            create: parking_lot::Mutex::new(()),
        })
    }

    /// Size of each file.
    #[must_use]
    pub fn file_size(&self) -> usize {
        self.file_size
    }

    /// The file holding `offset`, if present.
    #[must_use]
    pub fn file_for(&self, offset: u64) -> Option<Arc<AppendFile>> {
        let files = self.files.read();
        let first = files.first()?.start();
        if offset < first {
            return None;
        }
        let idx = usize::try_from((offset - first) / self.file_size as u64).ok()?;
        files.get(idx).filter(|f| f.start() <= offset && offset < f.start() + self.file_size as u64).cloned()
    }

    /// The file holding `offset` and the position of `offset` in it, if present.
    #[must_use]
    pub fn locate(&self, offset: u64) -> Option<(Arc<AppendFile>, usize)> {
        let f = self.file_for(offset)?;
        let pos = usize::try_from(offset - f.start()).ok()?;
        Some((f, pos))
    }

    /// The file holding `offset` (created if absent) and the position of `offset` in it.
    pub fn locate_for_write(&self, offset: u64) -> std::io::Result<(Arc<AppendFile>, usize)> {
        let f = self.file_for_write(offset)?;
        let pos = usize::try_from(offset - f.start()).map_err(std::io::Error::other)?;
        Ok((f, pos))
    }

    /// The file holding `offset`, created (with any missing predecessors' slot) if absent.
    pub fn file_for_write(&self, offset: u64) -> std::io::Result<Arc<AppendFile>> {
        if let Some(f) = self.file_for(offset) {
            return Ok(f);
        }
        let _creating = self.create.lock();
        if let Some(f) = self.file_for(offset) {
            return Ok(f);
        }
        let start = offset - offset % self.file_size as u64;
        let path = self.dir.join(format!("{start:020}"));
        let f = Arc::new(AppendFile::open(&path, start, self.file_size, Published::Nothing, self.access)?);
        let mut files = self.files.write();
        files.push(Arc::clone(&f));
        files.sort_by_key(|x| x.start());
        Ok(f)
    }

    /// All files, oldest first.
    #[must_use]
    pub fn files(&self) -> Vec<Arc<AppendFile>> {
        self.files.read().clone()
    }

    /// Start offset of the oldest file (0 when empty).
    #[must_use]
    pub fn min_offset(&self) -> u64 {
        self.files.read().first().map_or(0, |f| f.start())
    }

    /// Removes files that start after `offset` (truncation after recovery).
    pub fn drop_files_from(&self, offset: u64) {
        let mut files = self.files.write();
        files.retain(|f| {
            if f.start() > offset {
                let _ = std::fs::remove_file(f.path());
                false
            } else {
                true
            }
        });
    }

    /// Removes the oldest file (never the last one); returns the start of the next file.
    pub fn remove_first(&self) -> Option<u64> {
        let mut files = self.files.write();
        if files.len() < 2 {
            return None;
        }
        let f = files.remove(0);
        if let Err(e) = std::fs::remove_file(f.path()) {
            tracing::warn!(file = %f.path().display(), cause = %e, "removing an expired file failed");
        }
        files.first().map(|n| n.start())
    }

    /// Removes every file and the directory.
    pub fn destroy(&self) {
        let mut files = self.files.write();
        for f in files.drain(..) {
            let _ = std::fs::remove_file(f.path());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// Flushes `[from, to)` across files.
    pub fn flush(&self, from: u64, to: u64) -> std::io::Result<()> {
        self.each_span(from, to, AppendFile::flush)
    }

    /// Releases the mapped pages of `[from, to)` across files (see [`AppendFile::release`]).
    pub fn release(&self, from: u64, to: u64) -> std::io::Result<()> {
        self.each_span(from, to, AppendFile::release)
    }

    /// Evicts `[from, to)` from the resident set and the page cache (see [`AppendFile::evict`]).
    pub fn evict(&self, from: u64, to: u64) -> std::io::Result<()> {
        self.each_span(from, to, AppendFile::evict)
    }

    /// Runs `f(file, from, to)` over the part of `[from, to)` in each file (positions relative
    /// to the file); stops at the first missing file.
    pub fn each_span(
        &self,
        from: u64,
        to: u64,
        mut f: impl FnMut(&AppendFile, usize, usize) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut pos = from.max(self.min_offset());
        while pos < to {
            let Some(file) = self.file_for(pos) else { break };
            let file_end = file.start() + self.file_size as u64;
            let end = to.min(file_end);
            let (Ok(a), Ok(b)) = (usize::try_from(pos - file.start()), usize::try_from(end - file.start())) else {
                break;
            };
            f(&file, a, b)?;
            pos = end;
        }
        Ok(())
    }

    /// Total bytes of files on disk.
    #[must_use]
    pub fn disk_size(&self) -> u64 {
        self.files.read().len() as u64 * self.file_size as u64
    }
}
