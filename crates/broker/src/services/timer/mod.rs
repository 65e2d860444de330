//! Timer messages: delivery at a given time (5.x `TIMER_DELIVER_MS`, `TIMER_DELAY_SEC`,
//! `TIMER_DELAY_MS`, and the 4.x ONS-style `__STARTDELIVERTIME`).
//!
//! A send with one of those properties is stored in `rmq_sys_wheel_timer` (queue 0) with its
//! real topic and queue and its due time (`TIMER_OUT_MS`) in properties. One task follows that
//! topic's consume queue and links each message into the on-disk [`wheel::TimerWheel`] under
//! its tick (due time rounded up to the precision, so nothing is delivered early), then delivers
//! every tick whose time has come by putting the message back on its real topic. Progress (consume
//! queue offset enqueued, next tick, durable timer-log end, counters) is written to
//! `<storeRoot>/timerwheel/progress.json` every second after the wheel is synced, so a restart
//! resumes where the last checkpoint left off: nothing lost, and duplicates only for ticks
//! delivered in the second before a crash.

pub mod wheel;

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rmq_common::message::MessageExt;
use rmq_common::property;
use rmq_store::MessageStore;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::persist::{load_with_backup, write_atomic};
use crate::state::parking::PullHold;
use crate::state::topics::system;
use wheel::{AddOutcome, TimerEntry, TimerWheel};

/// RocketMQ's timer property marking a delete marker (a recall): its value, `realTopic+uniqKey`,
/// names the timer message of the same due time that is not to be delivered.
pub const TIMER_DEL_UNIQKEY: &str = "TIMER_DEL_UNIQKEY";

/// How often an idle timer (only the cursor moving) writes its checkpoint.
const IDLE_CHECKPOINT: std::time::Duration = std::time::Duration::from_secs(60);

/// The due time of a send, if it is a timer message: `Ok(None)` for a plain message, `Err` for
/// an unparsable value. Relative delays count from `now`.
pub fn deliver_ms(props: &[(String, String)], now: i64) -> Result<Option<i64>, String> {
    let num = |key: &str| -> Result<Option<i64>, String> {
        property::get(props, key)
            .map(|v| v.trim().parse::<i64>().map_err(|_| format!("{key}={v:?} is not a number")))
            .transpose()
    };
    if let Some(sec) = num(property::TIMER_DELAY_SEC)? {
        return Ok(Some(now.saturating_add(sec.saturating_mul(1000))));
    }
    if let Some(ms) = num(property::TIMER_DELAY_MS)? {
        return Ok(Some(now.saturating_add(ms)));
    }
    if let Some(at) = num(property::TIMER_DELIVER_MS)? {
        return Ok(Some(at));
    }
    num(property::START_DELIVER_TIME)
}

