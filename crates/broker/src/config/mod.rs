//! Broker configuration: RocketMQ's broker.conf keys, with the official defaults.

pub mod checks;
pub mod delay_levels;
pub mod groups;
pub mod live;
pub mod tls;

pub use rmq_common::properties::{parse_properties, parse_value, render, ConfigError, PropValue};

use std::path::{Path, PathBuf};

/// Role of a broker in its set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BrokerRole {
    /// Master that answers once stored locally.
    #[default]
    AsyncMaster,
    /// Master that answers once a slave has the data.
    SyncMaster,
    /// Replica of the master; rejects writes.
    Slave,
}

impl PropValue for BrokerRole {
    const EXPECTED: &'static str = "ASYNC_MASTER, SYNC_MASTER or SLAVE";
    fn parse_prop(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "ASYNC_MASTER" => Some(Self::AsyncMaster),
            "SYNC_MASTER" => Some(Self::SyncMaster),
            "SLAVE" => Some(Self::Slave),
            _ => None,
        }
    }
    fn render_prop(&self) -> String {
        match self {
            Self::AsyncMaster => "ASYNC_MASTER",
            Self::SyncMaster => "SYNC_MASTER",
            Self::Slave => "SLAVE",
        }
        .to_owned()
    }
}

/// When a send counts as durable on the local disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlushDiskType {
    /// Background flush every `flushIntervalCommitLog` ms.
    #[default]
    AsyncFlush,
    /// The send waits for an fsync covering it (group commit).
    SyncFlush,
}

impl PropValue for FlushDiskType {
    const EXPECTED: &'static str = "ASYNC_FLUSH or SYNC_FLUSH";
    fn parse_prop(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "ASYNC_FLUSH" => Some(Self::AsyncFlush),
            "SYNC_FLUSH" => Some(Self::SyncFlush),
            _ => None,
        }
    }
    fn render_prop(&self) -> String {
        match self {
            Self::AsyncFlush => "ASYNC_FLUSH",
            Self::SyncFlush => "SYNC_FLUSH",
        }
        .to_owned()
    }
}

fn home_dir() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from)
}

fn default_store_root() -> String {
    home_dir().join("store").to_string_lossy().into_owned()
}

rmq_common::grouped_config! {
    /// Everything a broker.conf can say that we act on, in cohesive groups (`groups.rs`). Keys and
    /// defaults are the official ones (BrokerConfig, MessageStoreConfig, NettyServerConfig).
    pub struct BrokerConfig {
        /// Who this broker is and how it registers.
        pub identity: groups::BrokerIdentity,
        /// Addresses, ports, threads and frames.
        pub net: groups::NetSettings,
        /// Where the store lives and its file sizes (commit log, consume queues, index).
        pub files: groups::StoreFiles,
        /// When a send counts as durable and how the commit log is flushed.
        pub flush: groups::FlushSettings,
        /// How long commit log files are kept.
        pub retention: groups::RetentionSettings,
        /// Delayed and timer messages.
        pub delay: groups::DelaySettings,
        /// Topic and group creation, permissions and system topics.
        pub topics: groups::TopicPolicy,
        /// What sends may carry: size, trace flag, replies, transactions.
        pub send: groups::SendSettings,
        /// Long polling, slave reads and pull transfer limits.
        pub pull: groups::PullSettings,
        /// POP consumption.
        pub pop: groups::PopSettings,
        /// Filters, server-side load balancing and heartbeat limits of consumers.
        pub consume: groups::ConsumeSettings,
        /// Connections: idle close, limits, back-pressure.
        pub conn: groups::ConnectionSettings,
        /// Log files: format, rolling.
        pub log: groups::LogSettings,
        /// ACL 1.0: request signatures and permissions.
        pub acl: groups::AclSettings,
        /// ACL 2.0: users, policies and the checks against them.
        pub auth: groups::AuthSettings,
        /// TLS on the broker's ports (`tls.server.*`, `tls.config.file`).
        pub tls_server: rmq_common::tls::TlsServerSettings,
        /// TLS of the broker's own connections (`tls.enable`, `tls.client.*`).
        pub tls_client: rmq_common::tls::TlsClientSettings,
        /// Metrics export (Prometheus endpoint).
        pub metrics: groups::MetricsSettings,
        /// Controller mode: id and role from the controllers, SyncStateSet acknowledgements.
        pub controller: groups::ControllerSettings,
    }
}

/// Keys of the official broker that we accept but do not act on (yet): named in a warning.
pub fn unsupported_keys(pairs: &std::collections::BTreeMap<String, String>) -> Vec<String> {
    pairs.keys().filter(|k| !BrokerConfig::is_key(k)).cloned().collect()
}

