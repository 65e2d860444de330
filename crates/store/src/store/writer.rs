//! `Writer`: encodes messages and appends them to the commit log, dispatching each record's
//! consume-queue unit and index keys under one lock, so queue offsets are dense; and the append
//! thread that runs large batches off the async workers.

use std::net::SocketAddr;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};
use rmq_common::message::{patch_record, StoreMessage};
use rmq_common::time::now_ms;
use rmq_common::{msgid, property};
use tokio::sync::oneshot;

use super::dispatch::{is_consumable, Arrival, Dispatcher};
use super::marks::Marks;
use crate::commit_log::CommitLog;
use crate::consume_queue::CqUnit;
use crate::metrics::StoreMetrics;
use crate::offset::PhyOffset;
use crate::result::{PutMessageResult, PutStatus};

/// What an append did: the result, the arrivals to announce and the message count.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) result: PutMessageResult,
    pub(crate) arrivals: Vec<Arrival>,
    pub(crate) count: usize,
}

/// An append's outcome: the batch, or the refusal.
pub(crate) type Appended = Result<Batch, PutMessageResult>;

/// One `put_messages` call handed to the append thread.
pub(crate) struct AppendJob {
    pub(crate) msgs: Vec<StoreMessage>,
    pub(crate) reply: oneshot::Sender<Appended>,
}

/// The commit log's one writer.
#[derive(Debug)]
pub(crate) struct Writer {
    log: Arc<CommitLog>,
    /// The append position; held while appending and dispatching (the writer lock).
    pos: Mutex<PhyOffset>,
    marks: Arc<Marks>,
    dispatch: Arc<Dispatcher>,
    metrics: Arc<StoreMetrics>,
    store_host: SocketAddr,
    /// Largest record body accepted (changed at run time).
    max_message_size: std::sync::atomic::AtomicUsize,
}

fn refused(status: PutStatus, remark: impl Into<String>) -> PutMessageResult {
    PutMessageResult::refused(status, remark)
}

impl Writer {
    pub(crate) fn new(
        log: Arc<CommitLog>,
        marks: Arc<Marks>,
        dispatch: Arc<Dispatcher>,
        metrics: Arc<StoreMetrics>,
        limits: (SocketAddr, usize),
    ) -> Self {
        let (store_host, max_message_size) = limits;
        let pos = Mutex::new(marks.end());
        let max_message_size = max_message_size.into();
        Self { log, pos, marks, dispatch, metrics, store_host, max_message_size }
    }

    /// Changes the largest message accepted (runtime config).
    pub(crate) fn set_max_message_size(&self, size: usize) {
        self.max_message_size.store(size, std::sync::atomic::Ordering::Relaxed);
    }

    /// Takes the writer lock (replication and truncation write under it too).
    pub(crate) fn lock(&self) -> MutexGuard<'_, PhyOffset> {
        self.pos.lock()
    }

    /// Encodes `msgs` and appends them under the writer lock, dispatching consume-queue units
    /// and index entries.
    pub(crate) fn append(&self, msgs: &[StoreMessage]) -> Appended {
        let mut encoded = self.encode(msgs)?;
        let store_ts = now_ms();
        let mut batch = Batch {
            result: refused(PutStatus::Ok, ""),
            arrivals: Vec::with_capacity(encoded.len()),
            count: encoded.len(),
        };
        {
            let mut pos = self.pos.lock();
            for (i, (m, rec)) in encoded.iter_mut().enumerate() {
                let (phy, queue_offset) = self.append_one(&mut pos, m, rec, store_ts, &mut batch.arrivals)?;
                if i == 0 {
                    batch.result.queue_offset = queue_offset;
                    batch.result.phy_offset = phy.to_wire();
                }
                batch.result.msg_ids.push(msgid::offset_msg_id(&self.store_host, phy.to_wire()));
            }
            batch.result.end_offset = pos.to_wire();
            self.marks.set_end(*pos);
        }
        self.marks.stored_at(store_ts);
        Ok(batch)
    }

    /// Encodes outside the writer lock, checking RocketMQ's limits.
    fn encode(&self, msgs: &[StoreMessage]) -> Result<Vec<(StoreMessage, Vec<u8>)>, PutMessageResult> {
        let max_len = self
            .max_message_size
            .load(std::sync::atomic::Ordering::Relaxed)
            .min(self.log.file_size().try_into().unwrap_or(usize::MAX).saturating_sub(8));
        let mut encoded = Vec::with_capacity(msgs.len());
        for m in msgs {
            // The record's length fields: properties i16, topic i16 at most (RocketMQ's limits).
            let props_len = property::encoded_len(&m.properties);
            if i16::try_from(props_len).is_err() || i16::try_from(m.topic.len()).is_err() {
                let why = format!("the message properties length {props_len} is over 32767");
                return Err(refused(PutStatus::MessageIllegal, why));
            }
            let mut m = m.clone();
            m.store_host = self.store_host;
            let rec = m.encode();
            if rec.len() > max_len {
                return Err(refused(PutStatus::MessageIllegal, format!("message of {} bytes is too large", rec.len())));
            }
            encoded.push((m, rec));
        }
        Ok(encoded)
    }

    /// Appends one encoded record at `pos` and dispatches it; its offset and queue offset.
    fn append_one(
        &self,
        pos: &mut PhyOffset,
        m: &StoreMessage,
        rec: &mut [u8],
        store_ts: i64,
        arrivals: &mut Vec<Arrival>,
    ) -> Result<(PhyOffset, i64), PutMessageResult> {
        let dispatch = is_consumable(m.sys_flag);
        let cq = self
            .dispatch
            .queue(&m.topic, m.queue_id)
            .map_err(|e| refused(PutStatus::ServiceNotAvailable, format!("consume queue: {e}")))?;
        let queue_offset = if dispatch { cq.max_offset() } else { 0 };
        let appended = self.log.append(*pos, rec, |r, at| patch_record(r, queue_offset, at.to_wire(), store_ts));
        let (at, end) = appended.map_err(|e| {
            tracing::error!(cause = %e, "commit log append failed");
            refused(PutStatus::ServiceNotAvailable, format!("commit log append failed: {e}"))
        })?;
        *pos = end;
        if dispatch {
            if let Err(e) = cq.put(queue_offset, CqUnit::new(at, rec.len(), m.cq_tag_code())) {
                tracing::error!(cause = %e, "consume queue write failed");
            }
            arrivals.push((m.topic.clone(), m.queue_id, queue_offset));
        }
        self.dispatch.index_keys(&m.topic, &m.properties, at, store_ts);
        self.metrics.stored(0, rec.len());
        Ok((at, queue_offset))
    }
}

/// Runs append jobs until the store drops its sender.
pub(crate) fn append_loop(writer: &Writer, jobs: &Receiver<AppendJob>) {
    while let Ok(job) = jobs.recv() {
        let _ = job.reply.send(writer.append(&job.msgs));
    }
}
