//! Consumer offsets by `topic@group` and queue id, persisted in consumerOffset.json.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use crate::persist::{load_with_backup, write_atomic, PersistError};
use crate::state::dirty::{Dirty, Persisted, Wake};

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct OffsetFile {
    #[serde(default)]
    offset_table: BTreeMap<String, BTreeMap<String, i64>>,
}

/// Offsets committed by consumer groups, and (in memory only) the next offsets handed out by
/// pulls, which the 5.x admin answers show as `pullOffset`.
#[derive(Debug)]
pub struct ConsumerOffsets {
    path: PathBuf,
    table: RwLock<HashMap<String, BTreeMap<i32, i64>>>,
    pulled: RwLock<HashMap<String, BTreeMap<i32, i64>>>,
    dirty: AtomicBool,
    /// Saves asked of the metadata writer (`schedule_save`).
    saves: Dirty,
    /// Data version: commits so far and the time of the last one (ms).
    version_counter: AtomicI64,
    version_timestamp: AtomicI64,
}

fn key(topic: &str, group: &str) -> String {
    format!("{topic}@{group}")
}

fn split_key(key: &str) -> Option<(&str, &str)> {
    key.rsplit_once('@')
}

impl ConsumerOffsets {
    /// Loads `<config dir>/consumerOffset.json` (or its backup), or starts empty.
    #[must_use]
    pub fn load(config_dir: &Path, wake: Arc<Wake>) -> Self {
        let path = config_dir.join("consumerOffset.json");
        let table = load_with_backup(&path, |text| {
            let file: OffsetFile = rmq_remoting::body::decode(text.as_bytes()).ok()?;
            Some(
                file.offset_table
                    .into_iter()
                    .map(|(k, v)| (k, v.into_iter().filter_map(|(q, o)| Some((q.parse().ok()?, o))).collect()))
                    .collect(),
            )
        })
        .unwrap_or_default();
        Self {
            path,
            table: RwLock::new(table),
            pulled: RwLock::new(HashMap::new()),
            dirty: AtomicBool::new(false),
            saves: Dirty::new(wake),
            version_counter: AtomicI64::new(0),
            version_timestamp: AtomicI64::new(crate::now_ms()),
        }
    }

    /// Stores a group's offset for a queue.
    pub fn commit(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.table.write().entry(key(topic, group)).or_default().insert(queue_id, offset);
        self.dirty.store(true, Ordering::Release);
        self.version_counter.fetch_add(1, Ordering::Relaxed);
        self.version_timestamp.store(crate::now_ms(), Ordering::Relaxed);
    }

    /// Records the next offset a pull handed out for a queue (not persisted).
    pub fn commit_pull(&self, group: &str, topic: &str, queue_id: i32, next_offset: i64) {
        let k = key(topic, group);
        {
            let pulled = self.pulled.read();
            if pulled.get(&k).and_then(|q| q.get(&queue_id)) == Some(&next_offset) {
                return;
            }
        }
        self.pulled.write().entry(k).or_default().insert(queue_id, next_offset);
    }

    /// The next offset pulls handed out, else the committed offset, else −1 (as RocketMQ's
    /// `queryPullOffset`).
    #[must_use]
    pub fn query_pull(&self, group: &str, topic: &str, queue_id: i32) -> i64 {
        let pulled = self.pulled.read().get(&key(topic, group)).and_then(|q| q.get(&queue_id).copied());
        pulled.or_else(|| self.query(group, topic, queue_id)).unwrap_or(-1)
    }

    /// The committed offset, if any.
    #[must_use]
    pub fn query(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        self.table.read().get(&key(topic, group)).and_then(|q| q.get(&queue_id).copied())
    }

    /// Replaces the offsets of a group on a topic (reset).
    pub fn set_queue_offsets(&self, group: &str, topic: &str, offsets: BTreeMap<i32, i64>) {
        self.table.write().insert(key(topic, group), offsets);
        self.dirty.store(true, Ordering::Release);
    }