impl BrokerConfig {
    /// Loads a properties file over the defaults. Returns the config and the keys it ignored.
    pub fn from_file(path: &Path) -> Result<(Self, Vec<String>), ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Io { path: path.display().to_string(), cause: e.to_string() })?;
        let mut cfg = Self::default();
        let ignored = cfg.apply(&parse_properties(&text))?;
        Ok((cfg, ignored))
    }

    /// Applies `key=value` pairs; returns the unknown keys.
    pub fn apply(&mut self, pairs: &std::collections::BTreeMap<String, String>) -> Result<Vec<String>, ConfigError> {
        let mut ignored = Vec::new();
        for (k, v) in pairs {
            if !self.set(k, v)? {
                ignored.push(k.clone());
            }
        }
        self.validate()?;
        Ok(ignored)
    }

    /// The number of runtime worker threads `runtimeWorkerThreads` asks for on this machine.
    #[must_use]
    pub fn worker_threads(&self) -> usize {
        match self.net.runtime_worker_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1)),
            n => n as usize,
        }
    }

    /// Checks cross-field rules.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: String| Err(ConfigError::Invalid { key: key.to_owned(), reason });
        rmq_common::properties::check::check_all(&self.to_pairs(), checks::CHECKS)?;
        self.validate_controller()?;
        if self.controller.enable_controller_mode {
            // brokerId and brokerRole are the controllers' to decide.
        } else if self.identity.broker_role == BrokerRole::Slave && self.identity.broker_id == 0 {
            return invalid("brokerId", "a SLAVE must have brokerId > 0".into());
        }
        if !self.controller.enable_controller_mode
            && self.identity.broker_role != BrokerRole::Slave
            && self.identity.broker_id != 0
        {
            return invalid("brokerId", "a master must have brokerId 0 (set brokerRole=SLAVE for a slave)".into());
        }
        if self.delay.timer_max_delay_sec == 0
            || self.delay.timer_max_delay_sec / (self.delay.timer_precision_ms / 10).max(1) > 100_000_000
        {
            return invalid("timerMaxDelaySec", "must be > 0, and at most 10^9 ticks of timerPrecisionMs".into());
        }
        delay_levels::parse_delay_levels(&self.delay.message_delay_level)
            .map_err(|reason| ConfigError::Invalid { key: "messageDelayLevel".into(), reason })?;
        if self.default_request_mode().is_none() {
            let mode = &self.consume.default_message_request_mode;
            return invalid("defaultMessageRequestMode", format!("{mode} is not PULL or POP"));
        }
        Ok(())
    }

    fn validate_controller(&self) -> Result<(), ConfigError> {
        let c = &self.controller;
        let invalid =
            |key: &str, reason: &str| Err(ConfigError::Invalid { key: key.to_owned(), reason: reason.to_owned() });
        if c.enable_controller_mode && self.controller_list().is_empty() {
            return invalid("controllerAddr", "enableControllerMode=true needs at least one controller address");
        }
        if c.min_in_sync_replicas > c.in_sync_replicas {
            return invalid("minInSyncReplicas", "must not exceed inSyncReplicas");
        }
        Ok(())
    }

    /// Controller addresses (`controllerAddr`).
    #[must_use]
    pub fn controller_list(&self) -> Vec<String> {
        split_list(&self.controller.controller_addr)
    }

    /// `defaultMessageRequestMode` as a mode (`None` when it names none; `validate` refuses that).
    #[must_use]
    pub fn default_request_mode(&self) -> Option<rmq_remoting::body::MessageRequestMode> {
        rmq_remoting::body::MessageRequestMode::from_name(self.consume.default_message_request_mode.trim())
    }

    /// `ip:listenPort` as registered and embedded in offset message ids.
    #[must_use]
    pub fn broker_addr(&self) -> String {
        format!("{}:{}", self.net.broker_ip1, self.net.listen_port)
    }

    /// The HA port.
    #[must_use]
    pub fn ha_port(&self) -> u16 {
        self.net.ha_listen_port.unwrap_or(self.net.listen_port.saturating_add(1))
    }

    /// `ip:haPort`.
    #[must_use]
    pub fn ha_addr(&self) -> String {
        format!("{}:{}", self.net.broker_ip2.as_deref().unwrap_or(&self.net.broker_ip1), self.ha_port())
    }

    /// Name server addresses.
    #[must_use]
    pub fn namesrv_list(&self) -> Vec<String> {
        split_list(self.net.namesrv_addr.as_deref().unwrap_or(""))
    }

    /// The store root directory.
    #[must_use]
    pub fn store_root(&self) -> PathBuf {
        PathBuf::from(&self.files.store_path_root_dir)
    }

    /// The config directory (`<root>/config`).
    #[must_use]
    pub fn config_dir(&self) -> PathBuf {
        self.store_root().join("config")
    }

    /// Whether this broker is a master.
    #[must_use]
    pub fn is_master(&self) -> bool {
        self.identity.broker_role != BrokerRole::Slave
    }
}

fn split_list(list: &str) -> Vec<String> {
    list.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_workers_follow_the_key_or_the_cpus() {
        let mut c = BrokerConfig::default();
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        assert_eq!(c.worker_threads(), cpus.saturating_sub(1).max(1));
        assert!(c.set("runtimeWorkerThreads", "3").unwrap());
        assert_eq!(c.worker_threads(), 3);
        assert!(c.set("runtimeWorkerThreads", "many").is_err());
    }

    #[test]
    fn controller_mode_needs_controllers_and_frees_id_and_role() {
        let apply = |text: &str| BrokerConfig::default().apply(&parse_properties(text)).map(|_| ());
        let err = apply("enableControllerMode=true\n").unwrap_err().to_string();
        assert!(err.contains("controllerAddr"), "{err}");
        apply("enableControllerMode=true\ncontrollerAddr=c1:9878;c2:9878\nbrokerId=-1\n").unwrap_err();
        apply("enableControllerMode=true\ncontrollerAddr=c1:9878;c2:9878\nbrokerId=3\n").unwrap();
        apply("brokerId=3\n").unwrap_err();
        let err = apply("inSyncReplicas=2\nminInSyncReplicas=3\n").unwrap_err().to_string();
        assert!(err.contains("minInSyncReplicas"), "{err}");
        let mut c = BrokerConfig::default();
        c.apply(&parse_properties("controllerAddr= c1:9878 ;c2:9878;\n")).unwrap();
        assert_eq!(c.controller_list(), vec!["c1:9878", "c2:9878"]);
    }
}
