//! Metric and label names as Apache RocketMQ 5 exports them, and its histogram buckets.
//! Counter names are given without `_total`: the encoder appends it, as Prometheus requires.

/// `rocketmq_messages_in_total`: messages stored, by topic and message type.
pub const MESSAGES_IN: &str = "rocketmq_messages_in";
/// `rocketmq_messages_out_total`: messages handed to consumers, by topic and group.
pub const MESSAGES_OUT: &str = "rocketmq_messages_out";
/// `rocketmq_throughput_in_total`: bytes stored.
pub const THROUGHPUT_IN: &str = "rocketmq_throughput_in";
/// `rocketmq_throughput_out_total`: bytes handed to consumers.
pub const THROUGHPUT_OUT: &str = "rocketmq_throughput_out";
/// Histogram of incoming message sizes, bytes.
pub const MESSAGE_SIZE: &str = "rocketmq_message_size";
/// Histogram of request processing time, ms.
pub const RPC_LATENCY: &str = "rocketmq_rpc_latency";
/// Messages a group has not consumed yet, by group and topic.
pub const CONSUMER_LAG_MESSAGES: &str = "rocketmq_consumer_lag_messages";
/// Age of the oldest unconsumed message, ms.
pub const CONSUMER_LAG_LATENCY: &str = "rocketmq_consumer_lag_latency";
/// Messages pulled but not committed yet.
pub const CONSUMER_INFLIGHT_MESSAGES: &str = "rocketmq_consumer_inflight_messages";
/// Age of the oldest message not pulled yet, ms.
pub const CONSUMER_QUEUEING_LATENCY: &str = "rocketmq_consumer_queueing_latency";
/// Messages ready to be pulled.
pub const CONSUMER_READY_MESSAGES: &str = "rocketmq_consumer_ready_messages";
/// Bytes the store holds.
pub const STORAGE_SIZE: &str = "rocketmq_storage_size";
/// Commit-log bytes written and not flushed yet.
pub const STORAGE_FLUSH_BEHIND: &str = "rocketmq_storage_flush_behind_bytes";
/// Commit-log bytes not dispatched to consume queues yet.
pub const STORAGE_DISPATCH_BEHIND: &str = "rocketmq_storage_dispatch_behind_bytes";
/// Topics the broker knows.
pub const TOPIC_NUMBER: &str = "rocketmq_topic_number";
/// Subscription groups the broker knows.
pub const CONSUMER_GROUP_NUMBER: &str = "rocketmq_consumer_group_number";
/// Producer connections, by language and version.
pub const PRODUCER_CONNECTIONS: &str = "rocketmq_producer_connections";
/// Consumer connections, by group, language and version.
pub const CONSUMER_CONNECTIONS: &str = "rocketmq_consumer_connections";
/// The broker's permission bits.
pub const BROKER_PERMISSION: &str = "rocketmq_broker_permission";
/// Bytes a slave is behind its master (ours: RocketMQ 5 reports HA lag through its
/// controller metrics only).
pub const HA_LAG_BYTES: &str = "rocketmq_ha_lag_bytes";
/// Slaves connected to a master.
pub const HA_CONNECTED_SLAVES: &str = "rocketmq_ha_connected_slaves";

/// Label names.
pub mod label {
    /// Cluster name.
    pub const CLUSTER: &str = "cluster";
    /// `broker`, `namesrv` or `proxy`.
    pub const NODE_TYPE: &str = "node_type";
    /// The broker name (or the server's address).
    pub const NODE_ID: &str = "node_id";
    /// Topic.
    pub const TOPIC: &str = "topic";
    /// Consumer group.
    pub const CONSUMER_GROUP: &str = "consumer_group";
    /// A system topic or group.
    pub const IS_SYSTEM: &str = "is_system";
    /// A retry topic.
    pub const IS_RETRY: &str = "is_retry";
    /// normal, fifo, delay, transaction.
    pub const MESSAGE_TYPE: &str = "message_type";
    /// Client language, lower case.
    pub const LANGUAGE: &str = "language";
    /// Client version, lower case (`v4_9_8`).
    pub const VERSION: &str = "version";
    /// `remoting`.
    pub const PROTOCOL_TYPE: &str = "protocol_type";
    /// Request code name, lower case.
    pub const REQUEST_CODE: &str = "request_code";
    /// Response code name, lower case.
    pub const RESPONSE_CODE: &str = "response_code";
    /// `local`.
    pub const STORAGE_TYPE: &str = "storage_type";
    /// `disk`.
    pub const STORAGE_MEDIUM: &str = "storage_medium";
    /// Consume mode (`push`/`pull`, as RocketMQ's consume type in lower case).
    pub const CONSUME_MODE: &str = "consume_mode";
}

/// Message size buckets, bytes (RocketMQ: 1 KiB, 4 KiB, 512 KiB, 1 MiB, 2 MiB, 4 MiB).
pub const MESSAGE_SIZE_BUCKETS: &[f64] = &[1024.0, 4096.0, 524_288.0, 1_048_576.0, 2_097_152.0, 4_194_304.0];

/// RPC latency buckets, ms (RocketMQ: 1, 3, 5, 7, 10, 100 ms, 1, 2, 3 s).
pub const RPC_LATENCY_BUCKETS: &[f64] = &[1.0, 3.0, 5.0, 7.0, 10.0, 100.0, 1000.0, 2000.0, 3000.0];
