//! `Reader`: pulls, offsets, lookups by time, offset and key.

use std::sync::Arc;

use bytes::Bytes;
use rmq_common::message::MessageExt;
use rmq_common::property;

use super::marks::Marks;
use super::queues::QueueTable;
use super::readahead::ReadAheadService;
use crate::commit_log::CommitLog;
use crate::config::TransferLimits;
use crate::consume_queue::{ConsumeQueue, CqUnit};
use crate::index::IndexService;
use crate::offset::PhyOffset;
use crate::result::{GetMessageResult, GetMessageStatus, QueryResult};

/// What a read keeps: a check of the consume-queue tag code, then (for filters that need the
/// message, as SQL92 does) a check of the stored record.
#[derive(Clone, Copy)]
pub struct ReadFilter<'a> {
    /// Passed the unit's tag code.
    pub tag_code: &'a dyn Fn(i64) -> bool,
    /// Passed the record of a unit whose tag code passed.
    pub record: &'a dyn Fn(&[u8]) -> bool,
}

impl std::fmt::Debug for ReadFilter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadFilter")
    }
}

/// Units scanned at most per get (so a filtered pull cannot scan forever).
const MAX_SCAN_UNITS: usize = 16_000;

/// Reads the store.
#[derive(Debug)]
pub(crate) struct Reader {
    log: Arc<CommitLog>,
    queues: Arc<QueueTable>,
    index: Arc<IndexService>,
    marks: Arc<Marks>,
    transfer: TransferLimits,
    /// Bytes of commit log assumed cached (accessMessageInMemoryMaxRatio percent of RAM).
    memory_budget: u64,
    read_ahead: ReadAheadService,
}

/// What a reader reads.
pub(crate) struct ReaderParts {
    pub(crate) log: Arc<CommitLog>,
    pub(crate) queues: Arc<QueueTable>,
    pub(crate) index: Arc<IndexService>,
    pub(crate) marks: Arc<Marks>,
}

/// A pull's progress through the units of a queue.
#[derive(Debug, Default)]
struct Scan {
    messages: Vec<Bytes>,
    bytes: usize,
    scanned: usize,
    removed: bool,
    first_phy: Option<PhyOffset>,
    last_end: Option<PhyOffset>,
}

impl Reader {
    pub(crate) fn new(p: ReaderParts, transfer: TransferLimits, memory_ratio: u32) -> Self {
        let ReaderParts { log, queues, index, marks } = p;
        let memory_budget = physical_memory() / 100 * u64::from(memory_ratio);
        let read_ahead = ReadAheadService::new(Arc::clone(&log), Arc::clone(&marks));
        Self { log, queues, index, marks, transfer, memory_budget, read_ahead }
    }

    /// The commit log read.
    pub(crate) fn log(&self) -> &CommitLog {
        &self.log
    }

    /// The commit log, shared (for the warmer thread).
    pub(crate) fn log_handle(&self) -> Arc<CommitLog> {
        Arc::clone(&self.log)
    }

    /// The marks, shared (for the warmer thread).
    pub(crate) fn marks_handle(&self) -> Arc<Marks> {
        Arc::clone(&self.marks)
    }

    /// The published end of the commit log.
    pub(crate) fn end(&self) -> PhyOffset {
        self.marks.end()
    }

    /// The key index read.
    pub(crate) fn index(&self) -> &IndexService {
        &self.index
    }

