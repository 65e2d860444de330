//! Opening and closing: the directory lock, the abort file, recovery, assembling the
//! components and starting their threads; stopping them.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

use super::disk::DiskGuard;
use super::dispatch::Dispatcher;
use super::flush::logics::Logics;
use super::flush::signal::FlushSignal;
use super::flush::{Flusher, FlusherParts};
use super::marks::Marks;
use super::queues::QueueTable;
use super::read::{Reader, ReaderParts};
use super::recover::{Recovery, RecoveryStats};
use super::replica::{Replica, ReplicaParts};
use super::retention::{Retention, RetentionParts};
use super::writer::Writer;
use super::MessageStore;
use crate::commit_log::CommitLog;
use crate::config::StoreConfig;
use crate::index::{IndexService, IndexShape};
use crate::metrics::StoreMetrics;

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

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> StoreError {
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

/// Locks the store directory; whether the last run crashed (its abort file is still there).
fn lock_dir(root: &Path) -> Result<(File, bool), StoreError> {
    std::fs::create_dir_all(root).map_err(io(format!("creating {}", root.display())))?;
    let lock = File::create(root.join("lock")).map_err(io("creating lock file"))?;
    if lock.try_lock().is_err() {
        return Err(StoreError::Locked(root.to_owned()));
    }
    Ok((lock, root.join("abort").exists()))
}

/// The shared handles the components are built from.
struct Handles {
    log: Arc<CommitLog>,
    queues: Arc<QueueTable>,
    index: Arc<IndexService>,
    marks: Arc<Marks>,
    dispatch: Arc<Dispatcher>,
    metrics: Arc<StoreMetrics>,
}

fn open_files(config: &StoreConfig) -> Result<Handles, StoreError> {
    let log = CommitLog::open(&config.commit_log_path(), config.files.commit_log_file_size)
        .map_err(io("opening commit log"))?;
    let shape = IndexShape { slots: config.index.max_hash_slot_num, entries: config.index.max_index_num };
    let index = IndexService::open(&config.root.join("index"), shape).map_err(io("opening index"))?;
    let queues = QueueTable::open(config.root.join("consumequeue"), config.files.cq_units_per_file)
        .map_err(io("opening consume queues"))?;
    let (queues, index) = (Arc::new(queues), Arc::new(index));
    let dispatch = Dispatcher::new(Arc::clone(&queues), Arc::clone(&index), config.index.enable, config.topics.clone());
    Ok(Handles {
        log: Arc::new(log),
        queues,
        index,
        marks: Arc::new(Marks::default()),
        dispatch: Arc::new(dispatch),
        metrics: Arc::new(StoreMetrics::default()),
    })
}

/// Opens, recovers and assembles the store, then starts its threads.
pub(super) fn open(config: StoreConfig) -> Result<Arc<MessageStore>, StoreError> {
    let (lock, crashed) = lock_dir(&config.root)?;
    let h = open_files(&config)?;
    let recovery = Recovery { log: &h.log, queues: &h.queues, index: &h.index, dispatch: &h.dispatch, marks: &h.marks }
        .run(&config.root, crashed)
        .map_err(io("recovering the store"))?;
    File::create(config.root.join("abort")).map_err(io("creating abort file"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let life = Lifecycle { root: config.root.clone(), _lock: lock, stop, flush_thread: Mutex::new(None), recovery };
    let (appender, jobs) = std::sync::mpsc::channel();
    let store = Arc::new(assemble(&config, h, life, appender));
    start_threads(&store, jobs)?;
    Ok(store)
}

impl Handles {
    fn writer(&self, config: &StoreConfig) -> Writer {
        Writer::new(
            Arc::clone(&self.log),
            Arc::clone(&self.marks),
            Arc::clone(&self.dispatch),
            Arc::clone(&self.metrics),
            (config.store_host, config.max_message_size),
        )
    }

    fn flusher(&self, config: &StoreConfig, signal: &Arc<FlushSignal>, stop: &Arc<AtomicBool>) -> Flusher {
        let (queues, index, marks) = (Arc::clone(&self.queues), Arc::clone(&self.index), Arc::clone(&self.marks));
        let parts = FlusherParts {
            log: Arc::clone(&self.log),
            marks: Arc::clone(&self.marks),
            signal: Arc::clone(signal),
            metrics: Arc::clone(&self.metrics),
            logics: Logics::new(config.root.clone(), queues, index, marks),
            stop: Arc::clone(stop),
        };
        Flusher::new(parts, config.flush.clone())
    }

    fn retention(&self, config: &StoreConfig, disk: &Arc<DiskGuard>) -> Retention {
        let parts = RetentionParts {
            log: Arc::clone(&self.log),
            queues: Arc::clone(&self.queues),
            index: Arc::clone(&self.index),
            marks: Arc::clone(&self.marks),
            disk: Arc::clone(disk),
        };
        Retention::new(parts, &config.retention)
    }

    fn replica(&self, writer: &Arc<Writer>, sync_flush: Option<Arc<FlushSignal>>) -> Replica {
        let parts = ReplicaParts {
            log: Arc::clone(&self.log),
            writer: Arc::clone(writer),
            marks: Arc::clone(&self.marks),
            dispatch: Arc::clone(&self.dispatch),
            queues: Arc::clone(&self.queues),
            index: Arc::clone(&self.index),
            metrics: Arc::clone(&self.metrics),
        };
        Replica::new(parts, sync_flush)
    }

    fn reader(self, config: &StoreConfig) -> Reader {
        let parts = ReaderParts { log: self.log, queues: self.queues, index: self.index, marks: self.marks };
        Reader::new(parts, config.transfer, config.access_message_in_memory_max_ratio)
    }
}

fn assemble(
    config: &StoreConfig,
    h: Handles,
    life: Lifecycle,
    appender: std::sync::mpsc::Sender<super::writer::AppendJob>,
) -> MessageStore {
    let signal = Arc::new(FlushSignal::default());
    let writer = Arc::new(h.writer(config));
    let flusher = Arc::new(h.flusher(config, &signal, &life.stop));
    let r = &config.retention;
    let disk = Arc::new(DiskGuard::new(config.commit_log_path(), r.disk_full_ratio, r.disk_max_used_ratio));
    let retention = Arc::new(h.retention(config, &disk));
    let replica = h.replica(&writer, flusher.is_sync().then_some(signal));
    let (dispatch, metrics) = (Arc::clone(&h.dispatch), Arc::clone(&h.metrics));
    let reader = h.reader(config);
    MessageStore { life, writer, appender, reader, flusher, retention, replica, dispatch, disk, metrics }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, StoreError> {
    std::thread::Builder::new().name(name.into()).spawn(f).map_err(io(format!("starting thread {name}")))
}

/// Starts the flusher (which also runs disk checks and retention), append and warmer threads.
fn start_threads(
    store: &Arc<MessageStore>,
    jobs: std::sync::mpsc::Receiver<super::writer::AppendJob>,
) -> Result<(), StoreError> {
    store.disk.refresh();
    let (flusher, disk, retention) =
        (Arc::clone(&store.flusher), Arc::clone(&store.disk), Arc::clone(&store.retention));
    let handle = spawn("store-flush", move || {
        flusher.run(|stopping| {
            disk.refresh();
            if !stopping {
                retention.delete_expired(std::time::SystemTime::now());
            }
        });
    })?;
    *store.life.flush_thread.lock() = Some(handle);
    let writer = Arc::clone(&store.writer);
    spawn("store-append", move || super::writer::append_loop(&writer, &jobs))?;
    let (log, marks, stop) = (store.reader.log_handle(), store.reader.marks_handle(), Arc::clone(&store.life.stop));
    spawn("store-warm", move || super::warm::warm_loop(&log, &marks, &stop))?;
    Ok(())
}
