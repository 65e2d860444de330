//! Topic configurations: system topics, auto-creation from TBW102, topics.json.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;
use rmq_remoting::body::{DataVersion, TopicConfig, TopicConfigSerializeWrapper};
use tokio::sync::Notify;

use crate::config::BrokerConfig;
use crate::now_ms;
use crate::persist::{load_with_backup, write_atomic, PersistError};
use crate::state::dirty::{Dirty, Persisted, Wake};

/// Permission bits (their one home is rmq-common).
pub use rmq_common::perm;
/// Names of topics the broker itself uses (their one home is rmq-common).
pub use rmq_common::topic as system;

/// Why a topic name is refused.
pub fn validate_topic_name(topic: &str) -> Result<(), String> {
    if topic.is_empty() {
        return Err("the specified topic is blank".into());
    }
    if topic.len() > 127 {
        return Err(format!("the specified topic is longer than topic max length 127: {}", topic.len()));
    }
    if !topic.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'-' | b'_')) {
        return Err(format!(
            "the specified topic[{topic}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
        ));
    }
    Ok(())
}

/// A new topic config.
#[must_use]
pub fn topic_config(name: &str, read: i32, write: i32, perm: i32) -> TopicConfig {
    TopicConfig {
        topic_name: name.to_owned(),
        read_queue_nums: read,
        write_queue_nums: write,
        perm,
        ..TopicConfig::default()
    }
}

/// All topics of this broker. Changes are made in memory and saved by the metadata writer; a
/// topic created here stays *pending* until a save covering it succeeds, and sends to a pending
/// topic wait for that save (`durable`), so no send is acknowledged for a topic a restart loses.
#[derive(Debug)]
pub struct TopicTable {
    path: PathBuf,
    inner: RwLock<Inner>,
    dirty: Dirty,
    /// Signalled on every change (registration with name servers follows at once).
    pub changed: Notify,
}

#[derive(Debug, Default)]
struct Inner {
    topics: BTreeMap<String, TopicConfig>,
    version: DataVersion,
    /// Topics created and not saved yet, with the generation of their creation.
    pending: HashMap<String, u64>,
}

impl TopicTable {
    /// Loads topics.json, adds the system topics the config asks for and saves the result.
    pub fn load(cfg: &BrokerConfig, config_dir: &Path, wake: Arc<Wake>) -> Result<Self, PersistError> {
        let path = config_dir.join("topics.json");
        let wrapper =
            load_with_backup(&path, |t| rmq_remoting::body::decode::<TopicConfigSerializeWrapper>(t.as_bytes()).ok());
        let mut inner = Inner::default();
        if let Some(w) = wrapper {
            inner.topics = w.topic_config_table.into_iter().collect();
            inner.version = w.data_version;
        }
        for t in system_topics(cfg) {
            inner.topics.entry(t.topic_name.clone()).or_insert(t);
        }
        let table = Self { path, inner: RwLock::new(inner), dirty: Dirty::new(wake), changed: Notify::new() };
        table.bump(&mut table.inner.write());
        table.save(table.dirty.changed())?;
        table.dirty.record(table.dirty.changed(), Ok(()));
        Ok(table)
    }

    /// A change made under the write lock: new data version, a generation for the writer.
    fn bump(&self, inner: &mut Inner) -> u64 {
        inner.version.counter += 1;
        inner.version.timestamp = now_ms();
        self.changed.notify_one();
        self.dirty.mark()
    }

    fn wrapper_of(inner: &Inner) -> TopicConfigSerializeWrapper {
        TopicConfigSerializeWrapper {
            topic_config_table: inner.topics.clone().into_iter().collect(),
            data_version: inner.version.clone(),
        }
    }

    /// The config of `topic`.
    #[must_use]
    pub fn get(&self, topic: &str) -> Option<TopicConfig> {
        self.inner.read().topics.get(topic).cloned()
    }