/// Removes the timer request properties (a message with a delay level ignores them, as
/// RocketMQ does).
pub fn clear_timer_properties(props: &mut Vec<(String, String)>) {
    for key in [property::TIMER_DELIVER_MS, property::TIMER_DELAY_SEC, property::TIMER_DELAY_MS] {
        property::remove(props, key);
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Progress {
    /// Next offset of the timer topic's queue 0 to link into the wheel.
    enqueue_offset: i64,
    /// Next tick to deliver.
    cursor: i64,
    /// Timer-log entries on disk as of this checkpoint.
    log_end: u64,
    /// Messages linked into the wheel or delivered straight away, ever.
    enqueued: u64,
    /// Messages delivered, ever.
    delivered: u64,
}

/// The timer service: the wheel, its progress, and the handles its task uses.
#[derive(Debug)]
pub struct TimerService {
    dir: std::path::PathBuf,
    precision_ms: i64,
    wheel: Mutex<TimerWheel>,
    progress: Mutex<Progress>,
    /// What the last checkpoint wrote, and when.
    written: Mutex<(Progress, std::time::Instant)>,
    /// Enqueued and delivered counts when this run opened the service, and when (for TPS).
    opened: (u64, u64, std::time::Instant),
    store: Arc<MessageStore>,
    parking: Arc<PullHold>,
    stop: CancellationToken,
}

/// Where the timer keeps its files and how fine and far its wheel reaches.
#[derive(Debug, Clone, Copy)]
pub struct TimerLayout<'a> {
    /// The store root (`<root>/timerwheel` holds the files).
    pub store_root: &'a std::path::Path,
    /// Tick length, ms.
    pub precision_ms: i64,
    /// Longest delay the ring covers, ms.
    pub max_delay_ms: i64,
}

/// The handles the timer task uses.
#[derive(Debug, Clone)]
pub struct TimerHandles {
    /// Reads the timer topic, puts delivered messages.
    pub store: Arc<MessageStore>,
    /// Wakes the task when the timer topic gets a message.
    pub parking: Arc<PullHold>,
    /// Cancelled at shutdown.
    pub stop: CancellationToken,
}

impl TimerService {
    /// Opens `<storeRoot>/timerwheel` with a ring covering the layout's longest delay.
    pub fn open(layout: TimerLayout<'_>, handles: TimerHandles) -> std::io::Result<Self> {
        let TimerLayout { store_root, precision_ms, max_delay_ms } = layout;
        let dir = store_root.join("timerwheel");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("progress.json");
        let mut progress = load_with_backup(&path, |t| serde_json::from_str::<Progress>(t).ok()).unwrap_or_default();
        let slots = u64::try_from(max_delay_ms / precision_ms + 4).unwrap_or(1);
        let wheel = TimerWheel::open(&dir, slots, progress.log_end)?;
        if wheel.log_end() != progress.log_end {
            tracing::warn!("timer wheel rebuilt from scratch; timer messages are re-read from the commit log");
            progress = Progress { cursor: progress.cursor, ..Progress::default() };
        }
        if progress.cursor == 0 {
            progress.cursor = crate::now_ms() / precision_ms;
        }
        Ok(Self {
            dir,
            precision_ms,
            wheel: Mutex::new(wheel),
            progress: Mutex::new(progress),
            // Nothing written yet this run: the first checkpoint always writes.
            written: Mutex::new((Progress { enqueue_offset: -1, ..progress }, std::time::Instant::now())),
            opened: (progress.enqueued, progress.delivered, std::time::Instant::now()),
            store: handles.store,
            parking: handles.parking,
            stop: handles.stop,
        })
    }

    fn tick_of(&self, deliver_ms: i64) -> i64 {
        // Rounded up: a message is never delivered before its time.
        deliver_ms.div_euclid(self.precision_ms) + i64::from(deliver_ms.rem_euclid(self.precision_ms) != 0)
    }

    /// Syncs the wheel, then records progress (blocking: fsync).
    pub fn persist(&self) {
        self.checkpoint(true);
    }

    /// As `persist`, but while the timer is idle (only the cursor moving) at most once a
    /// minute: a restart from an older cursor only rescans empty slots.
    fn checkpoint(&self, force: bool) {
        {
            let p = *self.progress.lock();
            let (w, at) = *self.written.lock();
            let idle = Progress { cursor: w.cursor, ..p } == w && p.log_end == self.wheel.lock().log_end();
            if !force && idle && at.elapsed() < IDLE_CHECKPOINT {
                return;
            }
        }
        let log_end = {
            let w = self.wheel.lock();
            if let Err(e) = w.sync() {
                tracing::error!(cause = %e, "syncing the timer wheel failed");
                return;
            }
            w.log_end()
        };
        let p = {
            let mut p = self.progress.lock();
            p.log_end = log_end;
            *p
        };
        match serde_json::to_string_pretty(&p) {
            Ok(text) => {
                if let Err(e) = write_atomic(&self.dir.join("progress.json"), &text) {
                    tracing::error!(cause = %e, "persisting timer progress failed");
                } else {
                    *self.written.lock() = (p, std::time::Instant::now());
                }
            }
            Err(e) => tracing::error!(cause = %e, "encoding timer progress failed"),
        }
    }

    /// Timer messages stored and not delivered yet.
    #[must_use]
    pub fn backlog(&self) -> i64 {
        let p = *self.progress.lock();
        let not_linked = self.store.max_offset(system::TIMER, 0) - p.enqueue_offset;
        i64::try_from(p.enqueued.saturating_sub(p.delivered)).unwrap_or(0) + not_linked.max(0)
    }

    /// Runtime-info figures.
    #[must_use]
    pub fn stats(&self) -> Vec<(String, String)> {
        let p = *self.progress.lock();
        let secs = self.opened.2.elapsed().as_secs_f64().max(1.0);
        vec![
            ("timerBacklog".into(), self.backlog().to_string()),
            ("timerOffsetBehind".into(), (self.store.max_offset(system::TIMER, 0) - p.enqueue_offset).to_string()),
            ("timerCursorMs".into(), (p.cursor * self.precision_ms).to_string()),
            ("timerDelivered".into(), p.delivered.to_string()),
            ("timerEnqueueTps".into(), format!("{:.1}", per_second(p.enqueued.saturating_sub(self.opened.0), secs))),
            ("timerDequeueTps".into(), format!("{:.1}", per_second(p.delivered.saturating_sub(self.opened.1), secs))),
            ("timerReadBehind".into(), ((crate::now_ms() - p.cursor * self.precision_ms).max(0) / 1000).to_string()),
            ("timerCongestNum".into(), "0".into()),
        ]
    }

    /// Starts the timer task (masters).
    pub fn spawn(self: &Arc<Self>) {
        let this = Arc::clone(self);
        tokio::spawn(async move { this.run().await });
    }

    async fn run(self: Arc<Self>) {
        let notifier = self.parking.notifier(system::TIMER, 0);
        let mut last_persist = std::time::Instant::now();
        loop {
            if self.stop.is_cancelled() {
                self.persist();
                return;
            }
            let busy = self.enqueue().await;
            let failed = self.deliver().await;
            if last_persist.elapsed() >= Duration::from_secs(1) {
                self.checkpoint_and_reclaim().await;
                last_persist = std::time::Instant::now();
            }
            if busy && !failed {
                continue;
            }
            let now = crate::now_ms();
            let next_tick_ms = (self.progress.lock().cursor * self.precision_ms - now).clamp(1, 200);
            let wait = if failed { 1000 } else { next_tick_ms };
            let wake = notifier.notified();
            tokio::select! {
                () = wake => {}
                () = tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(100))) => {}
                () = self.stop.cancelled() => {}
            }
        }
    }

    /// Writes a checkpoint (off the request workers: fsync), then frees delivered slots and
    /// tells the store how far back the wheel still points.
    async fn checkpoint_and_reclaim(self: &Arc<Self>) {
        let this = Arc::clone(self);
        let _ = tokio::task::spawn_blocking(move || this.checkpoint(false)).await;
        let cursor_ms = self.progress.lock().cursor * self.precision_ms;
        let floor = {
            let mut w = self.wheel.lock();
            w.reclaim(cursor_ms);
            w.min_phy()
        };
        self.store.set_retention_floor(floor);
    }

    /// Links new timer-topic messages into the wheel; true when more are waiting.
    async fn enqueue(&self) -> bool {
        let offset = self.progress.lock().enqueue_offset.max(self.store.min_offset(system::TIMER, 0));
        let got = self.store.get_messages(system::TIMER, 0, offset, 64, &|_| true);
        let mut next = offset;
        for rec in &got.messages {
            let Ok(m) = MessageExt::decode(rec) else {
                next += 1;
                continue;
            };
            if !self.link(&m).await {
                break;
            }
            next = m.queue_offset + 1;
        }
        if got.messages.is_empty() {
            next = next.max(got.next_begin_offset.min(self.store.max_offset(system::TIMER, 0)));
        }
        let mut p = self.progress.lock();
        let moved = next != p.enqueue_offset;
        p.enqueue_offset = next;
        moved && next < self.store.max_offset(system::TIMER, 0)
    }

    /// Links one message into the wheel, or delivers it now when it is already due; false when
    /// that failed (the message is tried again next round).
    async fn link(&self, m: &MessageExt) -> bool {
        let due = property::get(&m.properties, property::TIMER_OUT_MS).and_then(|v| v.parse::<i64>().ok());
        let Some(due) = due else {
            tracing::warn!(offset = m.queue_offset, "timer message without TIMER_OUT_MS delivered at once");
            return self.put_back(m).await;
        };
        let tick = self.tick_of(due);
        let cursor = self.progress.lock().cursor;
        if tick < cursor {
            // Already due (a backlog after a restart): deliver now.
            if !self.put_back(m).await {
                return false;
            }
            self.progress.lock().delivered += 1;
        } else {
            let size = i32::try_from(m.store_size).unwrap_or(i32::MAX);
            let entry = TimerEntry { deliver_ms: due, phy: m.commit_log_offset, size };
            let added = self.wheel.lock().add(tick, cursor, entry);
            match added {
                Ok(AddOutcome::Added) => {}
                Ok(AddOutcome::SlotBusy) => return false,
                Err(e) => {
                    tracing::error!(cause = %e, "writing the timer wheel failed");
                    return false;
                }
            }
        }
        self.progress.lock().enqueued += 1;
        true
    }

    /// Delivers every tick whose time has come; true when a put failed (retry later).
    async fn deliver(&self) -> bool {
        loop {
            let cursor = self.progress.lock().cursor;
            if cursor * self.precision_ms > crate::now_ms() {
                return false;
            }
            let entries = match self.wheel.lock().entries(cursor) {
                Ok(v) => v,
                Err(e) => {
                    tracing::error!(cause = %e, tick = cursor, "reading the timer wheel failed");
                    return true;
                }
            };
            // Two reads of the tick (markers, then delivery) keep one message in memory at a time.
            let recalled: std::collections::HashSet<String> = entries
                .iter()
                .filter_map(|e| self.read(e))
                .filter_map(|m| property::get(&m.properties, TIMER_DEL_UNIQKEY).map(str::to_owned))
                .collect();
            for m in entries.iter().filter_map(|e| self.read(e)) {
                if !recalled_or_marker(&m.properties, &recalled) && !self.put_back(&m).await {
                    return true;
                }
            }
            if let Err(e) = self.wheel.lock().clear(cursor) {
                tracing::error!(cause = %e, "clearing a timer slot failed");
                return true;
            }
            let mut p = self.progress.lock();
            p.delivered += entries.len() as u64;
            p.cursor = cursor + 1;
        }
    }

    /// The message of a wheel entry; `None` when it is gone from the commit log (logged).
    fn read(&self, e: &TimerEntry) -> Option<MessageExt> {
        let rec = self.store.message_by_offset(e.phy);
        if rec.is_none() {
            tracing::warn!(phy = e.phy, "timer message no longer in the commit log");
        }
        rec.and_then(|r| MessageExt::decode(&r).ok())
    }

    /// Puts a parked message back on its real topic; false on a store failure.
    async fn put_back(&self, m: &MessageExt) -> bool {
        let Some(real) = crate::services::schedule::unpark(m) else {
            tracing::warn!(offset = m.queue_offset, "timer message without REAL_TOPIC/REAL_QID dropped");
            return true;
        };
        let r = self.store.put_message(real).await;
        let ok = crate::services::stored(r.status);
        if !ok {
            tracing::warn!(remark = %r.remark, "delivering a timer message failed; retrying in 1 s");
        }
        ok
    }
}

