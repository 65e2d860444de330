//! The broker's config groups: each a cohesive set of broker.conf keys, read and printed under
//! the flat RocketMQ key names (BrokerConfig, MessageStoreConfig, NettyServerConfig). A new key
//! goes into the group it belongs with; a group past ~10 keys is split.

use super::{default_store_root, BrokerRole, FlushDiskType};

rmq_common::properties_config! {
    /// Who this broker is and how it registers.
    pub struct BrokerIdentity {
        /// Cluster this broker set belongs to.
        pub broker_cluster_name: String = "brokerClusterName" => "DefaultCluster".to_owned(),
        /// Broker set name (same for master and slaves).
        pub broker_name: String = "brokerName" => "broker-a".to_owned(),
        /// 0 = master, > 0 = slave.
        pub broker_id: i64 = "brokerId" => 0,
        /// Role.
        pub broker_role: BrokerRole = "brokerRole" => BrokerRole::AsyncMaster,
        /// Region reported in send responses.
        pub region_id: String = "regionId" => "DefaultRegion".to_owned(),
        /// Registration period, ms (clamped to 10 s..60 s).
        pub register_name_server_period: u64 = "registerNameServerPeriod" => 30_000,
        /// RocketMQ home (accepted for compatibility).
        pub rocketmq_home: Option<String> = "rocketmqHome" => None,
        /// The broker's own properties file, where UPDATE_BROKER_CONFIG persists changes: the
        /// `-c` file when started with one (set by mqbroker), else unset =
        /// `<storePathRootDir>/config/broker.properties`, read at start. Default: unset.
        pub broker_config_path: Option<String> = "brokerConfigPath" => None,
    }
}

rmq_common::properties_config! {
    /// Addresses, ports, threads and frames.
    pub struct NetSettings {
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
        /// Master HA address for a slave (otherwise learned from the name server).
        pub ha_master_address: Option<String> = "haMasterAddress" => None,
        /// Threads that run connections and request processing (ours, not an official key;
        /// the official `serverWorkerThreads` sizes a pool we do not have). 0 = one per CPU but
        /// one, at least one: the store's flush, pre-fault and append threads and the kernel's
        /// network work need the rest (on 2 cores one worker is ~10% cheaper per message).
        pub runtime_worker_threads: u32 = "runtimeWorkerThreads" => 0,
        /// Also listen on listenPort - 2 (the VIP channel of clients up to 4.4).
        pub fast_listen_enable: bool = "fastListenEnable" => true,
        /// Largest frame accepted, bytes.
        pub max_frame_size: usize = "frameMaxLength" => 16 * 1024 * 1024,
    }
}

rmq_common::properties_config! {
    /// Where the store lives and its file sizes (commit log, consume queues, index).
    pub struct StoreFiles {
        /// Store root.
        pub store_path_root_dir: String = "storePathRootDir" => default_store_root(),
        /// Commit log dir (default `<root>/commitlog`).
        pub store_path_commit_log: Option<String> = "storePathCommitLog" => None,
        /// Commit log file size.
        pub mapped_file_size_commit_log: u64 = "mappedFileSizeCommitLog" => 1024 * 1024 * 1024,
        /// Consume queue file size in bytes (300 000 units of 20 bytes).
        pub mapped_file_size_consume_queue: u64 = "mappedFileSizeConsumeQueue" => 300_000 * 20,
        /// Index message keys.
        pub message_index_enable: bool = "messageIndexEnable" => true,
        /// Hash slots per index file (420 MB files by default; small values for tests).
        pub max_hash_slot_num: u32 = "maxHashSlotNum" => 5_000_000,
        /// Entries per index file.
        pub max_index_num: u32 = "maxIndexNum" => 20_000_000,
    }
}

rmq_common::properties_config! {
    /// When a send counts as durable and how the commit log is flushed.
    pub struct FlushSettings {
        /// Flush policy.
        pub flush_disk_type: FlushDiskType = "flushDiskType" => FlushDiskType::AsyncFlush,
        /// Async flush interval, ms.
        pub flush_interval_commit_log: u64 = "flushIntervalCommitLog" => 500,
        /// Pages an async flush waits for unless a full interval passed.
        pub flush_commit_log_least_pages: u32 = "flushCommitLogLeastPages" => 4,
        /// An async flush covers everything at least this often, ms.
        pub flush_commit_log_thorough_interval: u64 = "flushCommitLogThoroughInterval" => 10_000,
        /// SYNC_FLUSH / SYNC_MASTER wait limit, ms.
        pub sync_flush_timeout: u64 = "syncFlushTimeout" => 5000,
        /// A consume queue is flushed when this many pages of it are unflushed...
        pub flush_consume_queue_least_pages: u32 = "flushConsumeQueueLeastPages" => 2,
        /// ...and every queue at least this often, ms.
        pub flush_consume_queue_thorough_interval: u64 = "flushConsumeQueueThoroughInterval" => 60_000,
    }
}

