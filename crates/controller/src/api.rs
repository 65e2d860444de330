//! The controller's requests: RocketMQ's controller codes (1001-1013, BROKER_HEARTBEAT) and
//! our private Raft RPCs, decoded at the edge and matched once. Writes go through Raft on the
//! leader; reads are served by the leader after a linearizable check; any other controller
//! answers CONTROLLER_NOT_LEADER naming the leader. CONTROLLER_GET_METADATA_INFO is answered
//! by every controller.

use std::sync::Arc;

use rmq_remoting::body::{BrokerReplicasInfo, ElectMasterResponseBody, ReplicaIdentity, ReplicasInfo, SyncStateSet};
use rmq_remoting::header::{
    AlterSyncStateSetRequestHeader, AlterSyncStateSetResponseHeader, ApplyBrokerIdRequestHeader,
    BrokerHeartbeatRequestHeader, ElectMasterRequestHeader, ElectMasterResponseHeader, GetMetaDataResponseHeader,
    GetNextBrokerIdRequestHeader, GetNextBrokerIdResponseHeader, GetReplicaInfoRequestHeader,
    RegisterBrokerToControllerRequestHeader,
};
use rmq_remoting::transport::{ProcessorFuture, RequestContext, RequestProcessor};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use crate::heartbeat::BrokerLive;
use crate::replicas::{Command, MasterView, Outcome, FIRST_BROKER_ID};
use crate::{failover, Controller, ControllerError};

type Answer = Result<RemotingCommand, ControllerError>;

struct Processor(Arc<Controller>);

impl RequestProcessor for Processor {
    fn process(&self, ctx: RequestContext, request: RemotingCommand) -> ProcessorFuture {
        let ctl = Arc::clone(&self.0);
        Box::pin(async move { Some(handle(&ctl, &ctx, &request).await) })
    }
}

/// The request processor of a controller.
#[must_use]
pub fn processor(ctl: &Arc<Controller>) -> Arc<dyn RequestProcessor> {
    Arc::new(Processor(Arc::clone(ctl)))
}

/// Whether a request code is one a controller serves (an embedding server routes these).
#[must_use]
pub fn serves(code: RequestCode) -> bool {
    use RequestCode as C;
    matches!(
        code,
        C::RaftAppendEntries
            | C::RaftVote
            | C::RaftInstallSnapshot
            | C::ControllerGetMetadataInfo
            | C::BrokerHeartbeat
            | C::ControllerGetNextBrokerId
            | C::ControllerApplyBrokerId
            | C::ControllerRegisterBroker
            | C::ControllerElectMaster
            | C::ControllerAlterSyncStateSet
            | C::ControllerGetReplicaInfo
            | C::ControllerGetSyncStateData
    )
}

/// Answers one request.
pub async fn handle(ctl: &Arc<Controller>, ctx: &RequestContext, req: &RemotingCommand) -> RemotingCommand {
    handle_on(ctl, ctx.channel.id(), req).await
}

/// Answers one request that came on connection `channel` (whose close marks the brokers that
/// spoke on it gone); the simulation calls this with connections of its own numbering.
pub async fn handle_on(ctl: &Arc<Controller>, channel: u64, req: &RemotingCommand) -> RemotingCommand {
    use RequestCode as C;
    let answer = match req.request_code() {
        code @ (C::RaftAppendEntries | C::RaftVote | C::RaftInstallSnapshot) => raft_rpc(ctl, code, req).await,
        C::ControllerGetMetadataInfo => Ok(metadata(ctl)),
        C::BrokerHeartbeat => heartbeat(ctl, channel, req),
        C::ControllerGetNextBrokerId => next_broker_id(ctl, req).await,
        C::ControllerApplyBrokerId => apply_broker_id(ctl, req).await,
        C::ControllerRegisterBroker => register(ctl, channel, req).await,
        C::ControllerElectMaster => elect_master(ctl, req).await,
        C::ControllerAlterSyncStateSet => alter_sync_state_set(ctl, req).await,
        C::ControllerGetReplicaInfo => replica_info(ctl, req).await,
        C::ControllerGetSyncStateData => sync_state_data(ctl, req).await,
        other => Ok(RemotingCommand::error(
            ResponseCode::RequestCodeNotSupported,
            format!("request code {} not supported by the controller", other.value()),
        )),
    };
    answer.unwrap_or_else(|e| match e {
        ControllerError::Answer { code, remark } => RemotingCommand::error(code, remark),
        other => RemotingCommand::error(ResponseCode::SystemError, other.to_string()),
    })
}

