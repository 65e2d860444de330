//! Subscription group configuration (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP body,
//! subscriptionGroup.json).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::DataVersion;

/// A consumer group's broker-side settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupConfig {
    /// Group name.
    pub group_name: String,
    /// Whether the group may consume.
    pub consume_enable: bool,
    /// Start from the min offset when the group is new.
    pub consume_from_min_enable: bool,
    /// Whether broadcasting is allowed.
    pub consume_broadcast_enable: bool,
    /// Queues of the retry topic.
    pub retry_queue_nums: i32,
    /// Retries before the DLQ.
    pub retry_max_times: i32,
    /// Preferred broker id.
    pub broker_id: i64,
    /// Broker to suggest when consuming slowly.
    pub which_broker_when_consume_slowly: i64,
    /// Notify consumers when membership changes.
    pub notify_consumer_ids_changed_enable: bool,
    /// 5.x: orderly group.
    pub consume_message_orderly: bool,
    /// 5.x: consume timeout.
    pub consume_timeout_minute: i32,
    /// 5.x: retry policy of the group (POP consumers).
    pub group_retry_policy: GroupRetryPolicy,
    /// 5.x: group sys flag.
    pub group_sys_flag: i32,
    /// 5.x: attributes.
    pub attributes: BTreeMap<String, String>,
}

/// 5.x `GroupRetryPolicy`: `{"type":"CUSTOMIZED"}` by default; a policy object is written only
/// when set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupRetryPolicy {
    /// `CUSTOMIZED` or `EXPONENTIAL`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Exponential policy, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exponential_retry_policy: Option<serde_json::Value>,
    /// Customized policy, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customized_retry_policy: Option<serde_json::Value>,
}

impl Default for GroupRetryPolicy {
    fn default() -> Self {
        Self { kind: "CUSTOMIZED".to_owned(), exponential_retry_policy: None, customized_retry_policy: None }
    }
}

impl Default for SubscriptionGroupConfig {
    fn default() -> Self {
        Self {
            group_name: String::new(),
            consume_enable: true,
            consume_from_min_enable: true,
            consume_broadcast_enable: true,
            retry_queue_nums: 1,
            retry_max_times: 16,
            broker_id: 0,
            which_broker_when_consume_slowly: 1,
            notify_consumer_ids_changed_enable: true,
            consume_message_orderly: false,
            consume_timeout_minute: 15,
            group_retry_policy: GroupRetryPolicy::default(),
            group_sys_flag: 0,
            attributes: BTreeMap::new(),
        }
    }
}

impl SubscriptionGroupConfig {
    /// Defaults for `group`.
    #[must_use]
    pub fn named(group: &str) -> Self {
        Self { group_name: group.to_owned(), ..Self::default() }
    }
}

/// GET_ALL_SUBSCRIPTIONGROUP_CONFIG body and subscriptionGroup.json.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupWrapper {
    /// Groups by name.
    pub subscription_group_table: BTreeMap<String, SubscriptionGroupConfig>,
    /// Version of the table.
    pub data_version: DataVersion,
    /// 5.x: topics a group may not consume, by group (always written, empty here).
    pub forbidden_table: BTreeMap<String, BTreeMap<String, i32>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_table_has_the_5x_fields() {
        let mut w = SubscriptionGroupWrapper::default();
        w.subscription_group_table.insert("g".into(), SubscriptionGroupConfig::named("g"));
        let v = serde_json::to_value(&w).unwrap();
        assert_eq!(v["forbiddenTable"], serde_json::json!({}));
        assert_eq!(v["dataVersion"], serde_json::json!({"counter": 0, "stateVersion": 0, "timestamp": 0}));
        let g = v["subscriptionGroupTable"]["g"].as_object().unwrap();
        let mut keys: Vec<&str> = g.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "attributes",
                "brokerId",
                "consumeBroadcastEnable",
                "consumeEnable",
                "consumeFromMinEnable",
                "consumeMessageOrderly",
                "consumeTimeoutMinute",
                "groupName",
                "groupRetryPolicy",
                "groupSysFlag",
                "notifyConsumerIdsChangedEnable",
                "retryMaxTimes",
                "retryQueueNums",
                "whichBrokerWhenConsumeSlowly"
            ]
        );
        assert_eq!(g["groupRetryPolicy"], serde_json::json!({"type": "CUSTOMIZED"}));
        assert_eq!(g["attributes"], serde_json::json!({}));
        assert_eq!(g["groupSysFlag"], 0);
        // A 4.x body without the 5.x fields still reads, with their defaults.
        let old: SubscriptionGroupConfig = serde_json::from_str(r#"{"groupName":"x","retryMaxTimes":3}"#).unwrap();
        assert_eq!((old.retry_max_times, old.group_retry_policy.kind.as_str()), (3, "CUSTOMIZED"));
    }
}
