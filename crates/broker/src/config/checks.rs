//! Allowed values of every broker.conf key we read: a bad value stops the start (or is refused
//! by UPDATE_BROKER_CONFIG) with the key, the value and what is allowed. Enums are checked by
//! their types (`brokerRole`, `flushDiskType`); `messageDelayLevel` by its parser.

use rmq_common::properties::check::{Check, Rule};

const MS_HOUR: i128 = 3_600_000;
const INT_MAX: i128 = i32::MAX as i128;

/// One row per key with a bound or a format.
pub const CHECKS: &[Check] = &[
    ("brokerClusterName", Rule::NonEmpty),
    ("brokerName", Rule::NonEmpty),
    ("brokerId", Rule::Range(0, INT_MAX)),
    ("namesrvAddr", Rule::HostPort { list: true }),
    ("brokerIP1", Rule::Ip),
    ("brokerIP2", Rule::Ip),
    ("bindAddress", Rule::Ip),
    ("listenPort", Rule::Range(1, 65_535)),
    ("haListenPort", Rule::Range(1, 65_535)),
    ("runtimeWorkerThreads", Rule::Range(0, 256)),
    ("haMasterAddress", Rule::HostPort { list: false }),
    ("mappedFileSizeCommitLog", Rule::Range(4096, INT_MAX)),
    ("mappedFileSizeConsumeQueue", Rule::Range(20, INT_MAX)),
    ("flushIntervalCommitLog", Rule::Range(1, MS_HOUR)),
    ("timerMaxDelaySec", Rule::Range(1, 10 * 365 * 86_400)),
    ("timerPrecisionMs", Rule::Range(10, 60_000)),
    ("flushCommitLogLeastPages", Rule::Range(0, 262_144)),
    ("flushCommitLogThoroughInterval", Rule::Range(0, MS_HOUR)),
    ("syncFlushTimeout", Rule::Range(1, MS_HOUR)),
    ("flushConsumeQueueLeastPages", Rule::Range(0, 262_144)),
    ("flushConsumeQueueThoroughInterval", Rule::Range(0, MS_HOUR)),
    ("defaultTopicQueueNums", Rule::Range(1, 1024)),
    ("maxMessageSize", Rule::Range(1, 256 * 1024 * 1024)),
    ("fileReservedTime", Rule::Range(0, 10 * 365 * 24)),
    ("deleteWhen", Rule::Hours),
    ("diskMaxUsedSpaceRatio", Rule::Range(1, 95)),
    ("brokerPermission", Rule::Range(1, 7)),
    ("registerNameServerPeriod", Rule::Range(1000, MS_HOUR)),
    ("shortPollingTimeMills", Rule::Range(0, MS_HOUR)),
    ("maxHashSlotNum", Rule::Range(1, INT_MAX / 4)),
    ("maxIndexNum", Rule::Range(2, INT_MAX / 20)),
    ("msgTraceTopicName", Rule::NonEmpty),
    ("accessMessageInMemoryMaxRatio", Rule::Range(0, 100)),
    ("maxTransferBytesOnMessageInMemory", Rule::Range(1, INT_MAX)),
    ("maxTransferCountOnMessageInMemory", Rule::Range(1, 65_536)),
    ("maxTransferBytesOnMessageInDisk", Rule::Range(1, INT_MAX)),
    ("maxTransferCountOnMessageInDisk", Rule::Range(1, 65_536)),
    ("transactionTimeOut", Rule::Range(1, 24 * MS_HOUR)),
    ("transactionCheckMax", Rule::Range(1, 100_000)),
    ("transactionCheckInterval", Rule::Range(100, 24 * MS_HOUR)),
    ("reviveQueueNum", Rule::Range(1, 1024)),
    ("popFromRetryProbability", Rule::Range(0, 100)),
    ("reviveInterval", Rule::Range(10, MS_HOUR)),
    ("popPollingSize", Rule::Range(0, 1_000_000)),
    ("maxPopPollingSize", Rule::Range(0, 100_000_000)),
    ("frameMaxLength", Rule::Range(1024, INT_MAX)),
    ("diskSpaceCleanForciblyRatio", Rule::Range(1, 100)),
    ("diskSpaceWarningLevelRatio", Rule::Range(1, 100)),
    ("metadataPersistMaxDelayMs", Rule::Range(1, 60_000)),
    ("defaultPopShareQueueNum", Rule::Range(-1, 1024)),
    ("heartbeatMaxNewGroups", Rule::Range(1, 1_000_000)),
    ("metricsPromExporterHost", Rule::Ip),
    ("metricsPromExporterPort", Rule::Range(1, 65_535)),
    ("serverChannelMaxIdleTimeSeconds", Rule::Range(0, 86_400)),
    ("serverMaxConnections", Rule::Range(0, 1_000_000)),
    ("writeBufferHighWaterMark", Rule::Range(0, INT_MAX)),
    ("serverTotalWriteBufferBytes", Rule::Range(0, INT_MAX)),
    ("logMaxFileSize", Rule::Range(1, INT_MAX)),
    ("logMaxFiles", Rule::Range(1, 1000)),
    ("rocketmq.acl.plain.file", Rule::NonEmpty),
    ("controllerAddr", Rule::HostPort { list: true }),
    ("syncBrokerMetadataPeriod", Rule::Range(100, MS_HOUR)),
    ("checkSyncStateSetPeriod", Rule::Range(100, MS_HOUR)),
    ("syncControllerMetadataPeriod", Rule::Range(100, MS_HOUR)),
    ("controllerHeartBeatTimeoutMills", Rule::Range(500, MS_HOUR)),
    ("inSyncReplicas", Rule::Range(1, 64)),
    ("minInSyncReplicas", Rule::Range(1, 64)),
    ("haMaxTimeSlaveNotCatchup", Rule::Range(100, MS_HOUR)),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BrokerConfig;

    #[test]
    fn every_numeric_key_has_a_bound_and_every_row_a_key() {
        for (key, value) in BrokerConfig::default().to_pairs() {
            if value.parse::<i128>().is_ok() {
                assert!(
                    CHECKS.iter().any(|(k, r)| *k == key && matches!(r, Rule::Range(..) | Rule::Hours)),
                    "numeric key {key} has no bound in CHECKS"
                );
            }
        }
        for (key, _) in CHECKS {
            assert!(BrokerConfig::is_key(key), "{key} is not a broker key");
        }
    }

    #[test]
    fn defaults_pass() {
        BrokerConfig::default().validate().unwrap();
    }

    #[test]
    fn bad_values_are_refused_with_key_value_and_range() {
        let table: &[(&str, &str, &str)] = &[
            ("runtimeWorkerThreads", "100000", "0..=256"),
            ("deleteWhen", "99", "hours"),
            ("deleteWhen", "04;25", "hours"),
            ("brokerIP1", "not.an.ip", "IP address"),
            ("brokerIP2", "1.2.3", "IP address"),
            ("bindAddress", "everywhere", "IP address"),
            ("namesrvAddr", "127.0.0.1", "host:port"),
            ("haMasterAddress", "h:1;g:2", "host:port"),
            ("listenPort", "0", "1..=65535"),
            ("diskMaxUsedSpaceRatio", "99", "1..=95"),
            ("maxMessageSize", "0", "1..=268435456"),
            ("defaultTopicQueueNums", "5000", "1..=1024"),
            ("popFromRetryProbability", "101", "0..=100"),
            ("brokerName", "", "non-empty"),
            ("brokerRole", "LEADER", "ASYNC_MASTER"),
            ("flushDiskType", "SOMETIMES", "ASYNC_FLUSH"),
            ("fileReservedTime", "-1", "integer"),
            ("controllerAddr", "c1", "host:port"),
            ("inSyncReplicas", "0", "1..=64"),
            ("haMaxTimeSlaveNotCatchup", "5", "100..=3600000"),
        ];
        for (key, value, allowed) in table {
            let pairs = [((*key).to_owned(), (*value).to_owned())].into_iter().collect();
            let err = BrokerConfig::default().apply(&pairs).expect_err(key).to_string();
            assert!(err.contains(key) && err.contains(value) && err.contains(allowed), "{key}={value}: {err}");
        }
    }

    #[test]
    fn good_values_are_taken() {
        let text = "deleteWhen=01;04\nbrokerIP1=10.0.0.7\nnamesrvAddr=ns1:9876;10.0.0.2:9876\nruntimeWorkerThreads=4\n";
        let mut cfg = BrokerConfig::default();
        assert!(cfg.apply(&crate::config::parse_properties(text)).unwrap().is_empty());
        assert_eq!(cfg.retention.delete_when, "01;04");
        assert_eq!(cfg.net.runtime_worker_threads, 4);
    }
}
