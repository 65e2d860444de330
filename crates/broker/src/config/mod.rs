//! Broker configuration: RocketMQ's broker.conf keys, with the official defaults.

pub mod checks;
pub mod delay_levels;
pub mod live;

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

rmq_common::properties_config! {
    /// Everything a broker.conf can say that we act on. Keys and defaults are the official
    /// ones (BrokerConfig, MessageStoreConfig, NettyServerConfig).
    pub struct BrokerConfig {
        /// Cluster this broker set belongs to.
        pub broker_cluster_name: String = "brokerClusterName" => "DefaultCluster".to_owned(),
        /// Broker set name (same for master and slaves).
        pub broker_name: String = "brokerName" => "broker-a".to_owned(),
        /// 0 = master, > 0 = slave.
        pub broker_id: i64 = "brokerId" => 0,
        /// Name servers, `;`-separated.
        pub namesrv_addr: Option<String> = "namesrvAddr" => None,
        /// Address advertised to clients (default: 127.0.0.1 unless set).
        pub broker_ip1: String = "brokerIP1" => "127.0.0.1".to_owned(),
        /// Address advertised for HA.
        pub broker_ip2: Option<String> = "brokerIP2" => None,
        /// Address the servers bind (`0.0.0.0` = all interfaces; tests use 127.0.0.1).
        pub bind_address: String = "bindAddress" => "0.0.0.0".to_owned(),
        /// Main port.
        pub listen_port: u16 = "listenPort" => 10911,
        /// HA port (default listenPort + 1).
        pub ha_listen_port: Option<u16> = "haListenPort" => None,
        /// Threads that run connections and request processing (ours, not an official key;
        /// the official `serverWorkerThreads` sizes a pool we do not have). 0 = one per CPU but
        /// one, at least one: the store's flush, pre-fault and append threads and the kernel's
        /// network work need the rest (on 2 cores one worker is ~10% cheaper per message).
        pub runtime_worker_threads: u32 = "runtimeWorkerThreads" => 0,
        /// Master HA address for a slave (otherwise learned from the name server).
        pub ha_master_address: Option<String> = "haMasterAddress" => None,
        /// Role.
        pub broker_role: BrokerRole = "brokerRole" => BrokerRole::AsyncMaster,
        /// Flush policy.
        pub flush_disk_type: FlushDiskType = "flushDiskType" => FlushDiskType::AsyncFlush,
        /// Store root.
        pub store_path_root_dir: String = "storePathRootDir" => default_store_root(),
        /// Commit log dir (default `<root>/commitlog`).
        pub store_path_commit_log: Option<String> = "storePathCommitLog" => None,
        /// Commit log file size.
        pub mapped_file_size_commit_log: u64 = "mappedFileSizeCommitLog" => 1024 * 1024 * 1024,
        /// Consume queue file size in bytes (300 000 units of 20 bytes).
        pub mapped_file_size_consume_queue: u64 = "mappedFileSizeConsumeQueue" => 300_000 * 20,
        /// Async flush interval, ms.
        pub flush_interval_commit_log: u64 = "flushIntervalCommitLog" => 500,
        /// Accept timer messages (TIMER_DELIVER_MS, TIMER_DELAY_SEC/MS, __STARTDELIVERTIME).
        pub timer_wheel_enable: bool = "timerWheelEnable" => true,
        /// Longest timer delay accepted, seconds (3 days).
        pub timer_max_delay_sec: u64 = "timerMaxDelaySec" => 3 * 24 * 3600,
        /// Timer precision (wheel tick), ms.
        pub timer_precision_ms: u64 = "timerPrecisionMs" => 1000,
        /// Pages an async flush waits for unless a full interval passed.
        pub flush_commit_log_least_pages: u32 = "flushCommitLogLeastPages" => 4,
        /// An async flush covers everything at least this often, ms.
        pub flush_commit_log_thorough_interval: u64 = "flushCommitLogThoroughInterval" => 10_000,
        /// SYNC_FLUSH / SYNC_MASTER wait limit, ms.
        pub sync_flush_timeout: u64 = "syncFlushTimeout" => 5000,
        /// Create unknown topics from TBW102 on send.
        pub auto_create_topic_enable: bool = "autoCreateTopicEnable" => true,
        /// Create unknown consumer groups on heartbeat/pull.
        pub auto_create_subscription_group: bool = "autoCreateSubscriptionGroup" => true,
        /// Queues of auto-created topics (and TBW102).
        pub default_topic_queue_nums: i32 = "defaultTopicQueueNums" => 8,
        /// Largest message body + properties accepted.
        pub max_message_size: u32 = "maxMessageSize" => 4 * 1024 * 1024,
        /// Hours to keep commit log files.
        pub file_reserved_time: u64 = "fileReservedTime" => 72,
        /// Hour(s) of day when expired files are deleted, e.g. `04` or `01;04`.
        pub delete_when: String = "deleteWhen" => "04".to_owned(),
        /// Disk usage ratio (%) that triggers deletion at once.
        pub disk_max_used_space_ratio: u32 = "diskMaxUsedSpaceRatio" => 75,
        /// Delay levels.
        pub message_delay_level: String = "messageDelayLevel" => "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h".to_owned(),
        /// Broker-wide permission mask.
        pub broker_permission: i32 = "brokerPermission" => 6,
        /// Registration period, ms (clamped to 10 s..60 s).
        pub register_name_server_period: u64 = "registerNameServerPeriod" => 30_000,
        /// Hold pulls with nothing to read.
        pub long_polling_enable: bool = "longPollingEnable" => true,
        /// Hold time when long polling is off, ms.
        pub short_polling_time_mills: u64 = "shortPollingTimeMills" => 1000,
        /// Index message keys.
        pub message_index_enable: bool = "messageIndexEnable" => true,
        /// Hash slots per index file (420 MB files by default; small values for tests).
        pub max_hash_slot_num: u32 = "maxHashSlotNum" => 5_000_000,
        /// Entries per index file.
        pub max_index_num: u32 = "maxIndexNum" => 20_000_000,
        /// Create the trace topic at start.
        pub trace_topic_enable: bool = "traceTopicEnable" => false,
        /// Trace topic name.
        pub msg_trace_topic_name: String = "msgTraceTopicName" => "RMQ_SYS_TRACE_TOPIC".to_owned(),
        /// Region reported in send responses.
        pub region_id: String = "regionId" => "DefaultRegion".to_owned(),
        /// Whether clients should trace (TRACE_ON in send responses).
        pub trace_on: bool = "traceOn" => true,
        /// Create the cluster-name topic.
        pub cluster_topic_enable: bool = "clusterTopicEnable" => true,
        /// Create the broker-name topic.
        pub broker_topic_enable: bool = "brokerTopicEnable" => true,
        /// Slaves serve reads.
        pub slave_read_enable: bool = "slaveReadEnable" => false,
        /// Memory ratio past which pulls are redirected to a slave.
        pub access_message_in_memory_max_ratio: u32 = "accessMessageInMemoryMaxRatio" => 40,
        /// Pull transfer limits (in memory / on disk).
        pub max_transfer_bytes_on_message_in_memory: u32 = "maxTransferBytesOnMessageInMemory" => 256 * 1024,
        /// Pull transfer count limit in memory.
        pub max_transfer_count_on_message_in_memory: u32 = "maxTransferCountOnMessageInMemory" => 32,
        /// Pull transfer byte limit on disk.
        pub max_transfer_bytes_on_message_in_disk: u32 = "maxTransferBytesOnMessageInDisk" => 64 * 1024,
        /// Pull transfer count limit on disk.
        pub max_transfer_count_on_message_in_disk: u32 = "maxTransferCountOnMessageInDisk" => 8,
        /// Refuse half (prepared) messages.
        pub reject_transaction_message: bool = "rejectTransactionMessage" => false,
        /// Transaction check: first check after, ms.
        pub transaction_time_out: u64 = "transactionTimeOut" => 6000,
        /// Transaction check: maximum checks.
        pub transaction_check_max: u32 = "transactionCheckMax" => 15,
        /// Transaction check period, ms.
        pub transaction_check_interval: u64 = "transactionCheckInterval" => 60_000,
        /// Notify consumers on membership change.
        pub notify_consumer_ids_changed_enable: bool = "notifyConsumerIdsChangedEnable" => true,
        /// RocketMQ home (accepted for compatibility).
        pub rocketmq_home: Option<String> = "rocketmqHome" => None,
        /// Also listen on listenPort - 2 (the VIP channel of clients up to 4.4).
        pub fast_listen_enable: bool = "fastListenEnable" => true,
        /// POP: revive queue ids handed out round robin in handles.
        pub revive_queue_num: i32 = "reviveQueueNum" => 8,
        /// POP: percent of pops that read the group's retry topic before the topic.
        pub pop_from_retry_probability: u32 = "popFromRetryProbability" => 20,
        /// POP: how often invisible times are checked for revive, ms.
        pub revive_interval: u64 = "reviveInterval" => 1000,
        /// POP: pops parked on one queue of a group before POLLING_FULL.
        pub pop_polling_size: i32 = "popPollingSize" => 1024,
        /// POP: pops parked on the broker before POLLING_FULL.
        pub max_pop_polling_size: i64 = "maxPopPollingSize" => 100_000,
        /// Also store replies (SEND_REPLY_MESSAGE) on the reply topic, besides pushing them.
        pub store_reply_message_enable: bool = "storeReplyMessageEnable" => true,
        /// Largest frame accepted, bytes.
        pub max_frame_size: usize = "frameMaxLength" => 16 * 1024 * 1024,
        // wt-conf keys
        /// The broker's own properties file, where UPDATE_BROKER_CONFIG persists changes: the
        /// `-c` file when started with one (set by mqbroker), else unset =
        /// `<storePathRootDir>/config/broker.properties`, read at start. Default: unset.
        pub broker_config_path: Option<String> = "brokerConfigPath" => None,
    }
}

