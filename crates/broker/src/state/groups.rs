//! Subscription groups (consumer group settings), persisted in subscriptionGroup.json.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use parking_lot::RwLock;
use rmq_remoting::body::{DataVersion, SubscriptionGroupConfig, SubscriptionGroupWrapper};

use crate::persist::{load_with_backup, write_atomic, PersistError};

// Groups whose names the broker uses itself.
use rmq_common::group::SYSTEM as SYSTEM_GROUPS;

/// The subscription group table.
#[derive(Debug)]
pub struct GroupTable {
    path: PathBuf,
    inner: RwLock<(BTreeMap<String, SubscriptionGroupConfig>, DataVersion)>,
}

impl GroupTable {
    /// Loads subscriptionGroup.json (or its backup) and adds the system groups.
    pub fn load(config_dir: &Path) -> Result<Self, PersistError> {
        let path = config_dir.join("subscriptionGroup.json");
        let wrapper =
            load_with_backup(&path, |t| rmq_remoting::body::decode::<SubscriptionGroupWrapper>(t.as_bytes()).ok())
                .unwrap_or_default();
        let mut table = wrapper.subscription_group_table;
        for g in SYSTEM_GROUPS {
            table.entry((*g).to_owned()).or_insert_with(|| SubscriptionGroupConfig::named(g));
        }
        let this = Self { path, inner: RwLock::new((table, wrapper.data_version)) };
        this.persist()?;
        Ok(this)
    }

    fn persist(&self) -> Result<(), PersistError> {
        let text = {
            let mut inner = self.inner.write();
            inner.1.counter += 1;
            inner.1.timestamp = crate::now_ms();
            serde_json::to_string_pretty(&SubscriptionGroupWrapper {
                subscription_group_table: inner.0.clone(),
                data_version: inner.1.clone(),
                forbidden_table: BTreeMap::new(),
            })
            .unwrap_or_default()
        };
        write_atomic(&self.path, &text)
    }

    /// The group's config.
    #[must_use]
    pub fn get(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        self.inner.read().0.get(group).cloned()
    }

    /// The group's config, created with defaults when `auto_create` allows.
    pub fn get_or_create(
        &self,
        group: &str,
        auto_create: bool,
    ) -> Result<Option<SubscriptionGroupConfig>, PersistError> {
        if let Some(g) = self.get(group) {
            return Ok(Some(g));
        }
        if !auto_create {
            return Ok(None);
        }
        let cfg = SubscriptionGroupConfig::named(group);
        self.upsert(cfg.clone())?;
        Ok(Some(cfg))
    }

    /// Creates or replaces a group.
    pub fn upsert(&self, cfg: SubscriptionGroupConfig) -> Result<(), PersistError> {
        self.inner.write().0.insert(cfg.group_name.clone(), cfg);
        self.persist()
    }

    /// Deletes a group; true if it existed.
    pub fn delete(&self, group: &str) -> Result<bool, PersistError> {
        let existed = self.inner.write().0.remove(group).is_some();
        if existed {
            self.persist()?;
        }
        Ok(existed)
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
    pub fn replace_all(&self, wrapper: SubscriptionGroupWrapper) -> Result<(), PersistError> {
        *self.inner.write() = (wrapper.subscription_group_table, wrapper.data_version);
        self.persist()
    }
}