    /// Up to `max_msgs` records of a queue from `offset` whose tag code passes `filter`,
    /// with the status and next offset RocketMQ's pull protocol expects.
    pub(crate) fn get_messages(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msgs: u32,
        filter: ReadFilter<'_>,
    ) -> GetMessageResult {
        let empty = |status, next, min, max| GetMessageResult {
            status,
            next_begin_offset: next,
            min_offset: min,
            max_offset: max,
            messages: Vec::new(),
            suggest_pull_from_slave: false,
        };
        let Some(cq) = self.queues.get(topic, queue_id) else {
            return empty(GetMessageStatus::NoMatchedLogicQueue, 0, 0, 0);
        };
        let (min, max) = (cq.min_offset(), cq.max_offset());
        if max == 0 {
            return empty(GetMessageStatus::NoMessageInQueue, 0, min, max);
        }
        if offset < min {
            return empty(GetMessageStatus::OffsetTooSmall, min, min, max);
        }
        if offset == max {
            return empty(GetMessageStatus::OffsetOverflowOne, offset, min, max);
        }
        if offset > max {
            return empty(GetMessageStatus::OffsetOverflowBadly, if min == 0 { min } else { max }, min, max);
        }
        let max_msgs = usize::try_from(max_msgs).unwrap_or(32);
        let scan = self.scan(&cq, offset, max_msgs, filter);
        if let Some(end) = scan.last_end {
            self.read_ahead.after_read(Arc::as_ptr(&cq) as usize, end);
        }
        let status = if !scan.messages.is_empty() {
            GetMessageStatus::Found
        } else if scan.removed {
            GetMessageStatus::MessageWasRemoving
        } else {
            GetMessageStatus::NoMatchedMessage
        };
        let far = scan.first_phy.is_some_and(|p| self.marks.end().since(p) > self.memory_budget);
        GetMessageResult {
            status,
            next_begin_offset: offset.saturating_add(i64::try_from(scan.scanned).unwrap_or(i64::MAX)),
            min_offset: min,
            max_offset: max,
            messages: scan.messages,
            suggest_pull_from_slave: far,
        }
    }

    /// Reads units from `offset` in small chunks (a pull usually needs a few dozen) and the
    /// records they point at.
    fn scan(&self, cq: &ConsumeQueue, offset: i64, max_msgs: usize, filter: ReadFilter<'_>) -> Scan {
        let log_min = self.log.min_offset();
        let end = self.marks.end();
        let left = usize::try_from(cq.max_offset().saturating_sub(offset)).unwrap_or(0);
        let scan_limit = MAX_SCAN_UNITS.min(left);
        let mut s = Scan::default();
        while s.scanned < scan_limit {
            let chunk = (scan_limit - s.scanned).min(max_msgs.max(16) * 2);
            let from = offset.saturating_add(i64::try_from(s.scanned).unwrap_or(i64::MAX));
            let units = cq.units(from, chunk);
            if units.is_empty() {
                break;
            }
            for u in &units {
                if s.messages.len() >= max_msgs || self.batch_full(&s, u, end) {
                    return s;
                }
                self.take(&mut s, u, log_min, filter);
            }
        }
        s
    }

    /// Counts unit `u` as scanned and takes its record if it passes.
    fn take(&self, s: &mut Scan, u: &CqUnit, log_min: PhyOffset, filter: ReadFilter<'_>) {
        s.first_phy.get_or_insert(PhyOffset::from_wire(u.phy_offset).unwrap_or(PhyOffset::ZERO));
        s.scanned += 1;
        if u.size == i32::MAX {
            return; // blank unit
        }
        let Some((phy, len)) = u.record() else { return };
        if phy < log_min {
            s.removed = true;
            return;
        }
        if !(filter.tag_code)(u.tag_code) {
            return;
        }
        // A slice of the mapped file, not a copy: the response is written from it.
        match self.log.share(phy, len) {
            Some(rec) if !(filter.record)(&rec) => {}
            Some(rec) => {
                s.bytes += rec.len();
                s.last_end = Some(phy.plus_len(rec.len()));
                s.messages.push(rec);
            }
            None => s.removed = true,
        }
    }

    /// RocketMQ's `isTheBatchFull`: once something is taken, stop at the count or byte limit
    /// of where this unit's record lies (in memory or on disk).
    fn batch_full(&self, s: &Scan, u: &CqUnit, end: PhyOffset) -> bool {
        if s.messages.is_empty() {
            return false;
        }
        let size = usize::try_from(u.size).unwrap_or(0);
        let behind = end.since(PhyOffset::from_wire(u.phy_offset).unwrap_or(PhyOffset::ZERO));
        let limit = if behind > self.memory_budget { self.transfer.on_disk } else { self.transfer.in_memory };
        s.bytes + size > limit.bytes || s.messages.len() >= limit.count
    }

    /// How many consume queues `topic` has, if any.
    pub(crate) fn queue_count(&self, topic: &str) -> Option<i32> {
        self.queues.queue_count(topic)
    }