/// True for a delete marker (never delivered) and for a message a marker of its tick recalls
/// (`recalled`: the `realTopic+uniqKey` values of the tick's markers; a marker has the due time
/// of the message it recalls, so both fall in the same tick).
fn recalled_or_marker(props: &[(String, String)], recalled: &std::collections::HashSet<String>) -> bool {
    if property::get(props, TIMER_DEL_UNIQKEY).is_some() {
        return true;
    }
    let (Some(topic), Some(uniq)) =
        (property::get(props, property::REAL_TOPIC), property::get(props, property::UNIQ_KEY))
    else {
        return false;
    };
    // `realTopic+uniqKey` (ours, and RocketMQ with appendTopicForTimerDeleteKey), or the bare
    // uniqKey (RocketMQ's default key).
    let hit = recalled.contains(&format!("{topic}+{uniq}")) || recalled.contains(uniq);
    if hit {
        tracing::info!(topic, uniq, "timer message recalled: not delivered");
    }
    hit
}

#[allow(clippy::cast_precision_loss)] // a rate for display: precision past 2^52 messages is moot
fn per_second(count: u64, secs: f64) -> f64 {
    count as f64 / secs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn due_times_from_each_property() {
        let now = 1_000_000;
        assert_eq!(deliver_ms(&props(&[]), now), Ok(None));
        assert_eq!(deliver_ms(&props(&[("TIMER_DELAY_SEC", "5")]), now), Ok(Some(1_005_000)));
        assert_eq!(deliver_ms(&props(&[("TIMER_DELAY_MS", "1500")]), now), Ok(Some(1_001_500)));
        assert_eq!(deliver_ms(&props(&[("TIMER_DELIVER_MS", "2000000")]), now), Ok(Some(2_000_000)));
        assert_eq!(deliver_ms(&props(&[("__STARTDELIVERTIME", "3000000")]), now), Ok(Some(3_000_000)));
        assert!(deliver_ms(&props(&[("TIMER_DELAY_SEC", "soon")]), now).is_err());
    }

    #[test]
    fn recall_markers_hide_their_message_and_themselves() {
        let marker = props(&[("TIMER_DEL_UNIQKEY", "T+ID1"), ("REAL_TOPIC", "T"), ("UNIQ_KEY", "M1")]);
        let recalled = std::collections::HashSet::from(["T+ID1".to_owned()]);
        assert!(recalled_or_marker(&marker, &recalled), "a marker is never delivered");
        assert!(recalled_or_marker(&props(&[("REAL_TOPIC", "T"), ("UNIQ_KEY", "ID1")]), &recalled));
        assert!(!recalled_or_marker(&props(&[("REAL_TOPIC", "T"), ("UNIQ_KEY", "ID2")]), &recalled));
        assert!(!recalled_or_marker(&props(&[("REAL_TOPIC", "U"), ("UNIQ_KEY", "ID1")]), &recalled));
        let bare = std::collections::HashSet::from(["ID3".to_owned()]);
        assert!(
            recalled_or_marker(&props(&[("REAL_TOPIC", "U"), ("UNIQ_KEY", "ID3")]), &bare),
            "RocketMQ's default key"
        );
    }

    #[test]
    fn ticks_round_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = MessageStore::open(rmq_store::StoreConfig { root: dir.path().join("store"), ..Default::default() })
            .unwrap();
        let handles = TimerHandles { store, parking: Arc::default(), stop: CancellationToken::new() };
        let layout = TimerLayout { store_root: dir.path(), precision_ms: 1000, max_delay_ms: 10_000 };
        let t = TimerService::open(layout, handles).unwrap();
        assert_eq!(t.tick_of(5000), 5);
        assert_eq!(t.tick_of(5001), 6);
        assert_eq!(t.tick_of(5999), 6);
    }
}
