//! Reads: pulls, offsets, lookups, stats.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use rmq_common::message::MessageExt;
use rmq_common::property;

use super::{readahead, MessageStore};
use crate::consume_queue::CqUnit;
use crate::result::{GetMessageResult, GetMessageStatus, QueryResult};

/// Units scanned at most per get (so a filtered pull cannot scan forever).
const MAX_SCAN_UNITS: usize = 16_000;

impl MessageStore {
    /// Up to `max_msgs` records of a queue from `offset` whose tag code passes `filter`,
    /// with the status and next offset RocketMQ's pull protocol expects.
    pub fn get_messages(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msgs: u32,
        filter: &dyn Fn(i64) -> bool,
    ) -> GetMessageResult {
        let empty = |status, next, min, max| GetMessageResult {
            status,
            next_begin_offset: next,
            min_offset: min,
            max_offset: max,
            messages: Vec::new(),
            suggest_pull_from_slave: false,
        };
        let Some(cq) = self.queue(topic, queue_id) else {
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
        let log_min = i64::try_from(self.log.min_offset()).unwrap_or(0);
        let max_msgs = usize::try_from(max_msgs).unwrap_or(32);
        let max_phy = self.max_phy.load(Ordering::Acquire);
        let budget = self.memory_budget();
        let scan_limit = MAX_SCAN_UNITS.min(usize::try_from(max - offset).unwrap_or(0));
        let mut messages = Vec::new();
        let mut bytes = 0usize;
        let mut scanned = 0i64;
        let mut removed = false;
        let mut first_phy = None;
        let mut last_end = 0u64;
        // Read units in small chunks: a pull usually needs a few dozen of them.
        'scan: while usize::try_from(scanned).unwrap_or(0) < scan_limit {
            let chunk = (scan_limit - usize::try_from(scanned).unwrap_or(0)).min(max_msgs.max(16) * 2);
            let units = cq.units(offset + scanned, chunk);
            if units.is_empty() {
                break;
            }
            for u in &units {
                let size = usize::try_from(u.size).unwrap_or(0);
                if messages.len() >= max_msgs || self.batch_full(&messages, bytes, size, max_phy, budget, u) {
                    break 'scan;
                }
                first_phy.get_or_insert(u.phy_offset);
                scanned += 1;
                if u.size == i32::MAX {
                    continue; // blank unit
                }
                if u.phy_offset < log_min {
                    removed = true;
                    continue;
                }
                if !filter(u.tag_code) {
                    continue;
                }
                match self.log.read(u64::try_from(u.phy_offset).unwrap_or(0), usize::try_from(u.size).unwrap_or(0)) {
                    Some(rec) => {
                        bytes += rec.len();
                        last_end = u64::try_from(u.phy_offset).unwrap_or(0) + rec.len() as u64;
                        messages.push(rec);
                    }
                    None => removed = true,
                }
            }
        }
        if last_end > 0 {
            self.read_ahead_from(Arc::as_ptr(&cq) as usize, last_end);
        }
        let next = offset + scanned;
        let status = if !messages.is_empty() {
            GetMessageStatus::Found
        } else if removed {
            GetMessageStatus::MessageWasRemoving
        } else {
            GetMessageStatus::NoMatchedMessage
        };
        let behind = self
            .max_phy
            .load(Ordering::Acquire)
            .saturating_sub(first_phy.map_or(u64::MAX, |p| u64::try_from(p).unwrap_or(0)));
        GetMessageResult {
            status,
            next_begin_offset: next,
            min_offset: min,
            max_offset: max,
            messages,
            suggest_pull_from_slave: behind > self.memory_budget(),
        }
    }