    /// Every committed offset: (topic, group, offset per queue).
    #[must_use]
    pub fn all_committed(&self) -> Vec<(String, String, BTreeMap<i32, i64>)> {
        let table = self.table.read();
        let split =
            |(k, q): (&String, &BTreeMap<i32, i64>)| split_key(k).map(|(t, g)| (t.to_owned(), g.to_owned(), q.clone()));
        table.iter().filter_map(split).collect()
    }

    /// Topics a group has offsets for.
    #[must_use]
    pub fn topics_of_group(&self, group: &str) -> Vec<String> {
        self.table
            .read()
            .keys()
            .filter_map(|k| split_key(k))
            .filter(|(_, g)| *g == group)
            .map(|(t, _)| t.to_owned())
            .collect()
    }

    /// Groups with offsets on a topic.
    #[must_use]
    pub fn groups_of_topic(&self, topic: &str) -> Vec<String> {
        self.table
            .read()
            .keys()
            .filter_map(|k| split_key(k))
            .filter(|(t, _)| *t == topic)
            .map(|(_, g)| g.to_owned())
            .collect()
    }

    /// Removes a group's offsets (all topics).
    pub fn remove_group(&self, group: &str) {
        self.pulled.write().retain(|k, _| split_key(k).is_none_or(|(_, g)| g != group));
        self.table.write().retain(|k, _| split_key(k).is_none_or(|(_, g)| g != group));
        self.dirty.store(true, Ordering::Release);
    }

    /// Removes every group's offsets on a topic.
    pub fn remove_topic(&self, topic: &str) {
        self.pulled.write().retain(|k, _| split_key(k).is_none_or(|(t, _)| t != topic));
        self.table.write().retain(|k, _| split_key(k).is_none_or(|(t, _)| t != topic));
        self.dirty.store(true, Ordering::Release);
    }

    /// Copies offsets from one group to another (all topics, or one).
    pub fn clone_group(&self, src: &str, dest: &str, topic: Option<&str>) {
        let mut table = self.table.write();
        let copies: Vec<(String, BTreeMap<i32, i64>)> = table
            .iter()
            .filter_map(|(k, v)| {
                let (t, g) = split_key(k)?;
                (g == src && topic.is_none_or(|x| x == t)).then(|| (key(t, dest), v.clone()))
            })
            .collect();
        table.extend(copies);
        self.dirty.store(true, Ordering::Release);
    }

    /// The whole table as JSON text in the official 5.x shape (for GET_ALL_CONSUMER_OFFSET and
    /// the file), keys in fastjson's order: `{"dataVersion":{..},"groupTopicMap":{"group":["topic"]},
    /// "offsetTable":{"topic@group":{0:1,...}},"pullOffsetTable":{..}}` with bare numeric queue keys.
    #[must_use]
    pub fn to_json(&self) -> String {
        let table = self.table.read();
        let pulled = self.pulled.read();
        let mut group_topics: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for k in table.keys() {
            if let Some((t, g)) = split_key(k) {
                group_topics.entry(g).or_default().push(t);
            }
        }
        group_topics.values_mut().for_each(|v| v.sort_unstable());
        let version = serde_json::json!({
            "counter": self.version_counter.load(Ordering::Relaxed),
            "stateVersion": 0,
            "timestamp": self.version_timestamp.load(Ordering::Relaxed),
        });
        format!(
            "{{\"dataVersion\":{version},\"groupTopicMap\":{},\"offsetTable\":{},\"pullOffsetTable\":{}}}",
            serde_json::to_string(&group_topics).unwrap_or_default(),
            queue_table_json(&table),
            queue_table_json(&pulled)
        )
    }