/// Keys of the official broker that we accept but do not act on (yet): named in a warning.
pub fn unsupported_keys(pairs: &std::collections::BTreeMap<String, String>) -> Vec<String> {
    pairs.keys().filter(|k| !BrokerConfig::KEYS.contains(&k.as_str())).cloned().collect()
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
        match self.runtime_worker_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1)),
            n => n as usize,
        }
    }

    /// Checks cross-field rules.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: String| Err(ConfigError::Invalid { key: key.to_owned(), reason });
        rmq_common::properties::check::check_all(&self.to_pairs(), checks::CHECKS)?;
        if self.broker_role == BrokerRole::Slave && self.broker_id == 0 {
            return invalid("brokerId", "a SLAVE must have brokerId > 0".into());
        }
        if self.broker_role != BrokerRole::Slave && self.broker_id != 0 {
            return invalid("brokerId", "a master must have brokerId 0 (set brokerRole=SLAVE for a slave)".into());
        }
        if self.timer_max_delay_sec == 0
            || self.timer_max_delay_sec / (self.timer_precision_ms / 10).max(1) > 100_000_000
        {
            return invalid("timerMaxDelaySec", "must be > 0, and at most 10^9 ticks of timerPrecisionMs".into());
        }
        delay_levels::parse_delay_levels(&self.message_delay_level)
            .map_err(|reason| ConfigError::Invalid { key: "messageDelayLevel".into(), reason })?;
        Ok(())
    }

    /// `ip:listenPort` as registered and embedded in offset message ids.
    #[must_use]
    pub fn broker_addr(&self) -> String {
        format!("{}:{}", self.broker_ip1, self.listen_port)
    }

    /// The HA port.
    #[must_use]
    pub fn ha_port(&self) -> u16 {
        self.ha_listen_port.unwrap_or(self.listen_port.saturating_add(1))
    }

    /// `ip:haPort`.
    #[must_use]
    pub fn ha_addr(&self) -> String {
        format!("{}:{}", self.broker_ip2.as_deref().unwrap_or(&self.broker_ip1), self.ha_port())
    }

    /// Name server addresses.
    #[must_use]
    pub fn namesrv_list(&self) -> Vec<String> {
        self.namesrv_addr
            .as_deref()
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The store root directory.
    #[must_use]
    pub fn store_root(&self) -> PathBuf {
        PathBuf::from(&self.store_path_root_dir)
    }

    /// The config directory (`<root>/config`).
    #[must_use]
    pub fn config_dir(&self) -> PathBuf {
        self.store_root().join("config")
    }

    /// Whether this broker is a master.
    #[must_use]
    pub fn is_master(&self) -> bool {
        self.broker_role != BrokerRole::Slave
    }
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
}
