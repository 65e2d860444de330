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
use rmq_store::PutStatus;

use crate::persist::{load_with_backup, write_atomic};
use crate::topics::system;
use crate::Broker;

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

    /// Messages not delivered yet per level (for runtime info).
    #[must_use]
    pub fn backlog(&self, broker: &Broker) -> i64 {
        let t = self.table.lock();
        (1..=i32::try_from(broker.delay_levels.len()).unwrap_or(0))
            .map(|level| broker.store.max_offset(system::SCHEDULE, level - 1) - t.get(&level).copied().unwrap_or(0))
            .sum()
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

impl Broker {
    /// Starts one delivery task per delay level (masters only).
    pub fn spawn_schedule(self: &Arc<Self>) {
        if !self.config.is_master() {
            return;
        }
        for (i, delay) in self.delay_levels.iter().enumerate() {
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
                        let b = Arc::clone(&this);
                        let _ = tokio::task::spawn_blocking(move || b.delay_offsets.persist()).await;
                    }
                    () = this.stop.cancelled() => break,
                }
            }
        });
    }

    async fn deliver_level(self: Arc<Self>, level: i32, delay: Duration) {
        let queue = level - 1;
        let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        let notifier = self.pull_hold.notifier(system::SCHEDULE, queue);
        loop {
            if self.stop.is_cancelled() {
                return;
            }
            let offset = self.delay_offsets.get(level).max(self.store.min_offset(system::SCHEDULE, queue));
            let got = self.store.get_messages(system::SCHEDULE, queue, offset, 32, &|_| true);
            let mut next_wait = Duration::from_millis(100);
            let mut advanced = offset;
            let mut blocked = false;
            for (i, rec) in got.messages.iter().enumerate() {
                let Ok(m) = MessageExt::decode(rec) else {
                    advanced = offset + i64::try_from(i).unwrap_or(0) + 1;
                    continue;
                };
                let due = m.store_timestamp + delay_ms;
                let now = crate::now_ms();
                if due > now {
                    next_wait = Duration::from_millis(u64::try_from(due - now).unwrap_or(100).min(1000));
                    blocked = true;
                    break;
                }
                match unpark(&m) {
                    Some(real) => {
                        let r = self.store.put_message(real).await;
                        if !matches!(
                            r.status,
                            PutStatus::Ok
                                | PutStatus::FlushDiskTimeout
                                | PutStatus::FlushSlaveTimeout
                                | PutStatus::SlaveNotAvailable
                        ) {
                            tracing::warn!(level, remark = %r.remark, "re-putting a delayed message failed; retrying in 1 s");
                            next_wait = Duration::from_secs(1);
                            blocked = true;
                            break;
                        }
                    }
                    None => tracing::warn!(
                        level,
                        offset = m.queue_offset,
                        "delayed message without REAL_TOPIC/REAL_QID dropped"
                    ),
                }
                advanced = m.queue_offset + 1;
            }
            if !blocked && got.messages.is_empty() {
                advanced = advanced.max(got.next_begin_offset.min(self.store.max_offset(system::SCHEDULE, queue)));
            }
            if advanced != offset {
                self.delay_offsets.set(level, advanced);
                continue;
            }
            let wake = notifier.notified();
            tokio::select! {
                () = wake => {}
                () = tokio::time::sleep(next_wait) => {}
                () = self.stop.cancelled() => return,
            }
        }
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
