//! Exports and config views that span a cluster: `exportConfigs` (the masters' main config
//! keys and the cluster's scale), `exportMetadata` (topic and subscription-group tables of the
//! masters, merged) and `getConsumerConfig` (a group's config on each broker set).

use std::collections::BTreeMap;

use rmq_remoting::body::SubscriptionGroupConfig;
use rmq_remoting::{RemotingCommand, RequestCode};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::cluster::Cluster;
use crate::group::Groups;
use crate::{cluster_brokers, parse_json, Admin, Result, Target};

/// The broker keys `exportConfigs` keeps, as the official command (`needBrokerProprties`).
const EXPORTED_KEYS: [&str; 16] = [
    "brokerClusterName",
    "brokerId",
    "brokerName",
    "brokerRole",
    "fileReservedTime",
    "filterServerNums",
    "flushDiskType",
    "maxMessageSize",
    "messageDelayLevel",
    "msgTraceTopicName",
    "slaveReadEnable",
    "traceOn",
    "traceTopicEnable",
    "useTLS",
    "autoCreateTopicEnable",
    "autoCreateSubscriptionGroup",
];

/// A group's config on one broker set (`getConsumerConfig`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupOnBrokerSet {
    /// Cluster.
    pub cluster: String,
    /// Broker set.
    pub broker_name: String,
    /// The config.
    pub config: SubscriptionGroupConfig,
}

/// `configs.json` of `exportConfigs`: `{"brokerConfigs":{brokerName:{..}},"clusterScale":{..}}`.
pub async fn export_configs(admin: &Admin, cluster: &str) -> Result<Value> {
    let info = admin.cluster_info().await?;
    let brokers = cluster_brokers(&info, cluster, true)?;
    let (masters, slaves): (Vec<_>, Vec<_>) = brokers.into_iter().partition(|b| b.broker_id == 0);
    let mut configs = Map::new();
    for m in &masters {
        let all = Cluster::new(admin).broker_config(&Target::Broker(m.addr.clone())).await?;
        let kept: BTreeMap<&str, String> = all
            .iter()
            .flat_map(|c| &c.config)
            .filter(|(k, _)| EXPORTED_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        configs.insert(m.broker_name.clone(), json!(kept));
    }
    let scale = json!({"namesrvSize": admin.instance().namesrv_addrs().len(),
        "masterBrokerSize": masters.len(), "slaveBrokerSize": slaves.len()});
    Ok(json!({"brokerConfigs": configs, "clusterScale": scale}))
}

/// `exportMetadata`: the masters' topic configs and subscription groups, merged by name
/// (`{"topicConfigTable":..,"subscriptionGroupTable":..,"exportTime":ms}`).
pub async fn export_metadata(admin: &Admin, target: &Target) -> Result<Value> {
    let (mut topics, mut groups) = (Map::new(), Map::new());
    for b in admin.resolve(target, false).await? {
        let resp = admin.broker_ok(&b.addr, RemotingCommand::request(RequestCode::GetAllTopicConfig)).await?;
        let body: Value = parse_json(&b.addr, &resp.body)?;
        if let Some(t) = body["topicConfigTable"].as_object() {
            topics.extend(t.clone());
        }
        let req = RemotingCommand::request(RequestCode::GetAllSubscriptiongroupConfig);
        let body: Value = parse_json(&b.addr, &admin.broker_ok(&b.addr, req).await?.body)?;
        if let Some(g) = body["subscriptionGroupTable"].as_object() {
            groups.extend(g.clone());
        }
    }
    Ok(json!({"topicConfigTable": topics, "subscriptionGroupTable": groups,
        "exportTime": rmq_common::time::now_ms()}))
}

/// The group's config on each broker set that has it (read from the set's master, else a slave).
pub async fn consumer_config(admin: &Admin, group: &str) -> Result<Vec<GroupOnBrokerSet>> {
    let info = admin.cluster_info().await?;
    let mut out = Vec::new();
    for (cluster, names) in &info.cluster_addr_table {
        for name in names {
            let Some(data) = info.broker_addr_table.get(name) else { continue };
            let Some(addr) = data.broker_addrs.get(&0).or_else(|| data.broker_addrs.values().next()) else { continue };
            if let Some(config) = Groups::new(admin).group_config(addr, group).await? {
                out.push(GroupOnBrokerSet { cluster: cluster.clone(), broker_name: name.clone(), config });
            }
        }
    }
    Ok(out)
}
