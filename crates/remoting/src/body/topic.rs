//! Topic configuration bodies: TopicConfig, DataVersion, the wrapper sent in REGISTER_BROKER,
//! MessageQueue, TopicList.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::TopicFilterType;

/// Version of a table: a counter and the time of the last change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DataVersion {
    /// Changes so far.
    pub counter: i64,
    /// Time of the last change, ms.
    pub timestamp: i64,
    /// 5.x state version (the official 5.x broker writes it, 0 unless its controller mode changes it).
    pub state_version: i64,
}

/// A topic's configuration on one broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfig {
    /// Topic name.
    pub topic_name: String,
    /// Read queues.
    pub read_queue_nums: i32,
    /// Write queues.
    pub write_queue_nums: i32,
    /// Permission bits.
    pub perm: i32,
    /// Single or multi tag.
    pub topic_filter_type: TopicFilterType,
    /// Topic sys flag.
    pub topic_sys_flag: i32,
    /// Ordered topic.
    pub order: bool,
    /// 5.x attributes (written even when empty, as the official 5.x broker does).
    pub attributes: BTreeMap<String, String>,
}

impl Default for TopicConfig {
    fn default() -> Self {
        Self {
            topic_name: String::new(),
            read_queue_nums: 16,
            write_queue_nums: 16,
            // Read and write (rmq_common::perm::READ_WRITE; this crate depends on nothing of ours).
            perm: 6,
            topic_filter_type: TopicFilterType::SingleTag,
            topic_sys_flag: 0,
            order: false,
            attributes: BTreeMap::new(),
        }
    }
}

/// A broker's topic table with its version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfigSerializeWrapper {
    /// Topics by name.
    pub topic_config_table: BTreeMap<String, TopicConfig>,
    /// Version of the table.
    pub data_version: DataVersion,
}

/// GET_ALL_TOPIC_CONFIG body in the 5.x shape (`TopicConfigAndMappingSerializeWrapper`): the
/// topic table plus the static-topic mapping tables, which we always write empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfigAndMappingSerializeWrapper {
    /// Topics by name.
    pub topic_config_table: BTreeMap<String, TopicConfig>,
    /// Version of the topic table.
    pub data_version: DataVersion,
    /// Static-topic mapping info by topic (always empty here).
    pub topic_queue_mapping_info_map: BTreeMap<String, serde_json::Value>,
    /// Static-topic mapping detail by topic (always empty here).
    pub topic_queue_mapping_detail_map: BTreeMap<String, serde_json::Value>,
    /// Version of the mapping tables.
    pub mapping_data_version: DataVersion,
}

impl From<TopicConfigSerializeWrapper> for TopicConfigAndMappingSerializeWrapper {
    fn from(w: TopicConfigSerializeWrapper) -> Self {
        Self {
            mapping_data_version: DataVersion { counter: 0, timestamp: w.data_version.timestamp, state_version: 0 },
            topic_config_table: w.topic_config_table,
            data_version: w.data_version,
            topic_queue_mapping_info_map: BTreeMap::new(),
            topic_queue_mapping_detail_map: BTreeMap::new(),
        }
    }
}

/// REGISTER_BROKER body (uncompressed form).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RegisterBrokerBody {
    /// The broker's topics.
    pub topic_config_serialize_wrapper: TopicConfigSerializeWrapper,
    /// Filter servers (unused).
    pub filter_server_list: Vec<String>,
}

/// A queue: topic, broker name, queue id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageQueue {
    /// Topic.
    pub topic: String,
    /// Broker set name.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
}

/// A list of topic names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicList {
    /// Topics.
    pub topic_list: Vec<String>,
    /// Broker address (some answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_addr: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_topic_config_has_the_5x_fields() {
        let mut w = TopicConfigSerializeWrapper {
            data_version: DataVersion { counter: 3, timestamp: 9, state_version: 0 },
            ..TopicConfigSerializeWrapper::default()
        };
        w.topic_config_table.insert("T".into(), TopicConfig { topic_name: "T".into(), ..TopicConfig::default() });
        let v = serde_json::to_value(TopicConfigAndMappingSerializeWrapper::from(w)).unwrap();
        assert_eq!(v["dataVersion"], serde_json::json!({"counter": 3, "stateVersion": 0, "timestamp": 9}));
        assert_eq!(v["mappingDataVersion"], serde_json::json!({"counter": 0, "stateVersion": 0, "timestamp": 9}));
        assert_eq!(v["topicQueueMappingInfoMap"], serde_json::json!({}));
        assert_eq!(v["topicQueueMappingDetailMap"], serde_json::json!({}));
        let t = v["topicConfigTable"]["T"].as_object().unwrap();
        let mut keys: Vec<&str> = t.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "attributes",
                "order",
                "perm",
                "readQueueNums",
                "topicFilterType",
                "topicName",
                "topicSysFlag",
                "writeQueueNums"
            ]
        );
        assert_eq!(t["attributes"], serde_json::json!({}));
    }
}
