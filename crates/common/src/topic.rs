//! Names of the topics the protocol reserves (`TopicValidator`, `MixAll`) and the builders of
//! per-group topic names (`%RETRY%<group>`, `%DLQ%<group>`).

/// Template for auto-created topics (`autoCreateTopicEnable`); producers name it as their
/// default topic.
pub const AUTO_CREATE: &str = "TBW102";
/// Delayed messages, one queue per delay level (queue = level − 1).
pub const SCHEDULE: &str = "SCHEDULE_TOPIC_XXXX";
/// Timer messages waiting for their time.
pub const TIMER: &str = "rmq_sys_wheel_timer";
/// Half (prepared) transaction messages.
pub const TRANS_HALF: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
/// Transaction decisions (op messages).
pub const TRANS_OP_HALF: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
/// Half messages checked too often.
pub const TRANS_CHECK_MAX_TIME: &str = "TRANS_CHECK_MAX_TIME_TOPIC";
/// Self test.
pub const SELF_TEST: &str = "SELF_TEST_TOPIC";
/// Offset moved events.
pub const OFFSET_MOVED_EVENT: &str = "OFFSET_MOVED_EVENT";
/// Benchmark topic (the official benchmark tools' default).
pub const BENCHMARK: &str = "BenchmarkTest";
/// Default message trace topic.
pub const TRACE: &str = "RMQ_SYS_TRACE_TOPIC";
/// Prefix of topics the system creates for itself.
pub const SYSTEM_PREFIX: &str = "rmq_sys_";
/// Name-server KV namespace of ordered topics' `brokerName:queues;...` configs.
pub const ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";
/// Retry topic prefix.
pub const RETRY_PREFIX: &str = "%RETRY%";
/// Dead-letter topic prefix.
pub const DLQ_PREFIX: &str = "%DLQ%";

/// Suffix of a cluster's reply topic (`<cluster>_REPLY_TOPIC`).
pub const REPLY_TOPIC_POSTFIX: &str = "REPLY_TOPIC";

/// `<cluster>_REPLY_TOPIC`: where repliers send replies to requests stored in `cluster`.
#[must_use]
pub fn reply_topic(cluster: &str) -> String {
    format!("{cluster}_{REPLY_TOPIC_POSTFIX}")
}

/// Topics producers may not send to.
#[must_use]
pub fn is_not_sendable(topic: &str) -> bool {
    matches!(
        topic,
        SCHEDULE | TIMER | TRANS_HALF | TRANS_OP_HALF | TRANS_CHECK_MAX_TIME | SELF_TEST | OFFSET_MOVED_EVENT
    )
}

/// Topics of the system itself: the unsendable ones, `rmq_sys_*` and the auto-create template.
#[must_use]
pub fn is_system(topic: &str) -> bool {
    is_not_sendable(topic) || topic.starts_with(SYSTEM_PREFIX) || topic == AUTO_CREATE
}

/// `%RETRY%<group>`: where a group's failed messages are redelivered from.
#[must_use]
pub fn retry_topic(group: &str) -> String {
    format!("{RETRY_PREFIX}{group}")
}

/// `%RETRY%<group>_<topic>`: a POP consumer group's retry topic for one topic (RocketMQ 5.x
/// `KeyBuilder.buildPopRetryTopicV1`, the form our broker creates).
#[must_use]
pub fn pop_retry_topic(group: &str, topic: &str) -> String {
    format!("{RETRY_PREFIX}{group}_{topic}")
}

/// `%RETRY%<group>+<topic>`: the V2 form of a POP retry topic (`KeyBuilder.buildPopRetryTopicV2`),
/// named by handles whose retry mark is `2`.
#[must_use]
pub fn pop_retry_topic_v2(group: &str, topic: &str) -> String {
    format!("{RETRY_PREFIX}{group}+{topic}")
}

/// Whether a retry topic is a V2 POP retry topic (`%RETRY%<group>+<topic>`).
#[must_use]
pub fn is_pop_retry_v2(topic: &str) -> bool {
    retry_group(topic).is_some_and(|rest| rest.contains('+'))
}

/// `%DLQ%<group>`: where a group's messages go once their retries are used up.
#[must_use]
pub fn dlq_topic(group: &str) -> String {
    format!("{DLQ_PREFIX}{group}")
}

/// Whether `topic` is a retry topic.
#[must_use]
pub fn is_retry(topic: &str) -> bool {
    topic.starts_with(RETRY_PREFIX)
}

/// Whether `topic` is a dead-letter topic.
#[must_use]
pub fn is_dlq(topic: &str) -> bool {
    topic.starts_with(DLQ_PREFIX)
}

/// The group of a retry topic (`%RETRY%g` → `g`), `None` for other topics.
#[must_use]
pub fn retry_group(topic: &str) -> Option<&str> {
    topic.strip_prefix(RETRY_PREFIX)
}

/// The group of a dead-letter topic (`%DLQ%g` → `g`), `None` for other topics.
#[must_use]
pub fn dlq_group(topic: &str) -> Option<&str> {
    topic.strip_prefix(DLQ_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_round_trip() {
        assert_eq!(retry_topic("g1"), "%RETRY%g1");
        assert_eq!(dlq_topic("g1"), "%DLQ%g1");
        assert_eq!(retry_group("%RETRY%g1"), Some("g1"));
        assert_eq!(retry_group("%DLQ%g1"), None);
        assert_eq!(pop_retry_topic("g", "T"), "%RETRY%g_T");
        assert_eq!(pop_retry_topic_v2("g", "T"), "%RETRY%g+T");
        assert!(is_pop_retry_v2("%RETRY%g+T") && !is_pop_retry_v2("%RETRY%g_T") && !is_pop_retry_v2("g+T"));
        assert_eq!(dlq_group("%DLQ%g1"), Some("g1"));
        assert!(is_retry("%RETRY%x") && !is_retry("x%RETRY%"));
        assert!(is_dlq("%DLQ%x") && !is_dlq("%RETRY%x"));
    }

    #[test]
    fn system_topics() {
        for t in [SCHEDULE, TIMER, TRANS_HALF, TRANS_OP_HALF, TRANS_CHECK_MAX_TIME, SELF_TEST, OFFSET_MOVED_EVENT] {
            assert!(is_not_sendable(t), "{t}");
            assert!(is_system(t), "{t}");
        }
        assert!(!is_not_sendable(AUTO_CREATE) && is_system(AUTO_CREATE));
        assert!(is_system("rmq_sys_other") && !is_not_sendable("rmq_sys_other"));
        assert!(!is_system(BENCHMARK) && !is_system(TRACE) && !is_system("%RETRY%g"));
    }
}
