//! Controller-mode bodies: `SyncStateSet`, `BrokerReplicasInfo` (CONTROLLER_GET_SYNC_STATE_DATA),
//! `ElectMasterResponseBody` with its `BrokerMemberGroup`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The replicas caught up with the master, and the epoch of that set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncStateSet {
    /// Broker ids in the set.
    pub sync_state_set: BTreeSet<i64>,
    /// Bumped at each change of the set.
    pub sync_state_set_epoch: i32,
}

/// One replica as CONTROLLER_GET_SYNC_STATE_DATA lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReplicaIdentity {
    /// Broker set name.
    pub broker_name: String,
    /// Broker id.
    pub broker_id: i64,
    /// `ip:port`.
    pub broker_address: String,
    /// Whether its heartbeats are current.
    pub alive: bool,
}

/// One broker set's master and replicas.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReplicasInfo {
    /// The master's id (`-1` or absent: none).
    pub master_broker_id: Option<i64>,
    /// The master's address.
    pub master_address: Option<String>,
    /// The master's epoch.
    pub master_epoch: i32,
    /// The SyncStateSet's epoch.
    pub sync_state_set_epoch: i32,
    /// Replicas in the SyncStateSet.
    pub in_sync_replicas: Vec<ReplicaIdentity>,
    /// The other replicas.
    pub not_in_sync_replicas: Vec<ReplicaIdentity>,
}

/// CONTROLLER_GET_SYNC_STATE_DATA answer: replicas by broker set name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerReplicasInfo {
    /// By broker set name.
    pub replicas_info_table: BTreeMap<String, ReplicasInfo>,
}

/// A broker set's members: addresses by broker id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerMemberGroup {
    /// Cluster name.
    pub cluster: String,
    /// Broker set name.
    pub broker_name: String,
    /// Addresses by broker id.
    pub broker_addrs: BTreeMap<i64, String>,
}

/// CONTROLLER_ELECT_MASTER answer body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ElectMasterResponseBody {
    /// The broker set's members.
    pub broker_member_group: Option<BrokerMemberGroup>,
    /// The new SyncStateSet.
    pub sync_state_set: BTreeSet<i64>,
}

/// One epoch of a broker's commit log (RocketMQ's `EpochEntry`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EpochEntryBody {
    /// The master epoch.
    pub epoch: i32,
    /// First offset the epoch wrote.
    pub start_offset: i64,
    /// Where it ends (exclusive).
    pub end_offset: i64,
}

/// GET_BROKER_EPOCH_CACHE answer (RocketMQ's `EpochEntryCache`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EpochEntryCache {
    /// Cluster name.
    pub cluster_name: String,
    /// Broker set name.
    pub broker_name: String,
    /// The answering broker's id.
    pub broker_id: i64,
    /// Its epochs, oldest first.
    pub epoch_list: Vec<EpochEntryBody>,
    /// Its commit log's max offset.
    pub max_offset: i64,
}
