//! Runtime configuration: UPDATE_BROKER_CONFIG changes the keys Apache RocketMQ applies while
//! running, at once, and persists them to the broker's own properties file so that a restart
//! keeps them. Other keys are refused with their name.
//!
//! The file is `brokerConfigPath`: the `-c` file (rewritten in place: comments and other keys
//! stay), or, without one, `<storePathRootDir>/config/broker.properties`, which the broker reads
//! at start over the defaults ([`load_store_copy`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use rmq_common::properties::{read_properties, update_properties};

use super::{BrokerConfig, ConfigError};

/// Keys that UPDATE_BROKER_CONFIG changes while the broker runs (read on each use).
pub const LIVE_KEYS: &[&str] = &[
    "fileReservedTime",
    "deleteWhen",
    "diskMaxUsedSpaceRatio",
    "brokerPermission",
    "autoCreateSubscriptionGroup",
    "notifyConsumerIdsChangedEnable",
    "longPollingEnable",
    "shortPollingTimeMills",
    "rejectTransactionMessage",
    "recallMessageEnable",
    "allowRecallWhenBrokerNotWriteable",
    "traceOn",
    "flushIntervalCommitLog",
    "maxMessageSize",
];

/// Why an update was refused.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The key is not one we know.
    #[error("config key {0} is not a broker config key")]
    Unknown(String),
    /// The key exists but only takes effect at start.
    #[error("config key {0} cannot change at run time; edit the config file and restart")]
    NotLive(String),
    /// The value is not allowed.
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    /// The file could not be written.
    #[error("cannot persist the config to {path}: {cause}")]
    Persist {
        /// The file.
        path: String,
        /// Why.
        cause: String,
    },
}

/// The live configuration, swapped whole on each update.
#[derive(Debug)]
pub struct LiveConfig {
    current: RwLock<Arc<BrokerConfig>>,
    /// Serializes updates (read, check, persist, swap).
    update: Mutex<()>,
}

impl LiveConfig {
    /// Starts from the start-time configuration.
    #[must_use]
    pub fn new(config: Arc<BrokerConfig>) -> Self {
        Self { current: RwLock::new(config), update: Mutex::new(()) }
    }

    /// The current values.
    #[must_use]
    pub fn get(&self) -> Arc<BrokerConfig> {
        Arc::clone(&self.current.read())
    }

    /// Checks every pair, persists them, then makes them current. Returns the new config.
    pub fn update(&self, pairs: &BTreeMap<String, String>) -> Result<Arc<BrokerConfig>, UpdateError> {
        let _serial = self.update.lock();
        if pairs.is_empty() {
            return Ok(self.get());
        }
        for key in pairs.keys() {
            if !BrokerConfig::is_key(key) {
                return Err(UpdateError::Unknown(key.clone()));
            }
            if !LIVE_KEYS.contains(&key.as_str()) {
                return Err(UpdateError::NotLive(key.clone()));
            }
        }
        let mut next = (*self.get()).clone();
        next.apply(pairs)?;
        persist(&next, pairs)?;
        let next = Arc::new(next);
        *self.current.write() = Arc::clone(&next);
        Ok(next)
    }
}

/// The file updates go to.
#[must_use]
pub fn config_file(config: &BrokerConfig) -> PathBuf {
    config
        .identity
        .broker_config_path
        .as_ref()
        .map_or_else(|| config.config_dir().join("broker.properties"), PathBuf::from)
}

fn persist(config: &BrokerConfig, pairs: &BTreeMap<String, String>) -> Result<(), UpdateError> {
    let path = config_file(config);
    let err = |cause: String| UpdateError::Persist { path: path.display().to_string(), cause };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(err(e.to_string())),
    };
    crate::persist::write_atomic(&path, &update_properties(&text, pairs)).map_err(|e| err(e.to_string()))
}

/// Without a `-c` file, applies the runtime changes kept in the store copy
/// (`<store>/config/broker.properties`); keys there that cannot change at run time (written by
/// older versions) are returned to be named in a warning.
pub fn load_store_copy(config: &mut BrokerConfig) -> Result<Vec<String>, ConfigError> {
    if config.identity.broker_config_path.is_some() {
        return Ok(Vec::new());
    }
    let Ok(text) = std::fs::read_to_string(config_file(config)) else { return Ok(Vec::new()) };
    let (live, other): (BTreeMap<_, _>, BTreeMap<_, _>) = read_properties(&text)
        .into_iter()
        .map(|(k, v)| (k, v.trim().to_owned()))
        .partition(|(k, _)| LIVE_KEYS.contains(&k.as_str()));
    config.apply(&live)?;
    Ok(other.into_keys().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> BTreeMap<String, String> {
        super::super::parse_properties(text)
    }

    fn temp_root(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rmq-live-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn live_keys_are_broker_keys() {
        for key in LIVE_KEYS {
            assert!(BrokerConfig::is_key(key), "{key}");
        }
    }

    #[test]
    fn refuses_unknown_fixed_and_bad_values_naming_the_key() {
        let live = LiveConfig::new(Arc::new(BrokerConfig::default()));
        for (text, word) in [
            ("noSuchKey=1", "noSuchKey"),
            ("listenPort=1234", "listenPort"),
            ("fileReservedTime=-5", "fileReservedTime"),
            ("deleteWhen=99", "deleteWhen"),
        ] {
            let err = live.update(&pairs(text)).unwrap_err().to_string();
            assert!(err.contains(word), "{text}: {err}");
        }
        assert_eq!(live.get().retention.file_reserved_time, 72);
    }

    #[test]
    fn updates_persist_to_the_store_copy_and_load_at_start() {
        let root = temp_root("copy");
        let mut cfg = BrokerConfig::default();
        cfg.files.store_path_root_dir = root.display().to_string();
        let live = LiveConfig::new(Arc::new(cfg.clone()));
        assert_eq!(
            live.update(&pairs("fileReservedTime=48\ndeleteWhen=01;04")).unwrap().retention.file_reserved_time,
            48
        );
        assert_eq!(live.get().retention.delete_when, "01;04");
        let mut restarted = cfg;
        assert!(load_store_copy(&mut restarted).unwrap().is_empty());
        assert_eq!((restarted.retention.file_reserved_time, restarted.retention.delete_when.as_str()), (48, "01;04"));
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn updates_rewrite_the_c_file_in_place() {
        let root = temp_root("cfile");
        std::fs::create_dir_all(&root).unwrap();
        let file = root.join("broker.conf");
        std::fs::write(&file, "# mine\nbrokerName=b\nfileReservedTime=72\n").unwrap();
        let mut cfg = BrokerConfig::default();
        cfg.identity.broker_config_path = Some(file.display().to_string());
        LiveConfig::new(Arc::new(cfg)).update(&pairs("fileReservedTime=24")).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "# mine\nbrokerName=b\nfileReservedTime=24\n");
        let _ = std::fs::remove_dir_all(root);
    }
}
