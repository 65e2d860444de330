//! Push consumer settings: the group and where it starts, how the listener runs
//! ([`ConsumeSettings`]), how queues are pulled ([`PullSettings`]), and tracing.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::ClientConfig;
use crate::consumer::allocate::AllocateStrategy;
use crate::consumer::types::{ConsumeFromWhere, MessageModel};
use crate::trace::TraceSettings;

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
    /// How the listener runs.
    pub consume: ConsumeSettings,
    /// How queues are pulled.
    pub pull: PullSettings,
    /// Broadcasting offsets directory (default `~/.rocketmq_offsets`).
    pub local_offset_dir: Option<PathBuf>,
    /// Message tracing of every listener call (enableMsgTrace).
    pub trace: TraceSettings,
}

/// How the listener runs, with the official defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumeSettings {
    /// Listener calls running at once (consumeThreadMax, 20).
    pub threads: usize,
    /// Messages per listener call (consumeMessageBatchMaxSize, 1).
    pub batch_size: usize,
    /// Retries before the dead-letter queue (16).
    pub max_reconsume_times: i32,
    /// Orderly: pause after SuspendCurrentQueueAMoment (1 s).
    pub suspend_current_queue_time: Duration,
}

impl Default for ConsumeSettings {
    fn default() -> Self {
        Self { threads: 20, batch_size: 1, max_reconsume_times: 16, suspend_current_queue_time: Duration::from_secs(1) }
    }
}

/// How queues are pulled, with the official defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullSettings {
    /// Messages per pull (pullBatchSize, 32).
    pub batch_size: i32,
    /// Pause pulling a queue holding this many messages (1000)...
    pub threshold_for_queue: usize,
    /// ...or this many body bytes (100 MiB).
    pub threshold_size_for_queue: usize,
}

impl Default for PullSettings {
    fn default() -> Self {
        Self { batch_size: 32, threshold_for_queue: 1000, threshold_size_for_queue: 100 * 1024 * 1024 }
    }
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
            consume: ConsumeSettings::default(),
            pull: PullSettings::default(),
            local_offset_dir: None,
            trace: TraceSettings::default(),
        }
    }
}