rmq_common::properties_config! {
    /// How long commit log files are kept.
    pub struct RetentionSettings {
        /// Hours to keep commit log files.
        pub file_reserved_time: u64 = "fileReservedTime" => 72,
        /// Hour(s) of day when expired files are deleted, e.g. `04` or `01;04`.
        pub delete_when: String = "deleteWhen" => "04".to_owned(),
        /// Disk usage ratio (%) that triggers deletion at once.
        pub disk_max_used_space_ratio: u32 = "diskMaxUsedSpaceRatio" => 75,
        /// Disk usage percentage past which retention deletes the oldest commit-log files even
        /// when they have not expired (with cleanFileForciblyEnable), warning about each file
        /// that held unconsumed messages. Past diskMaxUsedSpaceRatio it only deletes expired
        /// files at once, without waiting for deleteWhen.
        pub disk_space_clean_forcibly_ratio: u32 = "diskSpaceCleanForciblyRatio" => 85,
        /// Disk usage percentage past which sends are refused (the disk counts as full).
        pub disk_space_warning_level_ratio: u32 = "diskSpaceWarningLevelRatio" => 90,
        /// Whether retention may delete unexpired files under disk pressure.
        pub clean_file_forcibly_enable: bool = "cleanFileForciblyEnable" => true,
    }
}

rmq_common::properties_config! {
    /// Delayed and timer messages.
    pub struct DelaySettings {
        /// Accept timer messages (TIMER_DELIVER_MS, TIMER_DELAY_SEC/MS, __STARTDELIVERTIME).
        pub timer_wheel_enable: bool = "timerWheelEnable" => true,
        /// Longest timer delay accepted, seconds (3 days).
        pub timer_max_delay_sec: u64 = "timerMaxDelaySec" => 3 * 24 * 3600,
        /// Timer precision (wheel tick), ms.
        pub timer_precision_ms: u64 = "timerPrecisionMs" => 1000,
        /// Delay levels.
        pub message_delay_level: String = "messageDelayLevel" => "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h".to_owned(),
    }
}

rmq_common::properties_config! {
    /// Topic and group creation, permissions and system topics.
    pub struct TopicPolicy {
        /// Create unknown topics from TBW102 on send.
        pub auto_create_topic_enable: bool = "autoCreateTopicEnable" => true,
        /// Create unknown consumer groups on heartbeat/pull.
        pub auto_create_subscription_group: bool = "autoCreateSubscriptionGroup" => true,
        /// Queues of auto-created topics (and TBW102).
        pub default_topic_queue_nums: i32 = "defaultTopicQueueNums" => 8,
        /// Broker-wide permission mask.
        pub broker_permission: i32 = "brokerPermission" => 6,
        /// Create the trace topic at start.
        pub trace_topic_enable: bool = "traceTopicEnable" => false,
        /// Trace topic name.
        pub msg_trace_topic_name: String = "msgTraceTopicName" => "RMQ_SYS_TRACE_TOPIC".to_owned(),
        /// Create the cluster-name topic.
        pub cluster_topic_enable: bool = "clusterTopicEnable" => true,
        /// Create the broker-name topic.
        pub broker_topic_enable: bool = "brokerTopicEnable" => true,
        /// Notify consumers on membership change.
        pub notify_consumer_ids_changed_enable: bool = "notifyConsumerIdsChangedEnable" => true,
        /// Longest a change of topics.json or subscriptionGroup.json may wait before the
        /// metadata writer saves it, ms (changes within the window are saved in one write; a send
        /// to a topic just created asks for the save at once).
        pub metadata_persist_max_delay_ms: u64 = "metadataPersistMaxDelayMs" => 1000,
    }
}

