//! Route bodies: TopicRouteData (GET_ROUTEINFO_BY_TOPIC), ClusterInfo (GET_BROKER_CLUSTER_INFO),
//! KVTable.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// A broker set: name, cluster, and addresses by broker id (0 = master).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerData {
    /// Cluster.
    pub cluster: String,
    /// Broker set name.
    pub broker_name: String,
    /// Addresses by broker id.
    pub broker_addrs: BTreeMap<i64, String>,
    /// Whether a slave may act as master while the master is down (5.x; always written, as
    /// 5.x does: strict 5.x clients require it).
    pub enable_acting_master: bool,
}

impl BrokerData {
    /// The master's address.
    #[must_use]
    pub fn master_addr(&self) -> Option<&str> {
        self.broker_addrs.get(&0).map(String::as_str)
    }
}

/// Queues of a topic on one broker set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueueData {
    /// Broker set name.
    pub broker_name: String,
    /// Read queues.
    pub read_queue_nums: i32,
    /// Write queues.
    pub write_queue_nums: i32,
    /// Permission bits.
    pub perm: i32,
    /// Topic sys flag (4.9.0+ name).
    pub topic_sys_flag: i32,
    /// Topic sys flag under its pre-4.9 name; written too so old clients read it.
    #[serde(rename = "topicSynFlag", skip_deserializing)]
    pub topic_syn_flag: i32,
}

/// A topic's route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicRouteData {
    /// Ordered-topic config, `brokerName:queues;...`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_topic_conf: Option<String>,
    /// Queue data per broker set.
    pub queue_datas: Vec<QueueData>,
    /// Broker sets serving the topic.
    pub broker_datas: Vec<BrokerData>,
    /// Filter servers (unused).
    pub filter_server_table: BTreeMap<String, Vec<String>>,
}

/// GET_BROKER_CLUSTER_INFO body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterInfo {
    /// Broker sets by name.
    pub broker_addr_table: BTreeMap<String, BrokerData>,
    /// Broker set names by cluster.
    pub cluster_addr_table: BTreeMap<String, BTreeSet<String>>,
}

/// KVTable body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KvTable {
    /// Entries.
    pub table: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_json_has_string_keys_and_both_flag_names() {
        let mut addrs = BTreeMap::new();
        addrs.insert(0, "127.0.0.1:10911".to_owned());
        let r = TopicRouteData {
            queue_datas: vec![QueueData {
                broker_name: "b".into(),
                read_queue_nums: 4,
                write_queue_nums: 4,
                perm: 6,
                ..QueueData::default()
            }],
            broker_datas: vec![BrokerData {
                cluster: "c".into(),
                broker_name: "b".into(),
                broker_addrs: addrs,
                ..BrokerData::default()
            }],
            ..TopicRouteData::default()
        };
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains(r#""brokerAddrs":{"0":"127.0.0.1:10911"}"#), "{text}");
        assert!(text.contains(r#""topicSynFlag":0"#) && text.contains(r#""topicSysFlag":0"#));
        assert!(text.contains(r#""enableActingMaster":false"#), "{text}");
        // An official 4.x name server's answer with bare numeric keys parses after normalizing.
        let official = r#"{"brokerDatas":[{"brokerAddrs":{0:"a:1",1:"a:2"},"brokerName":"b","cluster":"c"}],"filterServerTable":{},"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8}]}"#;
        let parsed: TopicRouteData = crate::body::decode(official.as_bytes()).unwrap();
        assert_eq!(parsed.broker_datas[0].broker_addrs.get(&1).map(String::as_str), Some("a:2"));
    }
}
