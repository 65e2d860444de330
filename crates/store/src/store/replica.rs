//! Replication support: a master reads raw commit-log spans to ship; a slave appends them at
//! the same offsets, dispatches the complete records they contain, and truncates its log when
//! the master's is shorter (a master that crashed and came back with less).

use std::sync::atomic::Ordering;

use bytes::Bytes;
use rmq_common::message::{MessageExt, MAGIC_BLANK};
use rmq_common::sysflag;

use super::{tag_code_of, MessageStore};
use crate::consume_queue::CqUnit;

impl MessageStore {
    /// End of the commit log (next append offset).
    #[must_use]
    pub fn commit_log_max_offset(&self) -> u64 {
        self.max_phy.load(Ordering::Acquire)
    }

    /// First offset still in the commit log.
    #[must_use]
    pub fn commit_log_min_offset(&self) -> u64 {
        self.log.min_offset()
    }

    /// Up to `max` raw bytes from `from` (never past the log end or a file end).
    #[must_use]
    pub fn read_commit_log(&self, from: u64, max: usize) -> Option<Bytes> {
        self.log.read_span(from, max, self.commit_log_max_offset())
    }

    /// Appends replicated bytes at `at`, which must be the current end (an empty log accepts
    /// any start). Complete records are dispatched to consume queues and the index; a record
    /// split across calls is dispatched when its rest arrives.
    pub fn append_replicated(&self, at: u64, data: &[u8]) -> Result<(), String> {
        let mut pos = self.writer.lock();
        if *pos == 0 && self.replica_dispatched.load(Ordering::Acquire) == 0 && at > 0 && self.log.min_offset() == 0 {
            // An empty slave starting mid-log: begin at the master's offset.
            *pos = at;
            self.replica_dispatched.store(at, Ordering::Release);
        }
        if at != *pos {
            return Err(format!("replicated data at {at} but the log ends at {}", *pos));
        }
        self.log.write_raw(at, data).map_err(|e| format!("writing replicated data: {e}"))?;
        *pos += data.len() as u64;
        self.max_phy.store(*pos, Ordering::Release);
        let end = *pos;
        let arrivals = self.dispatch_replicated(end);
        drop(pos);
        if self.config.flush_mode == crate::FlushMode::Sync {
            self.wake_flusher();
        }
        if let Some(listener) = self.listener.read().clone() {
            for (t, q, o) in &arrivals {
                listener(t, *q, *o);
            }
        }
        Ok(())
    }

    /// Dispatches complete records between the last dispatched offset and `end` (writer lock held).
    fn dispatch_replicated(&self, end: u64) -> Vec<(String, i32, i64)> {
        let file_size = self.log.file_size();
        let mut at = self.replica_dispatched.load(Ordering::Acquire);
        let mut arrivals = Vec::new();
        while at < end {
            let in_file = file_size - at % file_size;
            if in_file < 8 {
                at += in_file;
                continue;
            }
            let Some(head) = self.log.read_span(at, 8, end) else { break };
            if head.len() < 8 {
                break;
            }
            let total = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
            let magic = i32::from_be_bytes([head[4], head[5], head[6], head[7]]);
            if magic == MAGIC_BLANK {
                at += in_file;
                continue;
            }
            let Ok(total) = u64::try_from(total) else { break };
            if total < 8 || at + total > end {
                break;
            }
            let Some(rec) = self.log.read(at, usize::try_from(total).unwrap_or(0)) else { break };
            match MessageExt::decode_checked(&rec, false) {
                Ok(m) => {
                    if let Some(a) = self.dispatch_one(at, &m) {
                        arrivals.push(a);
                    }
                }
                Err(e) => tracing::error!(at, cause = %e, "undecodable replicated record skipped"),
            }
            at += total;
        }
        self.replica_dispatched.store(at, Ordering::Release);
        arrivals
    }

    fn dispatch_one(&self, phy: u64, m: &MessageExt) -> Option<(String, i32, i64)> {
        let phy = i64::try_from(phy).unwrap_or(0);
        self.last_store_timestamp.fetch_max(u64::try_from(m.store_timestamp).unwrap_or(0), Ordering::Release);
        self.put_total.fetch_add(1, Ordering::Relaxed);
        self.put_bytes.fetch_add(m.store_size as u64, Ordering::Relaxed);
        let tx = sysflag::transaction_type(m.sys_flag);
        if tx == sysflag::TRANSACTION_ROLLBACK {
            return None;
        }
        self.index_message(&m.topic, &m.properties, phy, m.store_timestamp);
        if tx == sysflag::TRANSACTION_PREPARED {
            return None;
        }
        let cq = match self.queue_or_create(&m.topic, m.queue_id) {
            Ok(cq) => cq,
            Err(e) => {
                tracing::error!(cause = %e, "consume queue for replicated data");
                return None;
            }
        };
        let unit = CqUnit {
            phy_offset: phy,
            size: i32::try_from(m.store_size).unwrap_or(i32::MAX),
            tag_code: tag_code_of(&m.topic, &m.properties, m.store_timestamp),
        };
        if let Err(e) = cq.put(m.queue_offset, unit) {
            tracing::error!(cause = %e, "consume queue write of replicated data failed");
        }
        Some((m.topic.clone(), m.queue_id, m.queue_offset))
    }

    /// Cuts the log (and queue units and index entries past it) back to `at`, when the master's
    /// log is shorter than ours. Returns whether anything was cut.
    pub fn truncate_commit_log(&self, at: u64) -> bool {
        let mut pos = self.writer.lock();
        if at >= *pos {
            return false;
        }
        tracing::warn!(from = *pos, to = at, "truncating the commit log to the master's end");
        self.log.truncate(at);
        let log_end = i64::try_from(at).unwrap_or(0);
        for q in self.queues.read().values().flat_map(|m| m.values()) {
            q.truncate_to_log_end(log_end);
        }
        self.index.truncate_from(log_end);
        *pos = at;
        self.max_phy.store(at, Ordering::Release);
        self.flushed.fetch_min(at, Ordering::AcqRel);
        self.replica_dispatched.fetch_min(at, Ordering::AcqRel);
        true
    }
}