rmq_common::properties_config! {
    /// What sends may carry: size, trace flag, replies, transactions.
    pub struct SendSettings {
        /// Largest message body + properties accepted.
        pub max_message_size: u32 = "maxMessageSize" => 4 * 1024 * 1024,
        /// Whether clients should trace (TRACE_ON in send responses).
        pub trace_on: bool = "traceOn" => true,
        /// Also store replies (SEND_REPLY_MESSAGE) on the reply topic, besides pushing them.
        pub store_reply_message_enable: bool = "storeReplyMessageEnable" => true,
        /// Refuse half (prepared) messages.
        pub reject_transaction_message: bool = "rejectTransactionMessage" => false,
        /// Transaction check: first check after, ms.
        pub transaction_time_out: u64 = "transactionTimeOut" => 6000,
        /// Transaction check: maximum checks.
        pub transaction_check_max: u32 = "transactionCheckMax" => 15,
        /// Transaction check period, ms.
        pub transaction_check_interval: u64 = "transactionCheckInterval" => 60_000,
        /// Accept RECALL_MESSAGE (off by default, as RocketMQ 5.3.1+).
        pub recall_message_enable: bool = "recallMessageEnable" => false,
        /// Accept RECALL_MESSAGE while the broker is not writable.
        pub allow_recall_when_broker_not_writeable: bool = "allowRecallWhenBrokerNotWriteable" => true,
    }
}

rmq_common::properties_config! {
    /// Long polling, slave reads and pull transfer limits.
    pub struct PullSettings {
        /// Hold pulls with nothing to read.
        pub long_polling_enable: bool = "longPollingEnable" => true,
        /// Hold time when long polling is off, ms.
        pub short_polling_time_mills: u64 = "shortPollingTimeMills" => 1000,
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
    }
}

rmq_common::properties_config! {
    /// POP consumption.
    pub struct PopSettings {
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
    }
}

rmq_common::properties_config! {
    /// ACL 1.0: request signatures and permissions (rmq-acl; docs/security.md).
    pub struct AclSettings {
        /// Check every request against plain_acl.yml (refused: NO_PERMISSION). Default false.
        pub acl_enable: bool = "aclEnable" => false,
        /// The ACL file (RocketMQ's `rocketmq.acl.plain.file` property): absolute, or relative to
        /// `rocketmqHome` (else `ROCKETMQ_HOME`, else the working directory). Default
        /// `conf/plain_acl.yml`.
        pub acl_plain_file: String = "rocketmq.acl.plain.file" => "conf/plain_acl.yml".to_owned(),
        /// The broker's own account for its calls to name servers and its master, as RocketMQ
        /// 5.3's AuthConfig writes it: `{"accessKey":"..","secretKey":".."}`. Default: unset
        /// (unsigned calls).
        pub inner_client_authentication_credentials: Option<String> = "innerClientAuthenticationCredentials" => None,
    }
}

rmq_common::properties_config! {
    /// ACL 2.0 (RocketMQ 5.3's AuthConfig keys): users and policies kept by the broker
    /// (`<storePathRootDir>/config/auth.json`), managed with mqadmin createUser/createAcl
    /// (rmq-acl `v2`; docs/security.md).
    pub struct AuthSettings {
        /// Check every request's signature against the users (refused: NO_PERMISSION). Default false.
        pub authentication_enabled: bool = "authenticationEnabled" => false,
        /// Check every request against the users' ACLs (super users pass). Default false.
        pub authorization_enabled: bool = "authorizationEnabled" => false,
        /// Only RocketMQ's default provider is supported (its class name, or unset). Default unset.
        pub authentication_provider: Option<String> = "authenticationProvider" => None,
        /// Only RocketMQ's default provider is supported (its class name, or unset). Default unset.
        pub authorization_provider: Option<String> = "authorizationProvider" => None,
        /// Accepted for compatibility: users always live in the broker's own store. Default unset.
        pub authentication_metadata_provider: Option<String> = "authenticationMetadataProvider" => None,
        /// Accepted for compatibility: ACLs always live in the broker's own store. Default unset.
        pub authorization_metadata_provider: Option<String> = "authorizationMetadataProvider" => None,
        /// A super user created at start unless one of that name exists:
        /// `{"username":"..","password":".."}`. Default unset.
        pub init_authentication_user: Option<String> = "initAuthenticationUser" => None,
        /// Request codes not authenticated, comma-separated (e.g. `34,10`). Default empty.
        pub authentication_whitelist: String = "authenticationWhitelist" => String::new(),
        /// Request codes not authorized, comma-separated. Default empty.
        pub authorization_whitelist: String = "authorizationWhitelist" => String::new(),
        /// Create users and ACLs from plain_acl.yml's accounts at start (those not present yet).
        /// Default false.
        pub migrate_auth_from_v1_enabled: bool = "migrateAuthFromV1Enabled" => false,
    }
}

