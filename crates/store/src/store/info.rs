//! The store's figures for GET_BROKER_RUNTIME_INFO, under their 4.x and 5.x names.

use super::disk::DiskGuard;
use crate::commit_log::CommitLog;
use crate::index::IndexService;
use crate::metrics::StoreMetrics;
use crate::offset::PhyOffset;

/// What the figures are read from.
pub(super) struct Figures<'a> {
    pub(super) log: &'a CommitLog,
    pub(super) index: &'a IndexService,
    pub(super) metrics: &'a StoreMetrics,
    pub(super) disk: &'a DiskGuard,
    pub(super) end: PhyOffset,
    pub(super) flushed: PhyOffset,
    pub(super) earliest_store_time: i64,
}

impl Figures<'_> {
    /// The figures as (key, value) pairs.
    pub(super) fn runtime_info(&self) -> Vec<(String, String)> {
        let m = self.metrics;
        let permille = self.disk.used_permille();
        let ratio = format!("{}.{:03}", permille / 1000, permille % 1000);
        let (times, bytes) = (m.total(), m.bytes());
        let figures: [(&str, String); 16] = [
            ("commitLogMaxOffset", self.end.to_string()),
            ("commitLogMinOffset", self.log.min_offset().to_string()),
            ("remainHowManyDataToFlush", self.end.since(self.flushed).to_string()),
            ("commitLogDiskRatio", ratio.clone()),
            ("commitLogDirCapacity", format!("Total : {} bytes", self.log.disk_size())),
            ("dispatchBehindBytes", "0".into()),
            ("putMessageEntireTimeMax", m.put_latency.max_ms().to_string()),
            ("putMessageDistributeTime", m.put_latency.distribution()),
            ("putMessageAverageTimeMicros", m.put_latency.mean_us().to_string()),
            ("flushDistributeTime", m.flush_latency.distribution()),
            ("flushTimeMax", m.flush_latency.max_ms().to_string()),
            ("earliestMessageTimeStamp", self.earliest_store_time.to_string()),
            ("storeMsgTotal", times.to_string()),
            ("storeBytesTotal", bytes.to_string()),
            ("indexFileCount", self.index.file_count().to_string()),
            ("indexLastUpdatePhyOffset", self.index.last_update().1.to_string()),
        ];
        let mut out: Vec<(String, String)> = figures.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        // The 5.x names of the figures above, and the 5.x keys with nothing behind them here
        // (no dispatch buffer, no transient store pool: Integer.MAX_VALUE as 5.x).
        out.extend([
            ("putMessageTimesTotal".into(), times.to_string()),
            ("putMessageSizeTotal".into(), bytes.to_string()),
            ("putMessageAverageSize".into(), format!("{:.1}", average(bytes, times))),
            ("putLatency99".into(), format!("{:.2}", m.put_latency.percentile_ms(0.99))),
            ("putLatency999".into(), format!("{:.2}", m.put_latency.percentile_ms(0.999))),
            ("dispatchMaxBuffer".into(), "0".into()),
            ("remainTransientStoreBufferNumbs".into(), i32::MAX.to_string()),
            (format!("commitLogDiskRatio_{}", self.disk.path().display()), ratio.clone()),
            ("consumeQueueDiskRatio".into(), ratio),
        ]);
        out
    }
}

/// `total / count` (0 with no samples).
#[allow(clippy::cast_precision_loss)] // a figure shown with one decimal: precision past 2^52 is moot
fn average(total: u64, count: u64) -> f64 {
    if count == 0 {
        0.0
    } else {
        total as f64 / count as f64
    }
}
