//! Moving-window statistics, as Apache RocketMQ's `BrokerStatsManager` keeps them: per stats
//! item (a name such as `TOPIC_PUT_NUMS` and a key such as the topic) the sum, the rate and
//! the average per event over the last minute, hour and day; and the broker-wide put and get
//! rates over the last 10 s, 1 min and 10 min that GET_BROKER_RUNTIME_INFO reports.
//!
//! Each window is a ring of fixed-width buckets stamped with their slot number (time divided
//! by the width): a bucket older than the ring is reset on its next use, so idle keys cost
//! nothing to keep current.

use dashmap::DashMap;
use parking_lot::Mutex;

/// The stats names the broker keeps (RocketMQ's `Stats` / `BrokerStatsManager` constants).
pub mod names {
    /// Messages put on a topic; key: topic.
    pub const TOPIC_PUT_NUMS: &str = "TOPIC_PUT_NUMS";
    /// Bytes put on a topic; key: topic.
    pub const TOPIC_PUT_SIZE: &str = "TOPIC_PUT_SIZE";
    /// Messages a group pulled from a topic; key: `topic@group`.
    pub const GROUP_GET_NUMS: &str = "GROUP_GET_NUMS";
    /// Bytes a group pulled from a topic; key: `topic@group`.
    pub const GROUP_GET_SIZE: &str = "GROUP_GET_SIZE";
    /// Messages put on the broker; key: cluster name.
    pub const BROKER_PUT_NUMS: &str = "BROKER_PUT_NUMS";
    /// Messages pulled from the broker; key: cluster name.
    pub const BROKER_GET_NUMS: &str = "BROKER_GET_NUMS";
}

/// One bucket: the slot it counts for, the value summed and the events counted.
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    slot: u64,
    sum: u64,
    times: u64,
}

/// A ring of `len` buckets, each `width_ms` wide.
#[derive(Debug)]
struct Ring {
    width_ms: u64,
    buckets: Vec<Bucket>,
}

impl Ring {
    fn new(width_ms: u64, len: usize) -> Self {
        Self { width_ms, buckets: vec![Bucket::default(); len] }
    }

    fn index(&self, slot: u64) -> usize {
        usize::try_from(slot % self.buckets.len() as u64).unwrap_or(0)
    }

    fn add(&mut self, now_ms: u64, value: u64) {
        let slot = now_ms / self.width_ms;
        let i = self.index(slot);
        let b = &mut self.buckets[i];
        if b.slot != slot {
            *b = Bucket { slot, sum: 0, times: 0 };
        }
        b.sum += value;
        b.times += 1;
    }

    /// Sum and events of the last `n` slots, the current one included.
    fn last(&self, now_ms: u64, n: u64) -> (u64, u64) {
        let current = now_ms / self.width_ms;
        let oldest = current.saturating_sub(n.saturating_sub(1));
        self.buckets
            .iter()
            .filter(|b| b.slot >= oldest && b.slot <= current && (b.sum > 0 || b.times > 0))
            .fold((0, 0), |(s, t), b| (s + b.sum, t + b.times))
    }

    /// The snapshot of the whole ring.
    fn snapshot(&self, now_ms: u64) -> Snapshot {
        let n = self.buckets.len() as u64;
        let (sum, times) = self.last(now_ms, n);
        Snapshot::of(sum, times, n * self.width_ms)
    }
}

/// What one window says, as RocketMQ's `StatsSnapshot`: the sum, the rate per second and the
/// average value per event.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Snapshot {
    /// Sum of the values in the window.
    pub sum: u64,
    /// Sum per second of the window.
    pub tps: f64,
    /// Sum per event.
    pub avgpt: f64,
}

impl Snapshot {
    #[allow(clippy::cast_precision_loss)] // rates for display
    fn of(sum: u64, times: u64, span_ms: u64) -> Self {
        let tps = sum as f64 * 1000.0 / span_ms.max(1) as f64;
        let avgpt = if times == 0 { 0.0 } else { sum as f64 / times as f64 };
        Self { sum, tps, avgpt }
    }
}

/// One stats item: its minute (6 x 10 s), hour (60 x 1 min) and day (24 x 1 h) windows.
#[derive(Debug)]
struct Item {
    minute: Ring,
    hour: Ring,
    day: Ring,
}

impl Item {
    fn new() -> Self {
        Self { minute: Ring::new(10_000, 6), hour: Ring::new(60_000, 60), day: Ring::new(3_600_000, 24) }
    }
}

/// An item's three windows: minute, hour, day.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ItemStats {
    /// Last minute.
    pub minute: Snapshot,
    /// Last hour.
    pub hour: Snapshot,
    /// Last 24 hours.
    pub day: Snapshot,
}

/// The names kept, in table order.
const NAMES: [&str; 6] = [
    names::TOPIC_PUT_NUMS,
    names::TOPIC_PUT_SIZE,
    names::GROUP_GET_NUMS,
    names::GROUP_GET_SIZE,
    names::BROKER_PUT_NUMS,
    names::BROKER_GET_NUMS,
];