rmq_common::properties_config! {
    /// Metrics export (RocketMQ 5's BrokerConfig keys): a Prometheus endpoint when
    /// `metricsExporterType=PROM`.
    pub struct MetricsSettings {
        /// DISABLE (default), PROM (the endpoint), OTLP_GRPC or LOG (accepted, not served).
        pub metrics_exporter_type: rmq_metrics::ExporterType = "metricsExporterType" => rmq_metrics::ExporterType::Disable,
        /// Address the endpoint binds; empty = all interfaces (RocketMQ's default). Default empty.
        pub metrics_prom_exporter_host: String = "metricsPromExporterHost" => String::new(),
        /// Port of the endpoint. Default 5557, as RocketMQ.
        pub metrics_prom_exporter_port: u16 = "metricsPromExporterPort" => 5557,
    }
}

rmq_common::properties_config! {
    /// Controller mode (RocketMQ 5): the controllers decide this broker's id and role, and the
    /// master acknowledges SYNC writes by its SyncStateSet (BrokerConfig and
    /// MessageStoreConfig keys, official defaults).
    pub struct ControllerSettings {
        /// Take id and role from the controllers (brokerId and brokerRole are then ignored).
        /// Default false.
        pub enable_controller_mode: bool = "enableControllerMode" => false,
        /// Controllers, `;`-separated `host:port`. Default empty.
        pub controller_addr: String = "controllerAddr" => String::new(),
        /// How often the broker asks the controller for its set's master and SyncStateSet
        /// (CONTROLLER_GET_REPLICA_INFO) and applies a role change it missed, ms. Default 5000.
        pub sync_broker_metadata_period: u64 = "syncBrokerMetadataPeriod" => 5_000,
        /// How often the master checks which replicas are caught up, ms. Default 5000.
        pub check_sync_state_set_period: u64 = "checkSyncStateSetPeriod" => 5_000,
        /// How often the broker looks for the controller leader (CONTROLLER_GET_METADATA_INFO),
        /// ms. Default 10000.
        pub sync_controller_metadata_period: u64 = "syncControllerMetadataPeriod" => 10_000,
        /// A broker without a heartbeat for this long is dead to the controller, ms. Default
        /// 10000.
        pub controller_heart_beat_timeout_mills: u64 = "controllerHeartBeatTimeoutMills" => 10_000,
        /// Replicas (master included) a SYNC_MASTER write must reach. Default 1.
        pub in_sync_replicas: u32 = "inSyncReplicas" => 1,
        /// Fewest in-sync replicas (master included) with which the master still accepts
        /// writes. Default 1.
        pub min_in_sync_replicas: u32 = "minInSyncReplicas" => 1,
        /// A SYNC_MASTER write waits for every member of the SyncStateSet. Default false.
        pub all_ack_in_sync_state_set: bool = "allAckInSyncStateSet" => false,
        /// A replica behind the master for longer than this leaves the SyncStateSet, ms.
        /// Default 15000.
        pub ha_max_time_slave_not_catchup: u64 = "haMaxTimeSlaveNotCatchup" => 15_000,
    }
}

#[cfg(test)]
mod tests {
    use super::super::checks::CHECKS;
    use super::super::BrokerConfig;
    use rmq_common::properties::check::Rule;

