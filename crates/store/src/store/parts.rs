//! `Parts`: the shared handles the components are built from (commit log, queue table, index,
//! marks, dispatcher, metrics), recovery over them, and one builder per component.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::disk::DiskGuard;
use super::dispatch::Dispatcher;
use super::flush::logics::Logics;
use super::flush::signal::FlushSignal;
use super::flush::{Flusher, FlusherParts};
use super::lifecycle::{io, StoreError};
use super::marks::Marks;
use super::queues::QueueTable;
use super::read::{Reader, ReaderParts};
use super::recover::{Recovery, RecoveryStats};
use super::replica::{Replica, ReplicaParts};
use super::retention::{Retention, RetentionParts};
use super::writer::Writer;
use crate::commit_log::CommitLog;
use crate::config::StoreConfig;
use crate::index::{IndexService, IndexShape};
use crate::metrics::StoreMetrics;

/// The shared handles the components are built from.
pub(super) struct Parts {
    log: Arc<CommitLog>,
    queues: Arc<QueueTable>,
    index: Arc<IndexService>,
    marks: Arc<Marks>,
    dispatch: Arc<Dispatcher>,
    metrics: Arc<StoreMetrics>,
}

impl Parts {
    /// Opens the commit log, the index and the consume queues.
    pub(super) fn open(config: &StoreConfig) -> Result<Parts, StoreError> {
        let log = CommitLog::open(&config.commit_log_path(), config.files.commit_log_file_size)
            .map_err(io("opening commit log"))?;
        let shape = IndexShape { slots: config.index.max_hash_slot_num, entries: config.index.max_index_num };
        let index = IndexService::open(&config.root.join("index"), shape).map_err(io("opening index"))?;
        let queues = QueueTable::open(config.root.join("consumequeue"), config.files.cq_units_per_file)
            .map_err(io("opening consume queues"))?;
        let (queues, index) = (Arc::new(queues), Arc::new(index));
        let dispatch =
            Dispatcher::new(Arc::clone(&queues), Arc::clone(&index), config.index.enable, config.topics.clone());
        Ok(Parts {
            log: Arc::new(log),
            queues,
            index,
            marks: Arc::new(Marks::default()),
            dispatch: Arc::new(dispatch),
            metrics: Arc::new(StoreMetrics::default()),
        })
    }

    /// Recovers the store under `root` over these parts.
    pub(super) fn recover(&self, root: &Path, crashed: bool) -> Result<RecoveryStats, StoreError> {
        let r = Recovery {
            log: &self.log,
            queues: &self.queues,
            index: &self.index,
            dispatch: &self.dispatch,
            marks: &self.marks,
        };
        r.run(root, crashed).map_err(io("recovering the store"))
    }

    /// The dispatcher and the metrics, which the facade keeps too.
    pub(super) fn shared(&self) -> (Arc<Dispatcher>, Arc<StoreMetrics>) {
        (Arc::clone(&self.dispatch), Arc::clone(&self.metrics))
    }

    pub(super) fn writer(&self, config: &StoreConfig) -> Writer {
        Writer::new(
            Arc::clone(&self.log),
            Arc::clone(&self.marks),
            Arc::clone(&self.dispatch),
            Arc::clone(&self.metrics),
            (config.store_host, config.max_message_size),
        )
    }

    pub(super) fn flusher(&self, config: &StoreConfig, signal: &Arc<FlushSignal>, stop: &Arc<AtomicBool>) -> Flusher {
        let (queues, index, marks) = (Arc::clone(&self.queues), Arc::clone(&self.index), Arc::clone(&self.marks));
        let parts = FlusherParts {
            log: Arc::clone(&self.log),
            marks: Arc::clone(&self.marks),
            signal: Arc::clone(signal),
            metrics: Arc::clone(&self.metrics),
            logics: Logics::new(config.root.clone(), queues, index, marks, &config.flush),
            stop: Arc::clone(stop),
        };
        Flusher::new(parts, config.flush.clone())
    }

    pub(super) fn disk(config: &StoreConfig) -> DiskGuard {
        let r = &config.retention;
        let force = r.clean_forcibly.then_some(r.clean_forcibly_ratio);
        DiskGuard::new(config.commit_log_path(), r.disk_full_ratio, r.disk_max_used_ratio, force)
    }

    pub(super) fn retention(&self, config: &StoreConfig, disk: &Arc<DiskGuard>) -> Retention {
        let parts = RetentionParts {
            log: Arc::clone(&self.log),
            queues: Arc::clone(&self.queues),
            index: Arc::clone(&self.index),
            marks: Arc::clone(&self.marks),
            disk: Arc::clone(disk),
        };
        Retention::new(parts, &config.retention)
    }

    pub(super) fn replica(&self, writer: &Arc<Writer>, sync_flush: Option<Arc<FlushSignal>>) -> Replica {
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

    pub(super) fn reader(self, config: &StoreConfig) -> Reader {
        let parts = ReaderParts { log: self.log, queues: self.queues, index: self.index, marks: self.marks };
        Reader::new(parts, config.transfer, config.access_message_in_memory_max_ratio)
    }
}
