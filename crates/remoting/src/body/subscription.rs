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
}