    /// Every key a broker.conf may carry, under its RocketMQ name.
    const ROCKETMQ_KEYS: &[&str] = &[
        "aclEnable",
        "rocketmq.acl.plain.file",
        "innerClientAuthenticationCredentials",
        "authenticationEnabled",
        "authorizationEnabled",
        "authenticationProvider",
        "authorizationProvider",
        "authenticationMetadataProvider",
        "authorizationMetadataProvider",
        "initAuthenticationUser",
        "authenticationWhitelist",
        "authorizationWhitelist",
        "migrateAuthFromV1Enabled",
        "diskSpaceCleanForciblyRatio",
        "diskSpaceWarningLevelRatio",
        "cleanFileForciblyEnable",
        "metadataPersistMaxDelayMs",
        "enablePropertyFilter",
        "filterSupportRetry",
        "serverLoadBalancerEnable",
        "defaultMessageRequestMode",
        "defaultPopShareQueueNum",
        "heartbeatMaxNewGroups",
        "serverChannelMaxIdleTimeSeconds",
        "serverMaxConnections",
        "writeBufferHighWaterMark",
        "serverTotalWriteBufferBytes",
        "logFormat",
        "logMaxFileSize",
        "logMaxFiles",
        "brokerClusterName",
        "brokerName",
        "brokerId",
        "brokerRole",
        "regionId",
        "registerNameServerPeriod",
        "rocketmqHome",
        "brokerConfigPath",
        "namesrvAddr",
        "brokerIP1",
        "brokerIP2",
        "bindAddress",
        "listenPort",
        "haListenPort",
        "haMasterAddress",
        "runtimeWorkerThreads",
        "fastListenEnable",
        "frameMaxLength",
        "storePathRootDir",
        "storePathCommitLog",
        "mappedFileSizeCommitLog",
        "mappedFileSizeConsumeQueue",
        "messageIndexEnable",
        "maxHashSlotNum",
        "maxIndexNum",
        "flushDiskType",
        "flushIntervalCommitLog",
        "flushCommitLogLeastPages",
        "flushCommitLogThoroughInterval",
        "syncFlushTimeout",
        "flushConsumeQueueLeastPages",
        "flushConsumeQueueThoroughInterval",
        "fileReservedTime",
        "deleteWhen",
        "diskMaxUsedSpaceRatio",
        "timerWheelEnable",
        "timerMaxDelaySec",
        "timerPrecisionMs",
        "messageDelayLevel",
        "autoCreateTopicEnable",
        "autoCreateSubscriptionGroup",
        "defaultTopicQueueNums",
        "brokerPermission",
        "traceTopicEnable",
        "msgTraceTopicName",
        "clusterTopicEnable",
        "brokerTopicEnable",
        "notifyConsumerIdsChangedEnable",
        "maxMessageSize",
        "traceOn",
        "storeReplyMessageEnable",
        "rejectTransactionMessage",
        "transactionTimeOut",
        "transactionCheckMax",
        "transactionCheckInterval",
        "recallMessageEnable",
        "allowRecallWhenBrokerNotWriteable",
        "longPollingEnable",
        "shortPollingTimeMills",
        "slaveReadEnable",
        "accessMessageInMemoryMaxRatio",
        "maxTransferBytesOnMessageInMemory",
        "maxTransferCountOnMessageInMemory",
        "maxTransferBytesOnMessageInDisk",
        "maxTransferCountOnMessageInDisk",
        "reviveQueueNum",
        "popFromRetryProbability",
        "reviveInterval",
        "popPollingSize",
        "maxPopPollingSize",
        "tls.server.mode",
        "tls.server.certPath",
        "tls.server.keyPath",
        "tls.server.need.client.auth",
        "tls.server.trustCertPath",
        "tls.config.file",
        "tls.enable",
        "tls.test.mode.enable",
        "tls.client.authServer",
        "tls.client.trustCertPath",
        "tls.client.certPath",
        "tls.client.keyPath",
        "metricsExporterType",
        "metricsPromExporterHost",
        "metricsPromExporterPort",
        "enableControllerMode",
        "controllerAddr",
        "syncBrokerMetadataPeriod",
        "checkSyncStateSetPeriod",
        "syncControllerMetadataPeriod",
        "controllerHeartBeatTimeoutMills",
        "inSyncReplicas",
        "minInSyncReplicas",
        "allAckInSyncStateSet",
        "haMaxTimeSlaveNotCatchup",
    ];

    /// A valid value different from the default where there is one.
    fn other_value(key: &str, default: &str) -> String {
        match (default, CHECKS.iter().find(|(k, _)| *k == key).map(|(_, r)| *r)) {
            ("true", _) => "false".to_owned(),
            ("false", _) => "true".to_owned(),
            (_, Some(Rule::Range(min, max))) => (if default == min.to_string() { max } else { min }).to_string(),
            (_, Some(Rule::Hours)) => "01;13".to_owned(),
            (_, Some(Rule::Ip)) => "10.1.2.3".to_owned(),
            (_, Some(Rule::HostPort { .. })) => "ns1:9876".to_owned(),
            _ => default.to_owned(),
        }
    }

    #[test]
    fn every_key_parses_and_prints_under_its_rocketmq_name() {
        let mut keys = BrokerConfig::keys();
        keys.sort_unstable();
        let mut expected = ROCKETMQ_KEYS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        let defaults = BrokerConfig::default().to_pairs();
        assert_eq!(defaults.len(), ROCKETMQ_KEYS.len(), "each key printed once");
        for (key, default) in &defaults {
            let value = other_value(key, default);
            let mut cfg = BrokerConfig::default();
            assert!(cfg.set(key, &value).unwrap(), "{key}");
            let printed = cfg.to_pairs().into_iter().find(|(k, _)| k == key).map(|(_, v)| v);
            assert_eq!(printed.as_deref(), Some(value.as_str()), "{key}");
        }
    }

