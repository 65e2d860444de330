//! The append thread: encodes messages and appends them to the commit log, consume queues and
//! index, one request after another, for `MessageStore::put_messages` (which waits for the
//! answer asynchronously, then for the flush when SYNC_FLUSH).

use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::Weak;

use rmq_common::message::{patch_record, StoreMessage};
use rmq_common::{msgid, property, sysflag};
use tokio::sync::oneshot;

use super::{now_ms, MessageStore};
use crate::consume_queue::CqUnit;
use crate::result::{PutMessageResult, PutStatus};

/// A message announced to the arrival listener: topic, queue id, queue offset.
pub(super) type Arrival = (String, i32, i64);
/// An append's outcome: the result, the arrivals to announce and the message count; or the
/// refusal.
pub(super) type Appended = Result<(PutMessageResult, Vec<Arrival>, usize), PutMessageResult>;

/// One `put_messages` call handed to the append thread.
pub(super) struct AppendJob {
    pub(super) msgs: Vec<StoreMessage>,
    pub(super) reply: oneshot::Sender<Appended>,
}

/// Runs jobs until the store is gone (its sender drops with it).
pub(super) fn append_loop(store: &Weak<MessageStore>, jobs: &Receiver<AppendJob>) {
    while let Ok(job) = jobs.recv() {
        let Some(s) = store.upgrade() else { return };
        let out = s.append_now(&job.msgs);
        drop(s);
        let _ = job.reply.send(out);
    }
}

impl MessageStore {
    /// Encodes `msgs` and appends them under the writer lock, dispatching consume-queue units
    /// and index entries; returns the result, the arrivals to announce and the count, or the
    /// refusal.
    pub(super) fn append_now(&self, msgs: &[StoreMessage]) -> Appended {
        // Encode outside the writer lock.
        let mut encoded = Vec::with_capacity(msgs.len());
        for m in msgs {
            // The record's length fields: properties i16, topic i16 at most (RocketMQ's limits).
            let props_len = property::encoded_len(&m.properties);
            if props_len > i16::MAX as usize || m.topic.len() > i16::MAX as usize {
                return Err(PutMessageResult::refused(
                    PutStatus::MessageIllegal,
                    format!("the message properties length {props_len} is over 32767"),
                ));
            }
            let mut m = m.clone();
            m.store_host = self.config.store_host;
            let rec = m.encode();
            if rec.len() > self.config.max_message_size || rec.len() + 8 > self.config.commit_log_file_size {
                return Err(PutMessageResult::refused(
                    PutStatus::MessageIllegal,
                    format!("message of {} bytes is too large", rec.len()),
                ));
            }
            encoded.push((m, rec));
        }
        let store_ts = now_ms();
        let mut result = PutMessageResult::refused(PutStatus::Ok, "");
        let mut arrivals = Vec::with_capacity(encoded.len());
        {
            let mut pos = self.writer.lock();
            for (i, (m, rec)) in encoded.iter_mut().enumerate() {
                let dispatch = !matches!(
                    sysflag::transaction_type(m.sys_flag),
                    sysflag::TRANSACTION_PREPARED | sysflag::TRANSACTION_ROLLBACK
                );
                let cq = match self.queue_or_create(&m.topic, m.queue_id) {
                    Ok(cq) => cq,
                    Err(e) => {
                        return Err(PutMessageResult::refused(
                            PutStatus::ServiceNotAvailable,
                            format!("consume queue: {e}"),
                        ));
                    }
                };
                let queue_offset = if dispatch { cq.max_offset() } else { 0 };
                let appended = self
                    .log
                    .append(*pos, rec, |r, at| patch_record(r, queue_offset, i64::try_from(at).unwrap_or(0), store_ts));
                let (at, end) = match appended {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::error!(cause = %e, "commit log append failed");
                        return Err(PutMessageResult::refused(
                            PutStatus::ServiceNotAvailable,
                            format!("commit log append failed: {e}"),
                        ));
                    }
                };
                *pos = end;
                let phy = i64::try_from(at).unwrap_or(0);
                if dispatch {
                    let unit = CqUnit {
                        phy_offset: phy,
                        size: i32::try_from(rec.len()).unwrap_or(0),
                        tag_code: m.cq_tag_code(),
                    };
                    if let Err(e) = cq.put(queue_offset, unit) {
                        tracing::error!(cause = %e, "consume queue write failed");
                    }
                    arrivals.push((m.topic.clone(), m.queue_id, queue_offset));
                }
                self.index_message(&m.topic, &m.properties, phy, store_ts);
                if i == 0 {
                    result.queue_offset = queue_offset;
                    result.phy_offset = phy;
                }
                result.msg_ids.push(msgid::offset_msg_id(&self.config.store_host, phy));
                self.put_bytes.fetch_add(rec.len() as u64, Ordering::Relaxed);
            }
            result.end_offset = i64::try_from(*pos).unwrap_or(0);
            self.max_phy.store(*pos, Ordering::Release);
        }
        self.last_store_timestamp.fetch_max(u64::try_from(store_ts).unwrap_or(0), Ordering::Release);
        Ok((result, arrivals, encoded.len()))
    }
}
