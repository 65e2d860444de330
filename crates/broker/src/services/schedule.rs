//! Delayed delivery by level: messages parked in SCHEDULE_TOPIC_XXXX (queue = level − 1) are
//! put back on their real topic and queue once `store time + level delay` has passed. Progress
//! per level is kept in delayOffset.json (`{"offsetTable":{level:offset}}`), persisted every
//! second while moving and at shutdown; delivery resumes from there after a restart.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rmq_common::message::{MessageExt, StoreMessage};
use rmq_common::property;

use rmq_store::{GetMessageResult, MessageStore};
use tokio_util::sync::CancellationToken;

use crate::persist::{load_with_backup, write_atomic};
use crate::state::parking::PullHold;
use crate::state::topics::system;

/// Progress of each delay level.
#[derive(Debug)]
pub struct DelayOffsets {
    path: PathBuf,
    table: Mutex<BTreeMap<i32, i64>>,
    /// Changed since the last write.
    dirty: AtomicBool,
    /// Data version: changes so far and the time of the last one (ms).
    version_counter: AtomicI64,
    version_timestamp: AtomicI64,
}

impl DelayOffsets {
    /// Loads `<config>/delayOffset.json`.
    #[must_use]
    pub fn load(config_dir: &std::path::Path) -> Self {
        let path = config_dir.join("delayOffset.json");
        let table = load_with_backup(&path, Self::parse).unwrap_or_default();
        Self {
            path,
            table: Mutex::new(table),
            dirty: AtomicBool::new(false),
            version_counter: AtomicI64::new(0),
            version_timestamp: AtomicI64::new(crate::now_ms()),
        }
    }

    fn parse(text: &str) -> Option<BTreeMap<i32, i64>> {
        let v: serde_json::Value = serde_json::from_str(&rmq_remoting::body::fastjson::normalize(text)).ok()?;
        let table = v.get("offsetTable")?.as_object()?;
        Some(table.iter().filter_map(|(k, v)| Some((k.parse().ok()?, v.as_i64()?))).collect())
    }

    /// The official 5.x JSON (bare numeric keys, fastjson's key order), also served by
    /// GET_ALL_DELAY_OFFSET: `{"dataVersion":{..},"offsetTable":{1:0,..}}`.
    #[must_use]
    pub fn to_json(&self) -> String {
        let t = self.table.lock();
        let inner: Vec<String> = t.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        format!(
            "{{\"dataVersion\":{{\"counter\":{},\"stateVersion\":0,\"timestamp\":{}}},\"offsetTable\":{{{}}}}}",
            self.version_counter.load(Ordering::Relaxed),
            self.version_timestamp.load(Ordering::Relaxed),
            inner.join(",")
        )
    }

    /// Each level's progress, by level.
    #[must_use]
    pub fn levels(&self) -> Vec<(i32, i64)> {
        self.table.lock().iter().map(|(k, v)| (*k, *v)).collect()
    }

    fn get(&self, level: i32) -> i64 {
        self.table.lock().get(&level).copied().unwrap_or(0)
    }

    fn set(&self, level: i32, offset: i64) {
        if self.table.lock().insert(level, offset) != Some(offset) {
            self.dirty.store(true, Ordering::Release);
            self.version_counter.fetch_add(1, Ordering::Relaxed);
            self.version_timestamp.store(crate::now_ms(), Ordering::Relaxed);
        }
    }

    /// Replaces the table with the master's (slave metadata sync) and persists it.
    pub fn replace_from_json(&self, text: &str) {
        if let Some(t) = Self::parse(text) {
            *self.table.lock() = t;
            self.dirty.store(true, Ordering::Release);
            self.persist();
        }
    }

    /// Writes the file if anything changed since the last write (blocking: file I/O and fsync).
    pub fn persist(&self) {
        if self.dirty.swap(false, Ordering::AcqRel) {
            if let Err(e) = write_atomic(&self.path, &self.to_json()) {
                self.dirty.store(true, Ordering::Release);
                tracing::error!(cause = %e, "persisting delay offsets failed");
            }
        }
    }
}

/// Rebuilds the real message from a parked one.
pub(crate) fn unpark(m: &MessageExt) -> Option<StoreMessage> {
    let topic = property::get(&m.properties, property::REAL_TOPIC)?.to_owned();
    let queue_id = property::get(&m.properties, property::REAL_QID)?.parse().ok()?;
    let mut props = m.properties.clone();
    // DELAY stays, as on Apache RocketMQ: consumers read the level (getDelayTimeLevel()).
    property::remove(&mut props, property::REAL_TOPIC);
    property::remove(&mut props, property::REAL_QID);
    Some(StoreMessage { topic, queue_id, properties: props, ..StoreMessage::from(m) })
}

/// The delay service: one delivery task per level, and the progress table.
#[derive(Debug)]
pub struct ScheduleService {
    levels: Vec<Duration>,
    offsets: DelayOffsets,
    store: Arc<MessageStore>,
    parking: Arc<PullHold>,
    stop: CancellationToken,
}

/// What one look at a level's queue found.
struct LevelScan {
    /// Offset after the last message handled.
    advanced: i64,
    /// How long to wait before looking again when nothing moved.
    next_wait: Duration,
}

impl ScheduleService {
    /// A service over `levels` (`messageDelayLevel`), resuming from `offsets`.
    #[must_use]
    pub fn new(
        levels: Vec<Duration>,
        offsets: DelayOffsets,
        store: Arc<MessageStore>,
        parking: Arc<PullHold>,
        stop: CancellationToken,
    ) -> Self {
        Self { levels, offsets, store, parking, stop }
    }

