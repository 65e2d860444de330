//! `Replica`: replication. A master reads raw commit-log spans to ship; a slave appends them at
//! the same offsets, dispatches the complete records they contain, and truncates its log when
//! the master's is shorter (a master that crashed and came back with less).

use std::sync::Arc;

use bytes::Bytes;
use rmq_common::message::MessageExt;

use super::dispatch::{Arrival, Dispatcher};
use super::flush::signal::FlushSignal;
use super::marks::Marks;
use super::queues::QueueTable;
use super::writer::Writer;
use crate::commit_log::{CommitLog, Head};
use crate::index::IndexService;
use crate::metrics::StoreMetrics;
use crate::offset::{AtomicPhy, PhyOffset};

/// Bytes of a record head.
const HEAD: usize = 8;

/// Replication's side of the store.
#[derive(Debug)]
pub(crate) struct Replica {
    log: Arc<CommitLog>,
    writer: Arc<Writer>,
    marks: Arc<Marks>,
    dispatch: Arc<Dispatcher>,
    queues: Arc<QueueTable>,
    index: Arc<IndexService>,
    metrics: Arc<StoreMetrics>,
    /// Replicated bytes up to here are dispatched (complete records).
    dispatched: AtomicPhy,
    /// Woken after each replicated append when SYNC_FLUSH.
    sync_flush: Option<Arc<FlushSignal>>,
}

/// What replication works on.
pub(crate) struct ReplicaParts {
    pub(crate) log: Arc<CommitLog>,
    pub(crate) writer: Arc<Writer>,
    pub(crate) marks: Arc<Marks>,
    pub(crate) dispatch: Arc<Dispatcher>,
    pub(crate) queues: Arc<QueueTable>,
    pub(crate) index: Arc<IndexService>,
    pub(crate) metrics: Arc<StoreMetrics>,
}

impl Replica {
    pub(crate) fn new(p: ReplicaParts, sync_flush: Option<Arc<FlushSignal>>) -> Self {
        let ReplicaParts { log, writer, marks, dispatch, queues, index, metrics } = p;
        let dispatched = AtomicPhy::new(marks.end());
        Self { log, writer, marks, dispatch, queues, index, metrics, dispatched, sync_flush }
    }

    /// Up to `max` raw bytes from `from` (never past the log end or a file end).
    pub(crate) fn read(&self, from: PhyOffset, max: usize) -> Option<Bytes> {
        self.log.read_span(from, max, self.marks.end())
    }

    /// Appends replicated bytes at `at`, which must be the current end (an empty log accepts
    /// any start). Complete records are dispatched to consume queues and the index; a record
    /// split across calls is dispatched when its rest arrives.
    pub(crate) fn append(&self, at: PhyOffset, data: &[u8]) -> Result<(), String> {
        let mut pos = self.writer.lock();
        let empty = *pos == PhyOffset::ZERO && self.dispatched.load() == PhyOffset::ZERO;
        if empty && at > PhyOffset::ZERO && self.log.min_offset() == PhyOffset::ZERO {
            // An empty slave starting mid-log: begin at the master's offset.
            *pos = at;
            self.dispatched.store(at);
        }
        if at != *pos {
            return Err(format!("replicated data at {at} but the log ends at {}", *pos));
        }
        self.log.write_raw(at, data).map_err(|e| format!("writing replicated data: {e}"))?;
        *pos = pos.plus_len(data.len());
        self.marks.set_end(*pos);
        let arrivals = self.dispatch_up_to(*pos);
        drop(pos);
        if let Some(signal) = &self.sync_flush {
            signal.wake();
        }
        self.dispatch.announce(&arrivals);
        Ok(())
    }

    /// Dispatches complete records between the last dispatched offset and `end` (writer lock
    /// held).
    fn dispatch_up_to(&self, end: PhyOffset) -> Vec<Arrival> {
        let file_size = self.log.file_size();
        let mut at = self.dispatched.load();
        let mut arrivals = Vec::new();
        while at < end {
            let in_file = at.left_in_file(file_size);
            if in_file < HEAD as u64 {
                at = at.plus(in_file);
                continue;
            }
            let Some(head) = self.log.read_span(at, HEAD, end) else { break };
            let total = match Head::parse(&head) {
                Head::Blank => {
                    at = at.plus(in_file);
                    continue;
                }
                Head::Record(total) if at.plus_len(total) <= end => total,
                _ => break,
            };
            let Some(rec) = self.log.read(at, total) else { break };
            if let Some(a) = self.dispatch_record(at, &rec) {
                arrivals.push(a);
            }
            at = at.plus_len(total);
        }
        self.dispatched.store(at);
        arrivals
    }

    fn dispatch_record(&self, at: PhyOffset, rec: &[u8]) -> Option<Arrival> {
        let m = match MessageExt::decode_checked(rec, false) {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(at = at.get(), cause = %e, "undecodable replicated record skipped");
                return None;
            }
        };
        self.marks.stored_at(m.store_timestamp);
        self.metrics.stored(1, m.store_size);
        match self.dispatch.redispatch(at, &m) {
            Ok(arrival) => arrival,
            Err(e) => {
                tracing::error!(cause = %e, "dispatching replicated data failed");
                None
            }
        }
    }

    /// Cuts the log (and queue units and index entries past it) back to `at`, when the master's
    /// log is shorter than ours. Returns whether anything was cut: nothing is while a pull
    /// response still holds a slice of the file to cut (the master's next heartbeat retries).
    pub(crate) fn truncate(&self, at: PhyOffset) -> bool {
        let mut pos = self.writer.lock();
        if at >= *pos {
            return false;
        }
        tracing::warn!(from = pos.get(), to = at.get(), "truncating the commit log to the master's end");
        if let Err(e) = self.log.truncate(at) {
            tracing::info!(at = at.get(), cause = %e, "commit-log truncation deferred");
            return false;
        }
        self.queues.truncate_to_log_end(at);
        self.index.truncate_from(at.to_wire());
        *pos = at;
        self.marks.cut(at);
        self.dispatched.lower_to(at);
        true
    }
}