    #[test]
    fn no_group_has_more_than_ten_keys() {
        for (name, keys) in [
            ("identity", super::BrokerIdentity::KEYS),
            ("net", super::NetSettings::KEYS),
            ("files", super::StoreFiles::KEYS),
            ("flush", super::FlushSettings::KEYS),
            ("retention", super::RetentionSettings::KEYS),
            ("delay", super::DelaySettings::KEYS),
            ("topics", super::TopicPolicy::KEYS),
            ("send", super::SendSettings::KEYS),
            ("pull", super::PullSettings::KEYS),
            ("pop", super::PopSettings::KEYS),
            ("consume", super::ConsumeSettings::KEYS),
            ("conn", super::ConnectionSettings::KEYS),
            ("log", super::LogSettings::KEYS),
            ("controller", super::ControllerSettings::KEYS),
            ("tls_server", rmq_common::tls::TlsServerSettings::KEYS),
            ("tls_client", rmq_common::tls::TlsClientSettings::KEYS),
        ] {
            assert!(keys.len() <= 10, "{name} has {} keys", keys.len());
        }
    }
}

rmq_common::properties_config! {
    /// Filters, server-side load balancing and heartbeat limits of consumers.
    pub struct ConsumeSettings {
        /// Serve SQL92 subscriptions (`MessageSelector.bySql`); off, they are refused with
        /// SYSTEM_ERROR as the official broker does. Default false.
        pub enable_property_filter: bool = "enablePropertyFilter" => false,
        /// Apply a group's filter (tag or SQL92) of the original topic to the messages of its
        /// retry topic too. Default false, as the official broker.
        pub filter_support_retry: bool = "filterSupportRetry" => false,
        /// QUERY_ASSIGNMENT spreads a topic's queues over the group's consumers (false: every
        /// consumer gets every queue). Default true.
        pub server_load_balancer_enable: bool = "serverLoadBalancerEnable" => true,
        /// Mode of a group with no mode set on a topic: PULL or POP. Default PULL.
        pub default_message_request_mode: String = "defaultMessageRequestMode" => "PULL".to_owned(),
        /// popShareQueueNum of a group with no mode set when the default mode is POP. Default -1
        /// (every consumer pops every queue).
        pub default_pop_share_queue_num: i32 = "defaultPopShareQueueNum" => -1,
        /// Most subscription groups one HEART_BEAT may create; the groups past it are created by
        /// the client's next heartbeats.
        pub heartbeat_max_new_groups: usize = "heartbeatMaxNewGroups" => 1000,
    }
}

rmq_common::properties_config! {
    /// Connections: idle close, limits, back-pressure.
    pub struct ConnectionSettings {
        /// Close a connection when no frame arrives for this many seconds (or its answers
        /// cannot be written for as long); 0 never closes. Default 120, as RocketMQ.
        pub server_channel_max_idle_time_seconds: u64 = "serverChannelMaxIdleTimeSeconds" => 120,
        /// Open connections beyond which new ones are closed at once, with a log line; 0: no
        /// limit. Default 10,000.
        pub server_max_connections: usize = "serverMaxConnections" => 10_000,
        /// Bytes of answers queued for one connection above which its requests are not read
        /// until they drain (back-pressure); 0: no limit. Default 4 MiB.
        pub write_buffer_high_water_mark: usize = "writeBufferHighWaterMark" => 4 * 1024 * 1024,
        /// Bytes of answers queued for all connections of a port above which every connection
        /// with answers waiting is paused; 0: no limit. Default 256 MiB.
        pub server_total_write_buffer_bytes: usize = "serverTotalWriteBufferBytes" => 256 * 1024 * 1024,
    }
}

rmq_common::properties_config! {
    /// Log files: format, rolling.
    pub struct LogSettings {
        /// Log line format: `text` or `json` (JSON lines). Default `text`.
        pub log_format: String = "logFormat" => "text".to_owned(),
        /// The log file rolls before passing this many bytes. Default 128 MiB.
        pub log_max_file_size: u64 = "logMaxFileSize" => 128 * 1024 * 1024,
        /// Rolled log files kept (`<name>.1` .. `<name>.N`). Default 10.
        pub log_max_files: usize = "logMaxFiles" => 10,
    }
}
