//! The store's settings derived from the broker config.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use rmq_store::{
    FileConfig, FlushConfig, FlushMode, IndexConfig, RetentionConfig, StoreConfig, TopicRules, TransferLimit,
    TransferLimits,
};

use crate::config::{BrokerConfig, FlushDiskType};

/// Maps broker.conf keys onto the store's config.
#[must_use]
pub fn store_config(cfg: &BrokerConfig) -> StoreConfig {
    let ip: IpAddr = cfg.net.broker_ip1.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]));
    StoreConfig {
        root: cfg.store_root(),
        files: FileConfig {
            commit_log_dir: cfg.files.store_path_commit_log.as_ref().map(PathBuf::from),
            commit_log_file_size: usize::try_from(cfg.files.mapped_file_size_commit_log).unwrap_or(1 << 30),
            cq_units_per_file: usize::try_from(cfg.files.mapped_file_size_consume_queue / 20).unwrap_or(300_000).max(1),
        },
        flush: FlushConfig {
            mode: match cfg.flush.flush_disk_type {
                FlushDiskType::AsyncFlush => FlushMode::Async,
                FlushDiskType::SyncFlush => FlushMode::Sync,
            },
            interval: Duration::from_millis(cfg.flush.flush_interval_commit_log.max(1)),
            least_pages: cfg.flush.flush_commit_log_least_pages,
            thorough_interval: Duration::from_millis(cfg.flush.flush_commit_log_thorough_interval),
            sync_timeout: Duration::from_millis(cfg.flush.sync_flush_timeout.max(1)),
            cq_least_pages: cfg.flush.flush_consume_queue_least_pages,
            cq_thorough_interval: Duration::from_millis(cfg.flush.flush_consume_queue_thorough_interval),
        },
        max_message_size: usize::try_from(cfg.send.max_message_size).unwrap_or(4 << 20) + 64 * 1024,
        store_host: SocketAddr::new(ip, cfg.net.listen_port),
        index: IndexConfig {
            enable: cfg.files.message_index_enable,
            max_hash_slot_num: cfg.files.max_hash_slot_num,
            max_index_num: cfg.files.max_index_num,
        },
        access_message_in_memory_max_ratio: cfg.pull.access_message_in_memory_max_ratio.min(100),
        retention: RetentionConfig {
            disk_full_ratio: cfg.retention.disk_space_warning_level_ratio,
            clean_forcibly_ratio: cfg.retention.disk_space_clean_forcibly_ratio,
            clean_forcibly: cfg.retention.clean_file_forcibly_enable,
            file_reserved_time: Duration::from_secs(cfg.retention.file_reserved_time.saturating_mul(3600)),
            delete_when: cfg.retention.delete_when.split(';').filter_map(|h| h.trim().parse().ok()).collect(),
            disk_max_used_ratio: cfg.retention.disk_max_used_space_ratio,
        },
        // The schedule service recomputes delivery times from the level: a delayed message's
        // unit rebuilt from the log carries its store time.
        topics: TopicRules { store_time_tag_topics: vec![rmq_common::topic::SCHEDULE.to_owned()] },
        transfer: TransferLimits {
            in_memory: TransferLimit {
                count: limit(cfg.pull.max_transfer_count_on_message_in_memory),
                bytes: limit(cfg.pull.max_transfer_bytes_on_message_in_memory),
            },
            on_disk: TransferLimit {
                count: limit(cfg.pull.max_transfer_count_on_message_in_disk),
                bytes: limit(cfg.pull.max_transfer_bytes_on_message_in_disk),
            },
        },
    }
}

fn limit(v: u32) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX).max(1)
}
