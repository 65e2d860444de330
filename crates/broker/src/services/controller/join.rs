//! Joining the broker set through the controllers (RocketMQ 5's `ReplicasManager` start):
//! an id (kept in `<storePathRootDir>/brokerIdentity`, else CONTROLLER_GET_NEXT_BROKER_ID then
//! CONTROLLER_APPLY_BROKER_ID with `address;timestamp`), CONTROLLER_REGISTER_BROKER, and
//! CONTROLLER_ELECT_MASTER when the set has no master yet.

use std::path::Path;

use rmq_remoting::header::{
    ApplyBrokerIdRequestHeader, ElectMasterRequestHeader, ElectMasterResponseHeader, GetNextBrokerIdRequestHeader,
    GetNextBrokerIdResponseHeader, GetReplicaInfoRequestHeader, RegisterBrokerToControllerRequestHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode};

use super::client::ControllerClient;
use super::role::Decision;

/// The file keeping the id the controllers gave.
pub const IDENTITY_FILE: &str = "brokerIdentity";

/// Who this broker is to the controllers.
#[derive(Debug, Clone)]
pub struct Who {
    /// Cluster name.
    pub cluster: String,
    /// Broker set name.
    pub broker_name: String,
    /// `ip:listenPort`.
    pub addr: String,
}

/// The id kept from an earlier start.
#[must_use]
pub fn load_id(root: &Path) -> Option<i64> {
    let text = std::fs::read_to_string(root.join(IDENTITY_FILE)).ok()?;
    crate::config::parse_properties(&text).get("brokerId")?.trim().parse().ok()
}

fn save_id(root: &Path, id: i64, check_code: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(root)?;
    let tmp = root.join(format!("{IDENTITY_FILE}.tmp"));
    std::fs::write(&tmp, format!("brokerId={id}\nregisterCheckCode={check_code}\n"))?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(tmp, root.join(IDENTITY_FILE))
}

/// This broker's id: the kept one, else a new one applied for and kept.
pub async fn broker_id(ctl: &ControllerClient, who: &Who, root: &Path) -> Result<i64, String> {
    if let Some(id) = load_id(root) {
        return Ok(id);
    }
    let h = GetNextBrokerIdRequestHeader { cluster_name: who.cluster.clone(), broker_name: who.broker_name.clone() };
    let resp = ctl.call_ok(RemotingCommand::request_with_header(RequestCode::ControllerGetNextBrokerId, &h)).await?;
    let next = resp.header::<GetNextBrokerIdResponseHeader>().map_err(|e| e.to_string())?.next_broker_id;
    let check_code = format!("{};{}", who.addr, rmq_common::time::now_ms());
    let h = ApplyBrokerIdRequestHeader {
        cluster_name: who.cluster.clone(),
        broker_name: who.broker_name.clone(),
        applied_broker_id: next,
        register_check_code: check_code.clone(),
    };
    ctl.call_ok(RemotingCommand::request_with_header(RequestCode::ControllerApplyBrokerId, &h)).await?;
    save_id(root, next, &check_code).map_err(|e| format!("saving {IDENTITY_FILE}: {e}"))?;
    tracing::info!(broker_id = next, "broker id applied for at the controller");
    Ok(next)
}

fn decision_of(id: i64, resp: &RemotingCommand) -> Result<Decision, String> {
    let h: ElectMasterResponseHeader = resp.header().map_err(|e| e.to_string())?;
    let mut d = Decision::from_header(id, &h);
    // Register and replica-info answers carry a SyncStateSet, elections the same field name.
    if let Ok(set) = rmq_remoting::body::decode::<rmq_remoting::body::SyncStateSet>(&resp.body) {
        d.sync_state_set.sync_state_set = set.sync_state_set;
    }
    Ok(d)
}

/// Registers `id` at `who.addr`; when the set has no master, asks to be elected.
pub async fn register(ctl: &ControllerClient, who: &Who, id: i64) -> Result<Decision, String> {
    let h = RegisterBrokerToControllerRequestHeader {
        cluster_name: who.cluster.clone(),
        broker_name: who.broker_name.clone(),
        broker_id: id,
        broker_address: who.addr.clone(),
        invoke_time: Some(rmq_common::time::now_ms()),
    };
    let resp = ctl.call_ok(RemotingCommand::request_with_header(RequestCode::ControllerRegisterBroker, &h)).await?;
    let d = decision_of(id, &resp)?;
    if d.master_id.is_some() {
        return Ok(d);
    }
    elect(ctl, who, id).await
}

/// CONTROLLER_ELECT_MASTER for this broker's set (the controller picks, this broker if it may).
pub async fn elect(ctl: &ControllerClient, who: &Who, id: i64) -> Result<Decision, String> {
    let h = ElectMasterRequestHeader {
        cluster_name: Some(who.cluster.clone()),
        broker_name: who.broker_name.clone(),
        broker_id: Some(id),
        designate_elect: Some(false),
        invoke_time: Some(rmq_common::time::now_ms()),
    };
    let resp = ctl.call(RemotingCommand::request_with_header(RequestCode::ControllerElectMaster, &h)).await?;
    decision_of(id, &resp)
}

/// The set's master as the controllers know it now (CONTROLLER_GET_REPLICA_INFO).
pub async fn replica_info(ctl: &ControllerClient, who: &Who, id: i64) -> Result<Decision, String> {
    let h = GetReplicaInfoRequestHeader { broker_name: who.broker_name.clone() };
    let resp = ctl.call_ok(RemotingCommand::request_with_header(RequestCode::ControllerGetReplicaInfo, &h)).await?;
    decision_of(id, &resp)
}
