//! Controller-mode calls (mqadmin getControllerMetaData, getSyncStateSet, electMaster): asked
//! of a controller by address; writes and reads go to the Raft leader it names. getBrokerEpoch
//! asks the brokers themselves.

use std::collections::BTreeMap;

use rmq_remoting::body::{BrokerReplicasInfo, ElectMasterResponseBody, EpochEntryCache};
use rmq_remoting::header::{ElectMasterRequestHeader, ElectMasterResponseHeader, GetMetaDataResponseHeader};
use rmq_remoting::{EmptyHeader, RemotingCommand, RequestCode};
use serde::Serialize;

use crate::{parse_json, Admin, AdminError, Result};

/// A controller's view of its group (CONTROLLER_GET_METADATA_INFO).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControllerMetaData {
    /// The Raft group.
    pub group: String,
    /// The leader's id, `n<id>`.
    pub controller_leader_id: String,
    /// The leader's address.
    pub controller_leader_address: String,
    /// Whether the asked controller leads.
    pub is_leader: bool,
    /// `controllerDLegerPeers`.
    pub peers: String,
}

/// The outcome of electMaster.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ElectedMaster {
    /// The new master's address.
    pub master_address: String,
    /// Its epoch.
    pub master_epoch: i32,
    /// The SyncStateSet's epoch.
    pub sync_state_set_epoch: i32,
    /// The broker set's replicas by id.
    pub broker_addrs: BTreeMap<i64, String>,
}

/// Calls to controllers.
#[derive(Debug, Clone, Copy)]
pub struct Controllers<'a> {
    admin: &'a Admin,
}

impl<'a> Controllers<'a> {
    /// Calls made through `admin`'s connections.
    #[must_use]
    pub fn new(admin: &'a Admin) -> Self {
        Self { admin }
    }

    /// CONTROLLER_GET_METADATA_INFO of the controller at `addr`.
    pub async fn metadata(&self, addr: &str) -> Result<ControllerMetaData> {
        let req = RemotingCommand::request_with_header(RequestCode::ControllerGetMetadataInfo, &EmptyHeader);
        let resp = self.admin.broker_ok(addr, req).await?;
        let h: GetMetaDataResponseHeader = resp.header().map_err(|e| bad(addr, e))?;
        Ok(ControllerMetaData {
            group: h.group.unwrap_or_default(),
            controller_leader_id: h.controller_leader_id.unwrap_or_default(),
            controller_leader_address: h.controller_leader_address.unwrap_or_default(),
            is_leader: h.is_leader,
            peers: h.peers.unwrap_or_default(),
        })
    }

    /// The leader's address, as the controller at `addr` knows it.
    pub async fn leader(&self, addr: &str) -> Result<String> {
        let leader = self.metadata(addr).await?.controller_leader_address;
        if leader.is_empty() {
            return Err(AdminError::BadAnswer { addr: addr.to_owned(), reason: "no controller leader".into() });
        }
        Ok(leader)
    }

    /// CONTROLLER_GET_SYNC_STATE_DATA of broker sets, from the leader.
    pub async fn sync_state_set(&self, addr: &str, broker_names: &[String]) -> Result<BrokerReplicasInfo> {
        let leader = self.leader(addr).await?;
        let body = serde_json::to_vec(broker_names).unwrap_or_default();
        let req = RemotingCommand::request(RequestCode::ControllerGetSyncStateData).with_body(body);
        let resp = self.admin.broker_ok(&leader, req).await?;
        parse_json(&leader, &resp.body)
    }

    /// GET_BROKER_EPOCH_CACHE of the broker at `addr`, the last entry ending at its max offset.
    pub async fn broker_epoch(&self, addr: &str) -> Result<EpochEntryCache> {
        let req = RemotingCommand::request_with_header(RequestCode::GetBrokerEpochCache, &EmptyHeader);
        let resp = self.admin.broker_ok(addr, req).await?;
        let mut cache: EpochEntryCache = parse_json(addr, &resp.body)?;
        let max = cache.max_offset;
        if let Some(last) = cache.epoch_list.last_mut() {
            last.end_offset = max;
        }
        Ok(cache)
    }

    /// CONTROLLER_ELECT_MASTER designating `broker_id`, on the leader.
    pub async fn elect_master(
        &self,
        addr: &str,
        cluster: &str,
        broker_name: &str,
        broker_id: i64,
    ) -> Result<ElectedMaster> {
        let leader = self.leader(addr).await?;
        let h = ElectMasterRequestHeader {
            cluster_name: Some(cluster.to_owned()),
            broker_name: broker_name.to_owned(),
            broker_id: Some(broker_id),
            designate_elect: Some(true),
            invoke_time: Some(rmq_common::time::now_ms()),
        };
        let req = RemotingCommand::request_with_header(RequestCode::ControllerElectMaster, &h);
        let resp = self.admin.broker_ok(&leader, req).await?;
        let head: ElectMasterResponseHeader = resp.header().map_err(|e| bad(&leader, e))?;
        let body: ElectMasterResponseBody = parse_json(&leader, &resp.body)?;
        Ok(ElectedMaster {
            master_address: head.master_address.unwrap_or_default(),
            master_epoch: head.master_epoch.unwrap_or_default(),
            sync_state_set_epoch: head.sync_state_set_epoch.unwrap_or_default(),
            broker_addrs: body.broker_member_group.map(|g| g.broker_addrs).unwrap_or_default(),
        })
    }
}

fn bad(addr: &str, e: impl std::fmt::Display) -> AdminError {
    AdminError::BadAnswer { addr: addr.to_owned(), reason: e.to_string() }
}