    /// Topic names.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        self.inner.read().topics.keys().cloned().collect()
    }

    /// The table with its data version (REGISTER_BROKER body, GET_ALL_TOPIC_CONFIG).
    #[must_use]
    pub fn wrapper(&self) -> TopicConfigSerializeWrapper {
        Self::wrapper_of(&self.inner.read())
    }

    /// The current data version.
    #[must_use]
    pub fn data_version(&self) -> DataVersion {
        self.inner.read().version.clone()
    }

    /// A new data version and a registration at once, as after a change of the broker's
    /// permission (UPDATE_BROKER_CONFIG brokerPermission).
    pub fn touch(&self) -> Result<(), PersistError> {
        let mut inner = self.inner.write();
        self.bump(&mut inner);
        Ok(())
    }

    /// Creates or replaces a topic; returns the generation of the change.
    pub fn upsert(&self, cfg: TopicConfig) -> u64 {
        let mut inner = self.inner.write();
        let name = cfg.topic_name.clone();
        let is_new = inner.topics.insert(name.clone(), cfg).is_none();
        let generation = self.bump(&mut inner);
        if is_new {
            inner.pending.insert(name, generation);
        }
        generation
    }

    /// Adds topics not known yet (a slave learning them from replicated records or the name
    /// server before its next copy of the master's table); returns how many were new.
    pub fn add_missing(&self, configs: impl IntoIterator<Item = TopicConfig>) -> usize {
        let mut inner = self.inner.write();
        let before = inner.topics.len();
        for cfg in configs {
            inner.topics.entry(cfg.topic_name.clone()).or_insert(cfg);
        }
        let added = inner.topics.len() - before;
        if added > 0 {
            self.bump(&mut inner);
        }
        added
    }

    /// Deletes a topic; true if it existed.
    pub fn delete(&self, topic: &str) -> bool {
        let mut inner = self.inner.write();
        let existed = inner.topics.remove(topic).is_some();
        inner.pending.remove(topic);
        if existed {
            self.bump(&mut inner);
        }
        existed
    }

    /// Replaces the whole table (a slave copying its master).
    pub fn replace_all(&self, wrapper: TopicConfigSerializeWrapper) {
        let mut inner = self.inner.write();
        inner.topics = wrapper.topic_config_table.into_iter().collect();
        inner.version = wrapper.data_version;
        inner.pending.clear();
        self.changed.notify_one();
        self.dirty.mark();
    }

    /// Waits until the change of `generation` is on disk.
    pub async fn saved(&self, generation: u64) -> Result<(), String> {
        self.dirty.wait(generation).await
    }

    /// Waits until `topic` is on disk when it was created and not saved yet; the cause when the
    /// save failed.
    pub async fn durable(&self, topic: &str) -> Result<(), String> {
        let pending = self.inner.read().pending.get(topic).copied();
        match pending {
            Some(generation) => self.dirty.wait(generation).await,
            None => Ok(()),
        }
    }

    /// The topic, auto-created from `template` on send when allowed (official rules: the
    /// template must exist with the INHERIT bit; queues = min(requested, template's), perm =
    /// template's without INHERIT).
    pub fn get_or_create_on_send(
        &self,
        topic: &str,
        template: &str,
        queue_nums: i32,
        topic_sys_flag: i32,
    ) -> Option<TopicConfig> {
        if let Some(t) = self.get(topic) {
            return Some(t);
        }
        let tpl = self.get(template)?;
        if tpl.perm & perm::INHERIT == 0 {
            return None;
        }
        let queues = queue_nums.clamp(1, tpl.write_queue_nums.max(1));
        let mut cfg = topic_config(topic, queues, queues, tpl.perm & !perm::INHERIT);
        cfg.topic_sys_flag = topic_sys_flag;
        tracing::info!(topic, template, queues, "auto-creating topic");
        self.upsert(cfg.clone());
        Some(cfg)
    }

    /// A system-managed topic (retry, DLQ, schedule, transaction), created if absent.
    pub fn get_or_create_system(&self, topic: &str, queues: i32, perm: i32) -> TopicConfig {
        if let Some(t) = self.get(topic) {
            return t;
        }
        let cfg = topic_config(topic, queues, queues, perm);
        self.upsert(cfg.clone());
        cfg
    }
}

impl Persisted for TopicTable {
    fn name(&self) -> &'static str {
        "topics.json"
    }

    fn dirty(&self) -> &Dirty {
        &self.dirty
    }

    fn save(&self, generation: u64) -> Result<(), PersistError> {
        let text = serde_json::to_string_pretty(&self.wrapper()).unwrap_or_default();
        write_atomic(&self.path, &text)?;
        self.inner.write().pending.retain(|_, g| *g > generation);
        Ok(())
    }
}

fn system_topics(cfg: &BrokerConfig) -> Vec<TopicConfig> {
    let rw = perm::READ | perm::WRITE;
    let mut out = vec![
        topic_config(system::SELF_TEST, 1, 1, rw),
        topic_config(system::BENCHMARK, 1024, 1024, rw),
        topic_config(system::OFFSET_MOVED_EVENT, 1, 1, rw),
        topic_config(system::SCHEDULE, 18, 18, rw),
        topic_config(system::TIMER, 1, 1, rw),
        topic_config(&rmq_common::topic::reply_topic(&cfg.identity.broker_cluster_name), 1, 1, rw),
    ];
    if cfg.topics.auto_create_topic_enable {
        let n = cfg.topics.default_topic_queue_nums;
        out.push(topic_config(system::AUTO_CREATE, n, n, perm::INHERIT | rw));
    }
    let cluster_perm = if cfg.topics.cluster_topic_enable { perm::INHERIT | rw } else { perm::INHERIT };
    out.push(topic_config(&cfg.identity.broker_cluster_name, 16, 16, cluster_perm));
    let broker_perm = if cfg.topics.broker_topic_enable { perm::INHERIT | rw } else { perm::INHERIT };
    out.push(topic_config(&cfg.identity.broker_name, 1, 1, broker_perm));
    if cfg.topics.trace_topic_enable {
        out.push(topic_config(&cfg.topics.msg_trace_topic_name, 1, 1, rw));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// rmq-remoting depends on nothing of ours, so its `TopicConfig` default spells the
    /// permission as a number; this pins it to the one definition.
    #[test]
    fn a_default_topic_config_reads_and_writes() {
        assert_eq!(TopicConfig::default().perm, perm::READ_WRITE);
    }
}
