//! Producer settings.

use std::time::Duration;

use crate::builder::config_builder;
use crate::config::ClientConfig;
use crate::trace::TraceSettings;

/// Producer settings, with the Java `DefaultMQProducer`'s defaults. Build with
/// [`ProducerConfig::builder`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProducerConfig {
    /// Producer group.
    pub group: String,
    /// Client settings (name servers, instance name...).
    pub client: ClientConfig,
    /// Send timeout (3 s).
    pub send_timeout: Duration,
    /// Extra attempts of a failed sync send, on another broker (2).
    pub retry_times_when_send_failed: u32,
    /// Extra attempts of a failed async send (2).
    pub retry_times_when_send_async_failed: u32,
    /// Bodies above this many bytes are zlib-compressed (4 KiB).
    pub compress_over: usize,
    /// Largest body accepted (4 MiB).
    pub max_message_size: usize,
    /// Queues per broker for a topic created on first send (4).
    pub default_topic_queue_nums: i32,
    /// Avoid brokers that were slow or failed.
    pub latency_fault_tolerance: bool,
    /// Message tracing of every send (enableMsgTrace).
    pub trace: TraceSettings,
}

impl ProducerConfig {
    /// Defaults for `group` with these name servers.
    pub fn new(group: impl Into<String>, namesrv: impl Into<String>) -> Self {
        Self { group: group.into(), client: ClientConfig::with_namesrv(namesrv), ..Self::default() }
    }

    /// A builder for `group`, from the defaults.
    pub fn builder(group: impl Into<String>) -> ProducerConfigBuilder {
        ProducerConfigBuilder::from_config(Self { group: group.into(), ..Self::default() })
    }

    /// The settings of the inner producer that sends the traces of `owner_group`'s clients.
    #[must_use]
    pub(crate) fn for_traces(client: &ClientConfig, owner_group: &str) -> Self {
        let mut config = Self {
            group: format!("_INNER_TRACE_PRODUCER-{owner_group}"),
            client: client.clone(),
            send_timeout: Duration::from_secs(5),
            ..Self::default()
        };
        config.client.instance_name = format!("PID_CLIENT_INNER_TRACE_PRODUCER_{}", client.instance_name);
        config
    }
}

config_builder! {
    /// Builds a [`ProducerConfig`].
    ProducerConfigBuilder for ProducerConfig {
        group: String,
        client: ClientConfig,
        send_timeout: Duration,
        retry_times_when_send_failed: u32,
        retry_times_when_send_async_failed: u32,
        compress_over: usize,
        max_message_size: usize,
        default_topic_queue_nums: i32,
        latency_fault_tolerance: bool,
        trace: TraceSettings,
    }
}

impl ProducerConfigBuilder {
    /// Name server addresses, `host:port;host:port`.
    pub fn namesrv_addr(mut self, addr: impl Into<String>) -> Self {
        self.config.client.namesrv_addr = Some(addr.into());
        self
    }
}

impl Default for ProducerConfig {
    fn default() -> Self {
        Self {
            group: rmq_common::group::DEFAULT_PRODUCER.into(),
            client: ClientConfig::default(),
            send_timeout: Duration::from_secs(3),
            retry_times_when_send_failed: 2,
            retry_times_when_send_async_failed: 2,
            compress_over: 4096,
            max_message_size: 4 * 1024 * 1024,
            default_topic_queue_nums: 4,
            latency_fault_tolerance: true,
            trace: TraceSettings::default(),
        }
    }
}
