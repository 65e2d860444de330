//! Push consumer settings: the group and where it starts, how the listener runs
//! ([`ConsumeSettings`]), how queues are pulled ([`PullSettings`]), and tracing.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::listener::RebalanceListener;
use crate::builder::config_builder;
use crate::config::ClientConfig;
use crate::consumer::allocate::AllocateStrategy;
use crate::consumer::types::{ConsumeFromWhere, MessageModel};
use crate::trace::TraceSettings;

/// Push consumer settings, with the Java `DefaultMQPushConsumer`'s defaults. Build with
/// [`ConsumerConfig::builder`].
#[derive(Debug, Clone)]
#[non_exhaustive]
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
    /// Told of queues assigned and revoked by rebalances (none).
    pub rebalance_listener: Option<Arc<dyn RebalanceListener>>,
}

/// How the listener runs, with the official defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
#[non_exhaustive]
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

    /// A builder for `group`, from the defaults.
    pub fn builder(group: impl Into<String>) -> ConsumerConfigBuilder {
        ConsumerConfigBuilder::from_config(Self { group: group.into(), ..Self::default() })
    }
}

config_builder! {
    /// Builds a [`ConsumerConfig`]; nested settings have flat setters too
    /// (`consume_thread_max`, `pull_batch_size`...).
    ConsumerConfigBuilder for ConsumerConfig {
        group: String,
        client: ClientConfig,
        model: MessageModel,
        from_where: ConsumeFromWhere,
        allocate: AllocateStrategy,
        consume: ConsumeSettings,
        pull: PullSettings,
        trace: TraceSettings,
    }
}

impl ConsumerConfigBuilder {
    /// Name server addresses, `host:port;host:port`.
    pub fn namesrv_addr(mut self, addr: impl Into<String>) -> Self {
        self.config.client.namesrv_addr = Some(addr.into());
        self
    }

    /// Listener calls running at once (consumeThreadMax, 20).
    pub fn consume_thread_max(mut self, n: usize) -> Self {
        self.config.consume.threads = n;
        self
    }

    /// Messages per listener call (consumeMessageBatchMaxSize, 1).
    pub fn consume_message_batch_max_size(mut self, n: usize) -> Self {
        self.config.consume.batch_size = n;
        self
    }

    /// Retries before the dead-letter queue (maxReconsumeTimes, 16).
    pub fn max_reconsume_times(mut self, n: i32) -> Self {
        self.config.consume.max_reconsume_times = n;
        self
    }

    /// Orderly: pause after a suspended batch (suspendCurrentQueueTimeMillis, 1 s).
    pub fn suspend_current_queue_time(mut self, d: Duration) -> Self {
        self.config.consume.suspend_current_queue_time = d;
        self
    }

    /// Messages per pull (pullBatchSize, 32).
    pub fn pull_batch_size(mut self, n: i32) -> Self {
        self.config.pull.batch_size = n;
        self
    }

    /// Pause pulling a queue holding this many messages (pullThresholdForQueue, 1000).
    pub fn pull_threshold_for_queue(mut self, n: usize) -> Self {
        self.config.pull.threshold_for_queue = n;
        self
    }

    /// Pause pulling a queue holding this many body bytes (pullThresholdSizeForQueue, 100 MiB).
    pub fn pull_threshold_size_for_queue(mut self, bytes: usize) -> Self {
        self.config.pull.threshold_size_for_queue = bytes;
        self
    }

    /// Told of queues assigned and revoked by rebalances.
    pub fn rebalance_listener(mut self, listener: Arc<dyn RebalanceListener>) -> Self {
        self.config.rebalance_listener = Some(listener);
        self
    }

    /// Broadcasting offsets directory.
    pub fn local_offset_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.local_offset_dir = Some(dir.into());
        self
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
            rebalance_listener: None,
        }
    }
}