    /// Max logical offset of a queue (0 if none).
    pub(crate) fn max_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.queues.get(topic, queue_id).map_or(0, |q| q.max_offset())
    }

    /// Min logical offset of a queue (0 if none).
    pub(crate) fn min_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.queues.get(topic, queue_id).map_or(0, |q| q.min_offset())
    }

    /// Where the record of a queue's message lies, if it is there.
    fn record_of(&self, topic: &str, queue_id: i32, offset: i64) -> Option<(PhyOffset, usize)> {
        self.queues.get(topic, queue_id)?.unit(offset)?.record()
    }

    /// Store time of the message at a logical offset.
    pub(crate) fn store_time_of(&self, topic: &str, queue_id: i32, offset: i64) -> Option<i64> {
        let (phy, len) = self.record_of(topic, queue_id, offset)?;
        let rec = self.log.read(phy, len)?;
        MessageExt::decode(&rec).ok().map(|m| m.store_timestamp)
    }

    /// The first logical offset whose store time is at or after `timestamp` (binary search);
    /// max offset when every message is older.
    pub(crate) fn offset_by_time(&self, topic: &str, queue_id: i32, timestamp: i64) -> i64 {
        let (mut lo, mut hi) = (self.min_offset(topic, queue_id), self.max_offset(topic, queue_id));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.store_time_of(topic, queue_id, mid) {
                Some(t) if t < timestamp => lo = mid + 1,
                _ => hi = mid,
            }
        }
        lo
    }

    /// Whether the message at a logical offset is likely no longer in memory.
    pub(crate) fn is_in_disk(&self, topic: &str, queue_id: i32, offset: i64) -> bool {
        self.record_of(topic, queue_id, offset).is_some_and(|(phy, _)| self.marks.end().since(phy) > self.memory_budget)
    }

    /// The record at a commit-log offset.
    pub(crate) fn message_at(&self, phy: PhyOffset) -> Option<Bytes> {
        self.log.record_at(phy, self.marks.end())
    }

    /// Records indexed under `topic#key` stored within `[begin, end]`, newest first, at most `max`.
    pub(crate) fn query_by_key(&self, topic: &str, key: &str, max: u32, begin: i64, end: i64) -> QueryResult {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        let end = if end <= 0 { i64::MAX } else { end };
        let begin = begin.max(0);
        let mut messages = Vec::new();
        // Index hits are hash matches: each is checked against the stored message.
        for phy in self.index.lookup(&format!("{topic}#{key}"), begin, end, max.saturating_mul(4).max(64)) {
            if messages.len() >= max {
                break;
            }
            let Some(r) = PhyOffset::from_wire(phy).and_then(|p| self.message_at(p)) else { continue };
            let Ok(m) = MessageExt::decode_checked(&r, false) else { continue };
            if m.topic == topic && has_key(&m.properties, key) && (begin..=end).contains(&m.store_timestamp) {
                messages.push(r);
            }
        }
        let (ts, phy) = self.index.last_update();
        QueryResult { messages, index_last_update_timestamp: ts, index_last_update_phy_offset: phy }
    }

    /// Raw units of a consume queue: (commit-log offset, size, tag code).
    pub(crate) fn consume_queue_units(
        &self,
        topic: &str,
        queue_id: i32,
        from: i64,
        count: u32,
    ) -> Vec<(i64, i32, i64)> {
        let Some(q) = self.queues.get(topic, queue_id) else { return Vec::new() };
        let units = q.units(from, usize::try_from(count).unwrap_or(0));
        units.into_iter().map(|u| (u.phy_offset, u.size, u.tag_code)).collect()
    }

    /// Store time of the oldest message in the commit log (0 when empty).
    pub(crate) fn earliest_store_time(&self) -> i64 {
        let mut pos = self.log.min_offset();
        // Skip a leading blank record, if the first file starts with one.
        for _ in 0..2 {
            match self.message_at(pos) {
                Some(r) => return MessageExt::decode(&r).map_or(0, |m| m.store_timestamp),
                None => pos = pos.plus(pos.left_in_file(self.log.file_size())),
            }
        }
        0
    }
}

/// Whether a message carries `key` as its unique key or among its keys.
fn has_key(props: &[(String, String)], key: &str) -> bool {
    property::get(props, property::UNIQ_KEY) == Some(key)
        || property::get(props, property::KEYS).is_some_and(|ks| ks.split(' ').any(|k| k == key))
}

/// Physical memory in bytes (8 GiB when /proc/meminfo is unreadable).
fn physical_memory() -> u64 {
    static TOTAL: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TOTAL.get_or_init(|| {
        let kib = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("MemTotal:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .unwrap_or(8 * 1024 * 1024);
        kib * 1024
    })
}