fn bad(e: impl std::fmt::Display) -> ControllerError {
    ControllerError::answer(ResponseCode::ControllerInvalidRequest, e.to_string())
}

async fn raft_rpc(ctl: &Controller, code: RequestCode, req: &RemotingCommand) -> Answer {
    let body = crate::raft::network::serve(&ctl.raft, code, &req.body).await.ok_or_else(|| bad("bad raft request"))?;
    Ok(RemotingCommand::success().with_body(body))
}

fn metadata(ctl: &Controller) -> RemotingCommand {
    let leader = ctl.leader();
    let header = GetMetaDataResponseHeader {
        group: Some(ctl.config.controller_dleger_group.clone()),
        controller_leader_id: leader.as_ref().map(|(id, _)| format!("n{id}")),
        controller_leader_address: leader.map(|(_, addr)| addr),
        is_leader: ctl.is_leader(),
        peers: Some(ctl.config.controller_dleger_peers.clone()),
    };
    RemotingCommand::success().with_header(&header)
}

fn heartbeat(ctl: &Controller, channel: u64, req: &RemotingCommand) -> Answer {
    let h: BrokerHeartbeatRequestHeader = req.header().map_err(bad)?;
    let broker_id = match h.broker_id {
        Some(id) => id,
        None => {
            id_by_addr(ctl, &h.broker_name, &h.broker_addr).ok_or_else(|| bad("heartbeat without a known brokerId"))?
        }
    };
    ctl.live.beat(BrokerLive {
        cluster: h.cluster_name,
        broker_name: h.broker_name,
        broker_id,
        addr: h.broker_addr,
        last_ms: ctl.now(),
        timeout_ms: h
            .heartbeat_timeout_mills
            .and_then(|t| u64::try_from(t).ok())
            .unwrap_or(ctl.config.broker_heartbeat_timeout_millis),
        epoch: h.epoch.unwrap_or(0),
        max_offset: h.max_offset.unwrap_or(0),
        priority: h.election_priority.unwrap_or(0),
        channel,
    });
    Ok(RemotingCommand::success())
}

fn id_by_addr(ctl: &Controller, broker_name: &str, addr: &str) -> Option<i64> {
    let state = ctl.state.read();
    state.replicas.sets.get(broker_name)?.addrs.iter().find(|(_, a)| *a == addr).map(|(id, _)| *id)
}

async fn next_broker_id(ctl: &Controller, req: &RemotingCommand) -> Answer {
    let h: GetNextBrokerIdRequestHeader = req.header().map_err(bad)?;
    ctl.ensure_leader().await?;
    let next = ctl.state.read().replicas.sets.get(&h.broker_name).map_or(FIRST_BROKER_ID, |s| s.next_id());
    let header = GetNextBrokerIdResponseHeader {
        cluster_name: Some(h.cluster_name),
        broker_name: Some(h.broker_name),
        next_broker_id: next,
    };
    Ok(RemotingCommand::success().with_header(&header))
}

async fn apply_broker_id(ctl: &Controller, req: &RemotingCommand) -> Answer {
    let h: ApplyBrokerIdRequestHeader = req.header().map_err(bad)?;
    let cmd = Command::ApplyBrokerId {
        cluster: h.cluster_name.clone(),
        broker_name: h.broker_name.clone(),
        broker_id: h.applied_broker_id,
        check_code: h.register_check_code,
    };
    let out = ctl.propose(cmd).await?;
    Ok(answer_of(&out).with_ext("clusterName", h.cluster_name).with_ext("brokerName", h.broker_name))
}

async fn register(ctl: &Controller, channel: u64, req: &RemotingCommand) -> Answer {
    let h: RegisterBrokerToControllerRequestHeader = req.header().map_err(bad)?;
    let cmd = Command::RegisterBroker {
        broker_name: h.broker_name.clone(),
        broker_id: h.broker_id,
        address: h.broker_address.clone(),
    };
    let out = ctl.propose(cmd).await?;
    if out.code == 0 {
        // Registering counts as a heartbeat: the broker is alive now.
        ctl.live.beat(BrokerLive {
            cluster: h.cluster_name.clone(),
            broker_name: h.broker_name.clone(),
            broker_id: h.broker_id,
            addr: h.broker_address,
            last_ms: ctl.now(),
            timeout_ms: ctl.config.broker_heartbeat_timeout_millis,
            channel,
            ..BrokerLive::default()
        });
    }
    let mut answer = view_answer(&out).with_ext("clusterName", h.cluster_name).with_ext("brokerName", h.broker_name);
    if let Some(v) = &out.view {
        answer = answer.with_body(serde_json::to_vec(&v.sync_state_set).unwrap_or_default());
    }
    Ok(answer)
}

