//! Subscription groups (consumer group settings), persisted in subscriptionGroup.json.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;
use rmq_remoting::body::{DataVersion, SubscriptionGroupConfig, SubscriptionGroupWrapper};

use crate::persist::{load_with_backup, write_atomic, PersistError};
use crate::state::dirty::{Dirty, Persisted, Wake};

// Groups whose names the broker uses itself.
use rmq_common::group::SYSTEM as SYSTEM_GROUPS;

/// The subscription group table. Changes are made in memory and saved by the metadata writer.
#[derive(Debug)]
pub struct GroupTable {
    path: PathBuf,
    inner: RwLock<(BTreeMap<String, SubscriptionGroupConfig>, DataVersion)>,
    dirty: Dirty,
}

impl GroupTable {
    /// Loads subscriptionGroup.json (or its backup), adds the system groups and saves the result.
    pub fn load(config_dir: &Path, wake: Arc<Wake>) -> Result<Self, PersistError> {
        let path = config_dir.join("subscriptionGroup.json");
        let wrapper =
            load_with_backup(&path, |t| rmq_remoting::body::decode::<SubscriptionGroupWrapper>(t.as_bytes()).ok())
                .unwrap_or_default();
        let mut table = wrapper.subscription_group_table;
        for g in SYSTEM_GROUPS {
            table.entry((*g).to_owned()).or_insert_with(|| SubscriptionGroupConfig::named(g));
        }
        let this = Self { path, inner: RwLock::new((table, wrapper.data_version)), dirty: Dirty::new(wake) };
        this.bump(&mut this.inner.write().1);
        this.save(this.dirty.changed())?;
        this.dirty.record(this.dirty.changed(), Ok(()));
        Ok(this)
    }

    /// A change made under the write lock: new data version, a generation for the writer.
    fn bump(&self, version: &mut DataVersion) -> u64 {
        version.counter += 1;
        version.timestamp = crate::now_ms();
        self.dirty.mark()
    }

    /// The group's config.
    #[must_use]
    pub fn get(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        self.inner.read().0.get(group).cloned()
    }

    /// The group's config, created with defaults when `auto_create` allows.
    #[must_use]
    pub fn get_or_create(&self, group: &str, auto_create: bool) -> Option<SubscriptionGroupConfig> {
        if let Some(g) = self.get(group) {
            return Some(g);
        }
        if !auto_create {
            return None;
        }
        let cfg = SubscriptionGroupConfig::named(group);
        self.upsert(cfg.clone());
        Some(cfg)
    }

    /// Creates or replaces a group; returns the generation of the change.
    pub fn upsert(&self, cfg: SubscriptionGroupConfig) -> u64 {
        let mut inner = self.inner.write();
        inner.0.insert(cfg.group_name.clone(), cfg);
        self.bump(&mut inner.1)
    }

    /// Deletes a group; true if it existed.
    pub fn delete(&self, group: &str) -> bool {
        let mut inner = self.inner.write();
        let existed = inner.0.remove(group).is_some();
        if existed {
            self.bump(&mut inner.1);
        }
        existed
    }

    /// Waits until the change of `generation` is on disk.
    pub async fn saved(&self, generation: u64) -> Result<(), String> {
        self.dirty.wait(generation).await
    }

    /// The whole table (GET_ALL_SUBSCRIPTIONGROUP_CONFIG).
    #[must_use]
    pub fn wrapper(&self) -> SubscriptionGroupWrapper {
        let inner = self.inner.read();
        SubscriptionGroupWrapper {
            subscription_group_table: inner.0.clone(),
            data_version: inner.1.clone(),
            forbidden_table: BTreeMap::new(),
        }
    }

    /// Replaces the table (slave copying its master).
    pub fn replace_all(&self, wrapper: SubscriptionGroupWrapper) {
        *self.inner.write() = (wrapper.subscription_group_table, wrapper.data_version);
        self.dirty.mark();
    }
}

impl Persisted for GroupTable {
    fn name(&self) -> &'static str {
        "subscriptionGroup.json"
    }

    fn dirty(&self) -> &Dirty {
        &self.dirty
    }

    fn save(&self, _generation: u64) -> Result<(), PersistError> {
        let text = serde_json::to_string_pretty(&self.wrapper()).unwrap_or_default();
        write_atomic(&self.path, &text)
    }
}
