//! KV config (namespaces of key/value pairs, e.g. ORDER_TOPIC_CONFIG), persisted as
//! `{"configTable":{ns:{k:v}}}`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct KvFile {
    #[serde(default)]
    config_table: BTreeMap<String, BTreeMap<String, String>>,
}

/// The KV store.
#[derive(Debug)]
pub struct KvConfig {
    path: PathBuf,
    table: RwLock<BTreeMap<String, BTreeMap<String, String>>>,
}

impl KvConfig {
    /// Loads the file (missing or unreadable = empty).
    #[must_use]
    pub fn load(path: PathBuf) -> Self {
        let table = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<KvFile>(&t).ok())
            .map(|f| f.config_table)
            .unwrap_or_default();
        Self { path, table: RwLock::new(table) }
    }

    fn persist(&self) {
        let text =
            serde_json::to_string_pretty(&KvFile { config_table: self.table.read().clone() }).unwrap_or_default();
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let tmp = self.path.with_extension("tmp");
        if let Err(e) = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &self.path)) {
            tracing::error!(file = %self.path.display(), cause = %e, "persisting kv config failed");
        }
    }

    /// Sets a value.
    pub fn put(&self, ns: &str, key: &str, value: &str) {
        self.table.write().entry(ns.to_owned()).or_default().insert(key.to_owned(), value.to_owned());
        self.persist();
    }

    /// A value.
    #[must_use]
    pub fn get(&self, ns: &str, key: &str) -> Option<String> {
        self.table.read().get(ns).and_then(|m| m.get(key).cloned())
    }

    /// Deletes a value.
    pub fn delete(&self, ns: &str, key: &str) {
        if let Some(m) = self.table.write().get_mut(ns) {
            m.remove(key);
        }
        self.persist();
    }

    /// A namespace's entries.
    #[must_use]
    pub fn namespace(&self, ns: &str) -> Option<BTreeMap<String, String>> {
        self.table.read().get(ns).cloned()
    }
}