    /// Max logical offset of a queue (0 if none).
    #[must_use]
    pub fn max_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.queue(topic, queue_id).map_or(0, |q| q.max_offset())
    }

    /// Min logical offset of a queue (0 if none).
    #[must_use]
    pub fn min_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.queue(topic, queue_id).map_or(0, |q| q.min_offset())
    }

    fn unit(&self, topic: &str, queue_id: i32, offset: i64) -> Option<CqUnit> {
        self.queue(topic, queue_id)?.unit(offset).filter(|u| u.size != i32::MAX && u.size > 0)
    }

    /// Store time of the message at a logical offset.
    #[must_use]
    pub fn store_time_of(&self, topic: &str, queue_id: i32, offset: i64) -> Option<i64> {
        let u = self.unit(topic, queue_id, offset)?;
        let rec = self.log.read(u64::try_from(u.phy_offset).ok()?, usize::try_from(u.size).ok()?)?;
        rmq_common::message::MessageExt::decode(&rec).ok().map(|m| m.store_timestamp)
    }

    /// Store time of the earliest message of a queue.
    #[must_use]
    pub fn earliest_message_time(&self, topic: &str, queue_id: i32) -> Option<i64> {
        self.store_time_of(topic, queue_id, self.min_offset(topic, queue_id))
    }

    /// The first logical offset whose store time is at or after `timestamp` (binary search);
    /// max offset when every message is older.
    #[must_use]
    pub fn offset_by_time(&self, topic: &str, queue_id: i32, timestamp: i64) -> i64 {
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
    #[must_use]
    pub fn is_in_disk(&self, topic: &str, queue_id: i32, offset: i64) -> bool {
        self.unit(topic, queue_id, offset).is_some_and(|u| {
            self.max_phy.load(Ordering::Acquire).saturating_sub(u64::try_from(u.phy_offset).unwrap_or(0))
                > self.memory_budget()
        })
    }

    /// The record at a commit-log offset.
    #[must_use]
    pub fn message_by_offset(&self, phy_offset: i64) -> Option<Bytes> {
        self.log.record_at(u64::try_from(phy_offset).ok()?, self.max_phy.load(Ordering::Acquire))
    }

    /// Records indexed under `topic#key` stored within `[begin, end]`, newest first, at most `max`.
    #[must_use]
    pub fn query_by_key(&self, topic: &str, key: &str, max: u32, begin: i64, end: i64) -> QueryResult {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        let end = if end <= 0 { i64::MAX } else { end };
        let begin = begin.max(0);
        let mut messages = Vec::new();
        // Index hits are hash matches: each is checked against the stored message.
        for phy in self.index.lookup(&format!("{topic}#{key}"), begin, end, max.saturating_mul(4).max(64)) {
            if messages.len() >= max {
                break;
            }
            let Some(r) = self.message_by_offset(phy) else { continue };
            let Ok(m) = MessageExt::decode_checked(&r, false) else { continue };
            let matches = m.topic == topic
                && (property::get(&m.properties, property::UNIQ_KEY) == Some(key)
                    || property::get(&m.properties, property::KEYS).is_some_and(|ks| ks.split(' ').any(|k| k == key)));
            if matches && m.store_timestamp >= begin && m.store_timestamp <= end {
                messages.push(r);
            }
        }
        let (ts, phy) = self.index.last_update();
        QueryResult { messages, index_last_update_timestamp: ts, index_last_update_phy_offset: phy }
    }

    /// Raw units of a consume queue: (commit-log offset, size, tag code).
    #[must_use]
    pub fn consume_queue_units(&self, topic: &str, queue_id: i32, from: i64, count: u32) -> Vec<(i64, i32, i64)> {
        self.queue(topic, queue_id)
            .map(|q| {
                q.units(from, usize::try_from(count).unwrap_or(0))
                    .into_iter()
                    .map(|u| (u.phy_offset, u.size, u.tag_code))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Deletes a topic's consume queues.
    pub fn delete_topic(&self, topic: &str) {
        if let Some(qs) = self.queues.write().remove(topic) {
            for q in qs.values() {
                q.destroy();
            }
        }
        let _ = std::fs::remove_dir_all(self.config.root.join("consumequeue").join(topic));
    }

    /// Store time of the oldest message in the commit log (0 when empty).
    #[must_use]
    pub fn earliest_store_time(&self) -> i64 {
        let mut pos = self.log.min_offset();
        // Skip a leading blank record, if the first file starts with one.
        for _ in 0..2 {
            match self.log.record_at(pos, self.max_phy.load(Ordering::Acquire)) {
                Some(r) => return rmq_common::message::MessageExt::decode(&r).map_or(0, |m| m.store_timestamp),
                None => pos = pos - pos % self.log.file_size() + self.log.file_size(),
            }
        }
        0
    }

    /// Max commit-log offset.
    #[must_use]
    pub fn max_phy_offset(&self) -> i64 {
        i64::try_from(self.max_phy.load(Ordering::Acquire)).unwrap_or(0)
    }

    /// Figures for GET_BROKER_RUNTIME_INFO.
    #[must_use]
    pub fn runtime_info(&self) -> Vec<(String, String)> {
        let max = self.max_phy.load(Ordering::Acquire);
        let flushed = self.flushed.load(Ordering::Acquire);
        let permille = self.disk_used_permille.load(Ordering::Relaxed);
        let ratio = format!("{}.{:03}", permille / 1000, permille % 1000);
        let times = self.put_total.load(Ordering::Relaxed);
        let bytes = self.put_bytes.load(Ordering::Relaxed);
        vec![
            ("commitLogMaxOffset".into(), max.to_string()),
            ("commitLogMinOffset".into(), self.log.min_offset().to_string()),
            ("remainHowManyDataToFlush".into(), max.saturating_sub(flushed).to_string()),
            ("commitLogDiskRatio".into(), ratio.clone()),
            ("commitLogDirCapacity".into(), format!("Total : {} bytes", self.log.disk_size())),
            ("dispatchBehindBytes".into(), "0".into()),
            ("putMessageEntireTimeMax".into(), self.put_latency.max_ms().to_string()),
            ("putMessageDistributeTime".into(), self.put_latency.distribution()),
            ("putMessageAverageTimeMicros".into(), self.put_latency.mean_us().to_string()),
            ("flushDistributeTime".into(), self.flush_latency.distribution()),
            ("flushTimeMax".into(), self.flush_latency.max_ms().to_string()),
            ("earliestMessageTimeStamp".into(), self.earliest_store_time().to_string()),
            ("storeMsgTotal".into(), self.put_total.load(Ordering::Relaxed).to_string()),
            ("storeBytesTotal".into(), self.put_bytes.load(Ordering::Relaxed).to_string()),
            ("indexFileCount".into(), self.index.file_count().to_string()),
            ("indexLastUpdatePhyOffset".into(), self.index.last_update().1.to_string()),
            // The 5.x names of the figures above, and the 5.x keys with nothing behind them
            // here (no dispatch buffer, no transient store pool: Integer.MAX_VALUE as 5.x).
            ("putMessageTimesTotal".into(), times.to_string()),
            ("putMessageSizeTotal".into(), bytes.to_string()),
            ("putMessageAverageSize".into(), format!("{:.1}", average(bytes, times))),
            ("putLatency99".into(), format!("{:.2}", self.put_latency.percentile_ms(0.99))),
            ("putLatency999".into(), format!("{:.2}", self.put_latency.percentile_ms(0.999))),
            ("dispatchMaxBuffer".into(), "0".into()),
            ("remainTransientStoreBufferNumbs".into(), i32::MAX.to_string()),
            (format!("commitLogDiskRatio_{}", self.config.commit_log_path().display()), ratio.clone()),
            ("consumeQueueDiskRatio".into(), ratio),
        ]
    }
}

#[allow(clippy::cast_precision_loss)]
fn average(total: u64, count: u64) -> f64 {
    if count == 0 {
        0.0
    } else {
        total as f64 / count as f64
    }
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

impl MessageStore {
    /// For queue `key`, whose reader got up to `end`, far behind the writer: starts background
    /// reads of the commit log after it and drops what every such reader has long passed
    /// (store/readahead.rs).
    fn read_ahead_from(&self, key: usize, end: u64) {
        if self.max_phy.load(Ordering::Acquire).saturating_sub(end) <= readahead::WINDOW {
            self.read_ahead.forget(key);
            return;
        }
        let plan = self
            .read_ahead
            .plan(key, end, std::time::Instant::now(), |from, to| self.log.cached_fraction(from, to) < 0.5);
        if let Some((from, to)) = plan.fetch {
            self.log.will_need(from, to);
        }
        for (from, to) in plan.evict {
            if let Err(e) = self.log.evict(from, to) {
                tracing::debug!(from, to, error = %e, "dropping a passed commit-log range from the page cache failed");
            }
        }
    }

    /// Bytes of commit log assumed cached: accessMessageInMemoryMaxRatio percent of RAM.
    /// RocketMQ's `isTheBatchFull`: once something is taken, stop at the count or byte limit
    /// of where this unit's record lies (in memory or on disk).
    fn batch_full(&self, taken: &[Bytes], bytes: usize, size: usize, max_phy: u64, budget: u64, u: &CqUnit) -> bool {
        if taken.is_empty() {
            return false;
        }
        let behind = max_phy.saturating_sub(u64::try_from(u.phy_offset).unwrap_or(0));
        let limit = if behind > budget { self.config.transfer.on_disk } else { self.config.transfer.in_memory };
        bytes + size > limit.bytes || taken.len() >= limit.count
    }

    fn memory_budget(&self) -> u64 {
        physical_memory() / 100 * u64::from(self.config.access_message_in_memory_max_ratio)
    }
}