/// Every stats item: one table per name, items by key (looked up without allocating once
/// the key exists: this runs on every send and pull).
#[derive(Debug)]
pub struct StatsTable {
    tables: [DashMap<String, Item>; 6],
}

impl Default for StatsTable {
    fn default() -> Self {
        Self { tables: std::array::from_fn(|_| DashMap::new()) }
    }
}

impl StatsTable {
    fn table(&self, name: &str) -> Option<&DashMap<String, Item>> {
        NAMES.iter().position(|n| *n == name).and_then(|i| self.tables.get(i))
    }

    /// Adds `value` (one event) to the item `name`/`key` at `now_ms` (names outside
    /// [`names`] are ignored).
    pub fn add(&self, name: &'static str, key: &str, value: u64, now_ms: u64) {
        let Some(table) = self.table(name) else { return };
        let add = |item: &mut Item| {
            item.minute.add(now_ms, value);
            item.hour.add(now_ms, value);
            item.day.add(now_ms, value);
        };
        if let Some(mut item) = table.get_mut(key) {
            add(&mut item);
            return;
        }
        add(&mut table.entry(key.to_owned()).or_insert_with(Item::new));
    }

    /// The item's windows, `None` for an item never counted (as RocketMQ answers "not exist").
    pub fn get(&self, name: &str, key: &str, now_ms: u64) -> Option<ItemStats> {
        let item = self.table(name)?.get(key)?;
        Some(ItemStats {
            minute: item.minute.snapshot(now_ms),
            hour: item.hour.snapshot(now_ms),
            day: item.day.snapshot(now_ms),
        })
    }
}

/// A broker-wide rate: one-second buckets over 10 minutes.
#[derive(Debug)]
pub struct Rate {
    ring: Mutex<Ring>,
}

impl Default for Rate {
    fn default() -> Self {
        Self { ring: Mutex::new(Ring::new(1000, 601)) }
    }
}

impl Rate {
    /// Counts `n` events at `now_ms`.
    pub fn add(&self, n: u64, now_ms: u64) {
        self.ring.lock().add(now_ms, n);
    }

    /// Events per second over the last 10 s, 1 min and 10 min, as `"a b c"` with 2 decimals
    /// (the `putTps` / `getTransferredTps` form). The current, partial second is left out.
    #[must_use]
    pub fn tps3(&self, now_ms: u64) -> String {
        let ring = self.ring.lock();
        let before = now_ms.saturating_sub(1000);
        let rate = |secs: u64| {
            #[allow(clippy::cast_precision_loss)]
            let r = ring.last(before, secs).0 as f64 / secs as f64;
            r
        };
        format!("{:.2} {:.2} {:.2}", rate(10), rate(60), rate(600))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000_000;

    #[test]
    fn windows_forget_what_is_older_than_them() {
        let t = StatsTable::default();
        t.add(names::TOPIC_PUT_NUMS, "T", 5, T0);
        t.add(names::TOPIC_PUT_NUMS, "T", 7, T0 + 1);
        let now = t.get("TOPIC_PUT_NUMS", "T", T0 + 2).unwrap_or_default();
        assert_eq!((now.minute.sum, now.hour.sum, now.day.sum), (12, 12, 12));
        assert!((now.minute.avgpt - 6.0).abs() < 1e-9);
        assert!((now.minute.tps - 0.2).abs() < 1e-9);
        let later = t.get("TOPIC_PUT_NUMS", "T", T0 + 2 * 60_000).unwrap_or_default();
        assert_eq!((later.minute.sum, later.hour.sum, later.day.sum), (0, 12, 12));
        let next_day = t.get("TOPIC_PUT_NUMS", "T", T0 + 25 * 3_600_000).unwrap_or_default();
        assert_eq!(next_day.day.sum, 0);
    }

    #[test]
    fn unknown_items_and_names_are_none() {
        let t = StatsTable::default();
        t.add(names::GROUP_GET_NUMS, "T@g", 1, T0);
        assert!(t.get("GROUP_GET_NUMS", "T@other", T0).is_none());
        assert!(t.get("NO_SUCH_STATS", "T@g", T0).is_none());
        assert!(t.get("GROUP_GET_NUMS", "T@g", T0).is_some());
    }

    #[test]
    fn a_reused_bucket_starts_from_zero() {
        let t = StatsTable::default();
        t.add(names::TOPIC_PUT_NUMS, "T", 3, T0);
        t.add(names::TOPIC_PUT_NUMS, "T", 4, T0 + 60_000);
        let s = t.get("TOPIC_PUT_NUMS", "T", T0 + 60_000).unwrap_or_default();
        assert_eq!((s.minute.sum, s.hour.sum), (4, 7));
    }

    #[test]
    fn rates_cover_recent_windows() {
        let r = Rate::default();
        for s in 0..20 {
            r.add(10, T0 + s * 1000);
        }
        // At T0+20s the last 10 full seconds hold 100 events; the last minute 200.
        assert_eq!(r.tps3(T0 + 20_000), "10.00 3.33 0.33");
        assert_eq!(r.tps3(T0 + 700_000), "0.00 0.00 0.00");
    }
}
