//! Store configuration with RocketMQ's defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Flush policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlushMode {
    /// Background flush every `flush_interval`.
    #[default]
    Async,
    /// A put returns once an fsync covers it (group commit).
    Sync,
}

/// How much one pull may return: at most `count` messages and, past the first, `bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferLimit {
    /// Messages per pull (`maxTransferCountOnMessageIn{Memory,Disk}`).
    pub count: usize,
    /// Bytes per pull (`maxTransferBytesOnMessageIn{Memory,Disk}`).
    pub bytes: usize,
}

/// Pull limits, by where the first message read lies: within `accessMessageInMemoryMaxRatio`
/// of RAM behind the commit log's end (in memory) or farther (on disk), as RocketMQ decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferLimits {
    /// Defaults 32 messages, 256 KiB.
    pub in_memory: TransferLimit,
    /// Defaults 8 messages, 64 KiB.
    pub on_disk: TransferLimit,
}

impl Default for TransferLimits {
    fn default() -> Self {
        Self {
            in_memory: TransferLimit { count: 32, bytes: 256 * 1024 },
            on_disk: TransferLimit { count: 8, bytes: 64 * 1024 },
        }
    }
}

/// Flush settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlushConfig {
    /// Flush policy.
    pub mode: FlushMode,
    /// Async flush interval (default 500 ms).
    pub interval: Duration,
    /// An async flush waits until this many 4 KiB pages are dirty (default 4)...
    pub least_pages: u32,
    /// ...unless this long passed since the last flush of everything (default 10 s).
    pub thorough_interval: Duration,
    /// SYNC flush wait limit (default 5 s).
    pub sync_timeout: Duration,
    /// A consume queue is flushed (once a second) when this many 4 KiB pages of it are
    /// unflushed (default 2, RocketMQ's `flushConsumeQueueLeastPages`)...
    pub cq_least_pages: u32,
    /// ...and every queue with anything unflushed this often (default 60 s,
    /// `flushConsumeQueueThoroughInterval`); the checkpoint's logics time moves only then.
    pub cq_thorough_interval: Duration,
}

impl Default for FlushConfig {
    fn default() -> Self {
        Self {
            mode: FlushMode::Async,
            interval: Duration::from_millis(500),
            least_pages: 4,
            thorough_interval: Duration::from_secs(10),
            sync_timeout: Duration::from_secs(5),
            cq_least_pages: 2,
            cq_thorough_interval: Duration::from_secs(60),
        }
    }
}

/// Where the files go and how large they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileConfig {
    /// Commit log directory (default `<root>/commitlog`).
    pub commit_log_dir: Option<PathBuf>,
    /// Commit log file size (default 1 GiB).
    pub commit_log_file_size: usize,
    /// Consume queue units per file (default 300 000).
    pub cq_units_per_file: usize,
}

impl Default for FileConfig {
    fn default() -> Self {
        Self { commit_log_dir: None, commit_log_file_size: 1024 * 1024 * 1024, cq_units_per_file: 300_000 }
    }
}

/// The key index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexConfig {
    /// Index message keys.
    pub enable: bool,
    /// Hash slots per index file (RocketMQ maxHashSlotNum, default 5 000 000).
    pub max_hash_slot_num: u32,
    /// Entries per index file (RocketMQ maxIndexNum, default 20 000 000).
    pub max_index_num: u32,
}

impl Default for IndexConfig {
    fn default() -> Self {
        Self { enable: true, max_hash_slot_num: 5_000_000, max_index_num: 20_000_000 }
    }
}

/// Retention and disk limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionConfig {
    /// Keep commit log files this long after their last write (default 72 h).
    pub file_reserved_time: Duration,
    /// Hours of the day (local clock of the process, UTC here) when expired files are deleted.
    pub delete_when: Vec<u32>,
    /// Past this disk usage percentage expired files are deleted at once, not at a delete hour
    /// (`diskMaxUsedSpaceRatio`, default 75).
    pub disk_max_used_ratio: u32,
    /// Past this percentage the oldest files are deleted even when not expired, if
    /// `clean_forcibly` (`diskSpaceCleanForciblyRatio`, default 85).
    pub clean_forcibly_ratio: u32,
    /// Whether retention may delete files that have not expired (`cleanFileForciblyEnable`).
    pub clean_forcibly: bool,
    /// Refuse appends when the disk is fuller than this percentage
    /// (`diskSpaceWarningLevelRatio`, default 90).
    pub disk_full_ratio: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            file_reserved_time: Duration::from_secs(72 * 3600),
            delete_when: vec![4],
            disk_max_used_ratio: 75,
            clean_forcibly_ratio: 85,
            clean_forcibly: true,
            disk_full_ratio: 90,
        }
    }
}

/// What the broker tells the store about its topics (the store knows no topic by name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicRules {
    /// Topics whose consume-queue tag code is the message's store time, not its tag's hash,
    /// when the store rebuilds a unit from the commit log (recovery, replication): the
    /// broker's delay topic, whose schedule service recomputes the delivery time.
    pub store_time_tag_topics: Vec<String>,
}

impl TopicRules {
    /// The tag code of a unit rebuilt from a stored message.
    #[must_use]
    pub fn tag_code(&self, topic: &str, props: &[(String, String)], store_ts: i64) -> i64 {
        if self.store_time_tag_topics.iter().any(|t| t == topic) {
            return store_ts;
        }
        rmq_common::hash::tag_code(rmq_common::property::get(props, rmq_common::property::TAGS))
    }
}

/// Store settings.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Root directory (consume queues, checkpoint, abort, lock live here).
    pub root: PathBuf,
    /// File locations and sizes.
    pub files: FileConfig,
    /// Flush policy.
    pub flush: FlushConfig,
    /// Largest accepted record (default 4 MiB plus headers).
    pub max_message_size: usize,
    /// Address written into records and offset message ids.
    pub store_host: SocketAddr,
    /// The key index.
    pub index: IndexConfig,
    /// Retention and disk limits.
    pub retention: RetentionConfig,
    /// Percent of RAM the commit log is assumed to have cached; a read further behind than
    /// that suggests a slave (default 40).
    pub access_message_in_memory_max_ratio: u32,
    /// What one pull may return.
    pub transfer: TransferLimits,
    /// What the broker tells the store about its topics.
    pub topics: TopicRules,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            root: PathBuf::from("store"),
            files: FileConfig::default(),
            flush: FlushConfig::default(),
            max_message_size: 4 * 1024 * 1024 + 64 * 1024,
            store_host: SocketAddr::from(([127, 0, 0, 1], 10911)),
            index: IndexConfig::default(),
            retention: RetentionConfig::default(),
            access_message_in_memory_max_ratio: 40,
            transfer: TransferLimits::default(),
            topics: TopicRules::default(),
        }
    }
}

impl StoreConfig {
    /// The commit log directory.
    #[must_use]
    pub fn commit_log_path(&self) -> PathBuf {
        self.files.commit_log_dir.clone().unwrap_or_else(|| self.root.join("commitlog"))
    }
}
