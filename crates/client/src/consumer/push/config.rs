//! Push consumer settings.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::ClientConfig;
use crate::consumer::allocate::AllocateStrategy;
use crate::consumer::types::{ConsumeFromWhere, MessageModel};

/// Push consumer settings, with the official defaults.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// Consumer group (every instance of a group must subscribe the same way).
    pub group: String,
    /// Client settings.
    pub client: ClientConfig,
    /// Clustering or broadcasting.
    pub model: MessageModel,
    /// Start point of a group without offsets.
    pub from_where: ConsumeFromWhere,
    /// Queue allocation.
    pub allocate: AllocateStrategy,
    /// Listener calls running at once (consumeThreadMax, 20).
    pub consume_threads: usize,
    /// Messages per listener call (1).
    pub consume_batch_size: usize,
    /// Messages per pull (32).
    pub pull_batch_size: i32,
    /// Pause pulling a queue holding this many messages (1000)...
    pub pull_threshold_for_queue: usize,
    /// ...or this many body bytes (100 MiB).
    pub pull_threshold_size_for_queue: usize,
    /// Retries before the dead-letter queue (16).
    pub max_reconsume_times: i32,
    /// Orderly: pause after SuspendCurrentQueueAMoment (1 s).
    pub suspend_current_queue_time: Duration,
    /// Broadcasting offsets directory (default `~/.rocketmq_offsets`).
    pub local_offset_dir: Option<PathBuf>,
    /// Record a trace of every listener call (enableMsgTrace).
    pub enable_msg_trace: bool,
    /// Trace topic (default RMQ_SYS_TRACE_TOPIC).
    pub trace_topic: Option<String>,
}

impl ConsumerConfig {
    /// Defaults for `group` with these name servers.
    pub fn new(group: impl Into<String>, namesrv: impl Into<String>) -> Self {
        Self { group: group.into(), client: ClientConfig::with_namesrv(namesrv), ..Self::default() }
    }
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            group: "DEFAULT_CONSUMER".into(),
            client: ClientConfig::default(),
            model: MessageModel::Clustering,
            from_where: ConsumeFromWhere::LastOffset,
            allocate: AllocateStrategy::Average,
            consume_threads: 20,
            consume_batch_size: 1,
            pull_batch_size: 32,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue: 100 * 1024 * 1024,
            max_reconsume_times: 16,
            suspend_current_queue_time: Duration::from_secs(1),
            local_offset_dir: None,
            enable_msg_trace: false,
            trace_topic: None,
        }
    }
}
