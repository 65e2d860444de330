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

/// Store settings.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Root directory (consume queues, checkpoint, abort, lock live here).
    pub root: PathBuf,
    /// Commit log directory (default `<root>/commitlog`).
    pub commit_log_dir: Option<PathBuf>,
    /// Commit log file size (default 1 GiB).
    pub commit_log_file_size: usize,
    /// Consume queue units per file (default 300 000).
    pub cq_units_per_file: usize,
    /// Flush policy.
    pub flush_mode: FlushMode,
    /// Async flush interval (default 500 ms).
    pub flush_interval: Duration,
    /// An async flush waits until this many 4 KiB pages are dirty (default 4)...
    pub flush_least_pages: u32,
    /// ...unless this long passed since the last flush of everything (default 10 s).
    pub flush_thorough_interval: Duration,
    /// SYNC flush wait limit (default 5 s).
    pub sync_flush_timeout: Duration,
    /// Largest accepted record (default 4 MiB plus headers).
    pub max_message_size: usize,
    /// Address written into records and offset message ids.
    pub store_host: SocketAddr,
    /// Index message keys.
    pub index_enable: bool,
    /// Percent of RAM the commit log is assumed to have cached; a read further behind than
    /// that suggests a slave (default 40).
    pub access_message_in_memory_max_ratio: u32,
    /// Hash slots per index file (RocketMQ maxHashSlotNum, default 5 000 000).
    pub max_hash_slot_num: u32,
    /// Entries per index file (RocketMQ maxIndexNum, default 20 000 000).
    pub max_index_num: u32,
    /// Refuse appends when the disk is fuller than this percentage (default 95).
    pub disk_full_ratio: u32,
    /// Keep commit log files this long after their last write (default 72 h).
    pub file_reserved_time: Duration,
    /// Hours of the day (local clock of the process, UTC here) when expired files are deleted.
    pub delete_when: Vec<u32>,
    /// Delete the oldest files at once, expired or not, past this disk usage percentage.
    pub disk_max_used_ratio: u32,
    /// What one pull may return.
    pub transfer: TransferLimits,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            root: PathBuf::from("store"),
            commit_log_dir: None,
            commit_log_file_size: 1024 * 1024 * 1024,
            cq_units_per_file: 300_000,
            flush_mode: FlushMode::Async,
            flush_interval: Duration::from_millis(500),
            flush_least_pages: 4,
            flush_thorough_interval: Duration::from_secs(10),
            sync_flush_timeout: Duration::from_secs(5),
            max_message_size: 4 * 1024 * 1024 + 64 * 1024,
            store_host: SocketAddr::from(([127, 0, 0, 1], 10911)),
            index_enable: true,
            access_message_in_memory_max_ratio: 40,
            max_hash_slot_num: 5_000_000,
            max_index_num: 20_000_000,
            disk_full_ratio: 95,
            file_reserved_time: Duration::from_secs(72 * 3600),
            delete_when: vec![4],
            disk_max_used_ratio: 75,
            transfer: TransferLimits::default(),
        }
    }
}

impl StoreConfig {
    /// The commit log directory.
    #[must_use]
    pub fn commit_log_path(&self) -> PathBuf {
        self.commit_log_dir.clone().unwrap_or_else(|| self.root.join("commitlog"))
    }
}
