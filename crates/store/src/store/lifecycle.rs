//! The store's life: the directory lock, the abort file, the stop flag the threads watch.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

use super::flush::Flusher;
use super::recover::RecoveryStats;

/// Why the store could not open.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// File system failure.
    #[error("{context}: {cause}")]
    Io {
        /// What was being done.
        context: String,
        /// Cause.
        cause: std::io::Error,
    },
    /// Another process holds the store directory.
    #[error("store directory {0} is locked by another process")]
    Locked(PathBuf),
}

pub(super) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> StoreError {
    let context = context.into();
    move |cause| StoreError::Io { context, cause }
}

/// The store's life: its directory (locked while open), the stop flag its threads watch, and
/// what recovery did.
#[derive(Debug)]
pub(super) struct Lifecycle {
    root: PathBuf,
    _lock: File,
    stop: Arc<AtomicBool>,
    flush_thread: Mutex<Option<JoinHandle<()>>>,
    recovery: RecoveryStats,
}

impl Lifecycle {
    /// Locks `root`; also says whether the last run crashed (its abort file is still there).
    pub(super) fn lock(root: &Path) -> Result<(File, bool), StoreError> {
        std::fs::create_dir_all(root).map_err(io(format!("creating {}", root.display())))?;
        let lock = File::create(root.join("lock")).map_err(io("creating lock file"))?;
        if lock.try_lock().is_err() {
            return Err(StoreError::Locked(root.to_owned()));
        }
        Ok((lock, root.join("abort").exists()))
    }

    /// The life of a store recovered under `root` (holding `lock`): creates the abort file,
    /// removed again by a clean shutdown.
    pub(super) fn start(root: &Path, lock: File, recovery: RecoveryStats) -> Result<Self, StoreError> {
        File::create(root.join("abort")).map_err(io("creating abort file"))?;
        let stop = Arc::new(AtomicBool::new(false));
        Ok(Self { root: root.to_owned(), _lock: lock, stop, flush_thread: Mutex::new(None), recovery })
    }

    /// The flag the threads stop on.
    pub(super) fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// Remembers the flusher thread (joined by `stop`).
    pub(super) fn set_flush_thread(&self, handle: JoinHandle<()>) {
        *self.flush_thread.lock() = Some(handle);
    }

    /// The store's root directory.
    pub(super) fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the store is shutting down.
    pub(super) fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// What recovery did.
    pub(super) fn recovery(&self) -> RecoveryStats {
        self.recovery
    }

    /// Stops the threads and waits for the flusher's last round.
    pub(super) fn stop(&self, flusher: &Flusher) {
        self.stop_without_join(flusher);
        if let Some(h) = self.flush_thread.lock().take() {
            let _ = h.join();
        }
    }

    /// Tells the threads to stop.
    pub(super) fn stop_without_join(&self, flusher: &Flusher) {
        self.stop.store(true, Ordering::Release);
        flusher.wake();
    }

    /// A clean shutdown finished: no recovery scan is needed next time.
    pub(super) fn closed(&self) {
        let _ = std::fs::remove_file(self.root.join("abort"));
    }
}