    /// Replaces the whole table from official-shaped JSON (slave sync from the master).
    pub fn replace_from_json(&self, text: &str) -> bool {
        let Ok(file) = rmq_remoting::body::decode::<OffsetFile>(text.as_bytes()) else {
            return false;
        };
        let table = file
            .offset_table
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().filter_map(|(q, o)| Some((q.parse().ok()?, o))).collect()))
            .collect();
        *self.table.write() = table;
        self.dirty.store(true, Ordering::Release);
        true
    }

    /// Writes the file if anything changed since the last write.
    pub fn persist(&self) -> Result<(), PersistError> {
        if self.dirty.swap(false, Ordering::AcqRel) {
            if let Err(e) = write_atomic(&self.path, &self.to_json()) {
                self.dirty.store(true, Ordering::Release);
                return Err(e);
            }
        }
        Ok(())
    }
}

impl ConsumerOffsets {
    /// Asks the metadata writer to save the offsets if any changed (housekeeping, every 5 s).
    pub fn schedule_save(&self) {
        if self.dirty.load(Ordering::Acquire) {
            self.saves.mark();
        }
    }
}

impl Persisted for ConsumerOffsets {
    fn name(&self) -> &'static str {
        "consumerOffset.json"
    }

    fn dirty(&self) -> &Dirty {
        &self.saves
    }

    fn save(&self, _generation: u64) -> Result<(), PersistError> {
        self.persist()
    }
}

/// `{"topic@group":{0:1,...}}`, keys sorted, bare numeric queue keys (as fastjson writes).
fn queue_table_json(table: &HashMap<String, BTreeMap<i32, i64>>) -> String {
    let mut keys: Vec<&String> = table.keys().collect();
    keys.sort();
    let mut out = String::from("{");
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(k).unwrap_or_default());
        out.push_str(":{");
        for (j, (q, o)) in table[*k].iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(&format!("{q}:{o}"));
        }
        out.push('}');
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_reload_in_official_shape() {
        let dir = tempfile::tempdir().unwrap();
        let offsets = ConsumerOffsets::load(dir.path(), Arc::default());
        offsets.commit("g", "T", 0, 10);
        offsets.commit("g", "T", 3, 7);
        offsets.commit("g2", "T", 0, 1);
        offsets.commit_pull("g", "T", 0, 12);
        offsets.persist().unwrap();
        let text = std::fs::read_to_string(dir.path().join("consumerOffset.json")).unwrap();
        let ts = offsets.version_timestamp.load(Ordering::Relaxed);
        assert_eq!(
            text,
            format!(
                r#"{{"dataVersion":{{"counter":3,"stateVersion":0,"timestamp":{ts}}},"groupTopicMap":{{"g":["T"],"g2":["T"]}},"offsetTable":{{"T@g":{{0:10,3:7}},"T@g2":{{0:1}}}},"pullOffsetTable":{{"T@g":{{0:12}}}}}}"#
            )
        );
        assert_eq!(offsets.query_pull("g", "T", 0), 12);
        assert_eq!(offsets.query_pull("g", "T", 3), 7);
        assert_eq!(offsets.query_pull("g", "T", 1), -1);
        let again = ConsumerOffsets::load(dir.path(), Arc::default());
        assert_eq!(again.query("g", "T", 3), Some(7));
        assert_eq!(again.query("g", "T", 1), None);
        let mut groups = again.groups_of_topic("T");
        groups.sort();
        assert_eq!(groups, vec!["g".to_owned(), "g2".to_owned()]);
    }

    #[test]
    fn clone_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        let offsets = ConsumerOffsets::load(dir.path(), Arc::default());
        offsets.commit("a", "T", 0, 5);
        offsets.clone_group("a", "b", None);
        assert_eq!(offsets.query("b", "T", 0), Some(5));
        offsets.remove_group("a");
        assert_eq!(offsets.query("a", "T", 0), None);
        assert_eq!(offsets.topics_of_group("b"), vec!["T".to_owned()]);
    }
}