    /// The delay of each level (level n at index n − 1).
    #[must_use]
    pub fn levels(&self) -> &[Duration] {
        &self.levels
    }

    /// The progress table as the official JSON (GET_ALL_DELAY_OFFSET).
    #[must_use]
    pub fn offsets_json(&self) -> String {
        self.offsets.to_json()
    }

    /// Replaces the progress table with the master's (slave metadata sync) and persists it.
    pub fn replace_offsets_from_json(&self, text: &str) {
        self.offsets.replace_from_json(text);
    }

    /// Writes the progress table if it changed (blocking: file I/O and fsync).
    pub fn persist(&self) {
        self.offsets.persist();
    }

    /// Each level's progress, by level (for runtime info).
    #[must_use]
    pub fn level_offsets(&self) -> Vec<(i32, i64)> {
        self.offsets.levels()
    }

    /// Messages not delivered yet, all levels together (for runtime info).
    #[must_use]
    pub fn backlog(&self) -> i64 {
        (1..=i32::try_from(self.levels.len()).unwrap_or(0))
            .map(|level| self.store.max_offset(system::SCHEDULE, level - 1) - self.offsets.get(level))
            .sum()
    }

    /// Starts one delivery task per delay level and the progress writer.
    pub fn spawn(self: &Arc<Self>) {
        for (i, delay) in self.levels.iter().enumerate() {
            let level = i32::try_from(i + 1).unwrap_or(1);
            let this = Arc::clone(self);
            let delay = *delay;
            tokio::spawn(async move { this.deliver_level(level, delay).await });
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {
                        // File I/O and fsync stay off the request workers.
                        let s = Arc::clone(&this);
                        let _ = tokio::task::spawn_blocking(move || s.offsets.persist()).await;
                    }
                    () = this.stop.cancelled() => break,
                }
            }
        });
    }

    async fn deliver_level(self: Arc<Self>, level: i32, delay: Duration) {
        let queue = level - 1;
        let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        let notifier = self.parking.notifier(system::SCHEDULE, queue);
        loop {
            if self.stop.is_cancelled() {
                return;
            }
            let offset = self.offsets.get(level).max(self.store.min_offset(system::SCHEDULE, queue));
            let got = self.store.get_messages(system::SCHEDULE, queue, offset, 32, &|_| true);
            let scan = self.deliver_due(level, offset, delay_ms, &got).await;
            if scan.advanced != offset {
                self.offsets.set(level, scan.advanced);
                continue;
            }
            let wake = notifier.notified();
            tokio::select! {
                () = wake => {}
                () = tokio::time::sleep(scan.next_wait) => {}
                () = self.stop.cancelled() => return,
            }
        }
    }

    /// Puts back every message of `got` whose time has come, stopping at the first that is not
    /// due yet or cannot be stored.
    async fn deliver_due(&self, level: i32, offset: i64, delay_ms: i64, got: &GetMessageResult) -> LevelScan {
        let mut scan = LevelScan { advanced: offset, next_wait: Duration::from_millis(100) };
        for (i, rec) in got.messages.iter().enumerate() {
            let Ok(m) = MessageExt::decode(rec) else {
                scan.advanced = offset + i64::try_from(i).unwrap_or(0) + 1;
                continue;
            };
            let due = m.store_timestamp + delay_ms;
            let now = crate::now_ms();
            if due > now {
                scan.next_wait = Duration::from_millis(u64::try_from(due - now).unwrap_or(100).min(1000));
                return scan;
            }
            if !self.put_back(level, &m).await {
                scan.next_wait = Duration::from_secs(1);
                return scan;
            }
            scan.advanced = m.queue_offset + 1;
        }
        if got.messages.is_empty() {
            let end = got.next_begin_offset.min(self.store.max_offset(system::SCHEDULE, level - 1));
            scan.advanced = scan.advanced.max(end);
        }
        scan
    }

    /// Stores the real message of a parked one; false when the store refused it (retry later).
    async fn put_back(&self, level: i32, m: &MessageExt) -> bool {
        let Some(real) = unpark(m) else {
            tracing::warn!(level, offset = m.queue_offset, "delayed message without REAL_TOPIC/REAL_QID dropped");
            return true;
        };
        let r = self.store.put_message(real).await;
        let ok = super::stored(r.status);
        if !ok {
            tracing::warn!(level, remark = %r.remark, "re-putting a delayed message failed; retrying in 1 s");
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_offsets_in_the_5x_shape_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let d = DelayOffsets::load(dir.path());
        d.set(1, 5);
        d.set(3, 2);
        d.set(3, 2); // unchanged: no new version
        let ts = d.version_timestamp.load(Ordering::Relaxed);
        let text = d.to_json();
        assert_eq!(
            text,
            format!(r#"{{"dataVersion":{{"counter":2,"stateVersion":0,"timestamp":{ts}}},"offsetTable":{{1:5,3:2}}}}"#)
        );
        assert_eq!(DelayOffsets::parse(&text), Some(BTreeMap::from([(1, 5), (3, 2)])));
        // The 4.x file without a data version still reads.
        assert_eq!(DelayOffsets::parse(r#"{"offsetTable":{2:7}}"#), Some(BTreeMap::from([(2, 7)])));
    }
}