async fn elect_master(ctl: &Arc<Controller>, req: &RemotingCommand) -> Answer {
    let h: ElectMasterRequestHeader = req.header().map_err(bad)?;
    let broker_id = h.broker_id.filter(|id| *id >= 0);
    let out = failover::elect_for(ctl, &h.broker_name, broker_id, h.designate_elect.unwrap_or(false)).await?;
    let mut answer = view_answer(&out);
    if let Some(v) = &out.view {
        let body = ElectMasterResponseBody {
            broker_member_group: Some(v.members.clone()),
            sync_state_set: v.sync_state_set.sync_state_set.clone(),
        };
        answer = answer.with_body(serde_json::to_vec(&body).unwrap_or_default());
    }
    Ok(answer)
}

async fn alter_sync_state_set(ctl: &Controller, req: &RemotingCommand) -> Answer {
    let h: AlterSyncStateSetRequestHeader = req.header().map_err(bad)?;
    let new_set: SyncStateSet = rmq_remoting::body::decode(&req.body).map_err(bad)?;
    let t = ctl.now();
    let alive = new_set.sync_state_set.iter().copied().filter(|id| ctl.live.is_alive(&h.broker_name, *id, t)).collect();
    let cmd = Command::AlterSyncStateSet {
        broker_name: h.broker_name,
        master_id: h.master_broker_id,
        master_epoch: h.master_epoch,
        new_set,
        alive,
    };
    let out = ctl.propose(cmd).await?;
    let mut answer = answer_of(&out);
    if let (0, Some(v)) = (out.code, &out.view) {
        let header =
            AlterSyncStateSetResponseHeader { new_sync_state_set_epoch: v.sync_state_set.sync_state_set_epoch };
        answer = answer.with_header(&header);
    }
    Ok(answer)
}

async fn replica_info(ctl: &Controller, req: &RemotingCommand) -> Answer {
    let h: GetReplicaInfoRequestHeader = req.header().map_err(bad)?;
    ctl.ensure_leader().await?;
    let view = ctl.state.read().replicas.sets.get(&h.broker_name).map(crate::replicas::BrokerSet::view);
    let Some(view) = view else {
        return Err(ControllerError::answer(ResponseCode::ControllerBrokerMetadataNotExist, "broker set unknown"));
    };
    let body = serde_json::to_vec(&view.sync_state_set).unwrap_or_default();
    Ok(RemotingCommand::success().with_header(&view_header(&view)).with_body(body))
}

async fn sync_state_data(ctl: &Controller, req: &RemotingCommand) -> Answer {
    let names: Vec<String> = rmq_remoting::body::decode(&req.body).map_err(bad)?;
    ctl.ensure_leader().await?;
    let t = ctl.now();
    let state = ctl.state.read();
    let mut out = BrokerReplicasInfo::default();
    for name in names {
        let Some(set) = state.replicas.sets.get(&name) else { continue };
        let view = set.view();
        let mut info = ReplicasInfo {
            master_broker_id: view.master_broker_id,
            master_address: view.master_address,
            master_epoch: view.master_epoch,
            sync_state_set_epoch: view.sync_state_set.sync_state_set_epoch,
            ..ReplicasInfo::default()
        };
        for (id, addr) in &set.addrs {
            let r = ReplicaIdentity {
                broker_name: name.clone(),
                broker_id: *id,
                broker_address: addr.clone(),
                alive: ctl.live.is_alive(&name, *id, t),
            };
            if set.sync_state_set.contains(id) {
                info.in_sync_replicas.push(r)
            } else {
                info.not_in_sync_replicas.push(r)
            }
        }
        out.replicas_info_table.insert(name, info);
    }
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&out).unwrap_or_default()))
}

fn answer_of(out: &Outcome) -> RemotingCommand {
    RemotingCommand::response(out.response_code(), (out.code != 0).then(|| out.remark.clone()))
}

fn view_header(v: &MasterView) -> ElectMasterResponseHeader {
    ElectMasterResponseHeader {
        master_broker_id: Some(v.master_broker_id.unwrap_or(-1)),
        master_address: Some(v.master_address.clone().unwrap_or_default()),
        master_epoch: Some(v.master_epoch),
        sync_state_set_epoch: Some(v.sync_state_set.sync_state_set_epoch),
    }
}

fn view_answer(out: &Outcome) -> RemotingCommand {
    let answer = answer_of(out);
    match &out.view {
        Some(v) => answer.with_header(&view_header(v)),
        None => answer,
    }
}
