//! A broker replica's timers and messages: registration with the controller (next id, apply,
//! register), heartbeats to every controller, the metadata sync that tells it its role
//! (`syncBrokerMetadataPeriod`), elections it asks for, SyncStateSet changes as master, and
//! replication from its master. Each loop ends when the replica crashes.

use std::time::Duration;

use rmq_remoting::body::SyncStateSet;
use rmq_remoting::header::{
    AlterSyncStateSetRequestHeader, AlterSyncStateSetResponseHeader, ApplyBrokerIdRequestHeader,
    BrokerHeartbeatRequestHeader, ElectMasterRequestHeader, ElectMasterResponseHeader, GetNextBrokerIdRequestHeader,
    GetNextBrokerIdResponseHeader, GetReplicaInfoRequestHeader, RegisterBrokerToControllerRequestHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use crate::broker::{Altered, Broker, View};
use crate::cluster;
use crate::world::{Ep, SimRef, Variant, CONTROLLERS};

const CLUSTER: &str = "DefaultCluster";
pub const BROKER_NAME: &str = "broker-a";
const CONTROL_PERIOD: Duration = Duration::from_millis(300);
const HEARTBEAT_PERIOD: Duration = Duration::from_millis(200);
const PULL_PERIOD: Duration = Duration::from_millis(50);

/// Starts the loops of broker `idx`'s current incarnation.
pub fn spawn(sim: &SimRef, idx: usize) {
    let inc = sim.brokers.lock()[idx].incarnation;
    tokio::spawn(control_loop(sim.clone(), idx, inc));
    tokio::spawn(heartbeat_loop(sim.clone(), idx, inc));
    tokio::spawn(replication_loop(sim.clone(), idx, inc));
}

/// Runs `f` on the broker if it is still the same incarnation and up.
pub fn with<R>(sim: &SimRef, idx: usize, inc: u64, f: impl FnOnce(&mut Broker) -> R) -> Option<R> {
    let mut brokers = sim.brokers.lock();
    let b = &mut brokers[idx];
    (b.up && b.incarnation == inc).then(|| f(b))
}

async fn control_loop(sim: SimRef, idx: usize, inc: u64) {
    while with(&sim, idx, inc, |_| ()).is_some() {
        tokio::time::sleep(CONTROL_PERIOD).await;
        let Some((id, registered)) = with(&sim, idx, inc, |b| (b.id, b.registered)) else { return };
        match (id, registered) {
            (None, _) => apply_id(&sim, idx, inc).await,
            (Some(id), false) => register(&sim, idx, inc, id).await,
            (Some(id), true) => {
                sync_metadata(&sim, idx, inc, id).await;
                alter(&sim, idx, inc, id).await;
            }
        }
    }
}

/// Asks the controller this broker believes leads; moves on to the next one when that one
/// says it does not lead or does not answer.
async fn ask_leader(sim: &SimRef, idx: usize, inc: u64, req: RemotingCommand) -> Option<RemotingCommand> {
    let hint = with(sim, idx, inc, |b| b.hint)?;
    let answer = cluster::call(sim, idx, hint, req).await;
    let moved = answer.as_ref().is_none_or(|a| a.code == ResponseCode::ControllerNotLeader.value());
    if moved {
        with(sim, idx, inc, |b| b.hint = (hint + 1) % CONTROLLERS);
        return None;
    }
    answer
}

async fn apply_id(sim: &SimRef, idx: usize, inc: u64) {
    let h = GetNextBrokerIdRequestHeader { cluster_name: CLUSTER.into(), broker_name: BROKER_NAME.into() };
    let req = RemotingCommand::request_with_header(RequestCode::ControllerGetNextBrokerId, &h);
    let Some(answer) = ask_leader(sim, idx, inc, req).await else { return };
    let Ok(next) = answer.header::<GetNextBrokerIdResponseHeader>() else { return };
    let Some(addr) = with(sim, idx, inc, |b| b.addr.clone()) else { return };
    let h = ApplyBrokerIdRequestHeader {
        cluster_name: CLUSTER.into(),
        broker_name: BROKER_NAME.into(),
        applied_broker_id: next.next_broker_id,
        register_check_code: format!("{addr};{idx}"),
    };
    let req = RemotingCommand::request_with_header(RequestCode::ControllerApplyBrokerId, &h);
    let Some(answer) = ask_leader(sim, idx, inc, req).await else { return };
    if answer.code == ResponseCode::Success.value() {
        with(sim, idx, inc, |b| b.id = Some(next.next_broker_id));
        sim.trace(&format!("broker #{idx} took id {}", next.next_broker_id));
    }
}

async fn register(sim: &SimRef, idx: usize, inc: u64, id: i64) {
    let Some(addr) = with(sim, idx, inc, |b| b.addr.clone()) else { return };
    let h = RegisterBrokerToControllerRequestHeader {
        cluster_name: CLUSTER.into(),
        broker_name: BROKER_NAME.into(),
        broker_id: id,
        broker_address: addr,
        invoke_time: None,
    };
    let req = RemotingCommand::request_with_header(RequestCode::ControllerRegisterBroker, &h);
    let Some(answer) = ask_leader(sim, idx, inc, req).await else { return };
    if answer.code == ResponseCode::Success.value() {
        with(sim, idx, inc, |b| b.registered = true);
        sim.trace(&format!("broker #{idx} registered as {id}"));
        on_view(sim, idx, inc, id, &answer).await;
    }
}

async fn sync_metadata(sim: &SimRef, idx: usize, inc: u64, id: i64) {
    let h = GetReplicaInfoRequestHeader { broker_name: BROKER_NAME.into() };
    let req = RemotingCommand::request_with_header(RequestCode::ControllerGetReplicaInfo, &h);
    if let Some(answer) = ask_leader(sim, idx, inc, req).await {
        on_view(sim, idx, inc, id, &answer).await;
    }
}

/// Reads the master and SyncStateSet from an answer and acts on it; asks for an election
/// when the set has no master.
async fn on_view(sim: &SimRef, idx: usize, inc: u64, id: i64, answer: &RemotingCommand) {
    let (Ok(h), Ok(sss)) =
        (answer.header::<ElectMasterResponseHeader>(), rmq_remoting::body::decode::<SyncStateSet>(&answer.body))
    else {
        return;
    };
    let view = View { master: h.master_broker_id.filter(|m| *m >= 0), epoch: h.master_epoch.unwrap_or(0), sss };
    let now = sim.now();
    let before = with(sim, idx, inc, |b| (b.role, b.epoch));
    let elect = with(sim, idx, inc, |b| {
        let mut ck = sim.checker.lock();
        b.on_view(&view, now, &mut ck)
    });
    let after = with(sim, idx, inc, |b| (b.role, b.epoch));
    if before != after {
        sim.trace(&format!("broker #{idx} ({id}) is {after:?}"));
    }
    if elect == Some(true) {
        let h = ElectMasterRequestHeader {
            cluster_name: Some(CLUSTER.into()),
            broker_name: BROKER_NAME.into(),
            broker_id: Some(id),
            designate_elect: Some(false),
            invoke_time: None,
        };
        let req = RemotingCommand::request_with_header(RequestCode::ControllerElectMaster, &h);
        let answer = ask_leader(sim, idx, inc, req).await;
        sim.trace(&format!("broker #{idx} asked for an election: {:?}", answer.map(|a| a.code)));
    }
}

async fn alter(sim: &SimRef, idx: usize, inc: u64, id: i64) {
    let now = sim.now();
    let Some((Some(asked), epoch)) = with(sim, idx, inc, |b| (b.plan_alter(now), b.epoch)) else { return };
    let h = AlterSyncStateSetRequestHeader {
        broker_name: BROKER_NAME.into(),
        master_broker_id: id,
        master_epoch: epoch,
        invoke_time: None,
    };
    let body = serde_json::to_vec(&asked).unwrap_or_default();
    let req = RemotingCommand::request_with_header(RequestCode::ControllerAlterSyncStateSet, &h).with_body(body);
    let answer = ask_leader(sim, idx, inc, req).await;
    let outcome = classify(answer.as_ref());
    sim.trace(&format!("broker #{idx} asked for SyncStateSet {:?}: {outcome:?}", asked.sync_state_set));
    with(sim, idx, inc, |b| b.altered(&asked, outcome));
}

fn classify(answer: Option<&RemotingCommand>) -> Altered {
    let Some(a) = answer else { return Altered::Unknown };
    match ResponseCode::from_value(a.code) {
        ResponseCode::Success => a
            .header::<AlterSyncStateSetResponseHeader>()
            .map_or(Altered::Unknown, |h| Altered::Applied(h.new_sync_state_set_epoch)),
        ResponseCode::ControllerNotLeader | ResponseCode::ControllerJraftInternalError | ResponseCode::SystemError => {
            Altered::Unknown
        }
        _ => Altered::Refused,
    }
}

async fn heartbeat_loop(sim: SimRef, idx: usize, inc: u64) {
    let early = sim.variant == Variant::AckBeforeReplication;
    loop {
        tokio::time::sleep(HEARTBEAT_PERIOD).await;
        let now = sim.now();
        let Some(beat) = with(&sim, idx, inc, |b| {
            b.settle(now, early, &mut sim.checker.lock());
            b.id.filter(|_| b.registered).map(|id| heartbeat(b, id))
        }) else {
            return;
        };
        for ctl in 0..CONTROLLERS {
            let (sim, beat) = (sim.clone(), beat.clone());
            if let Some(beat) = beat {
                tokio::spawn(async move { cluster::call(&sim, idx, ctl, beat).await });
            }
        }
    }
}

fn heartbeat(b: &Broker, id: i64) -> RemotingCommand {
    let h = BrokerHeartbeatRequestHeader {
        cluster_name: CLUSTER.into(),
        broker_addr: b.addr.clone(),
        broker_name: BROKER_NAME.into(),
        broker_id: Some(id),
        epoch: Some(b.log.last().map_or(0, |r| r.epoch)),
        max_offset: Some(i64::try_from(b.log.len()).unwrap_or(i64::MAX)),
        confirm_offset: None,
        heartbeat_timeout_mills: Some(1_000),
        election_priority: Some(0),
    };
    RemotingCommand::request_with_header(RequestCode::BrokerHeartbeat, &h)
}

async fn replication_loop(sim: SimRef, idx: usize, inc: u64) {
    let early = sim.variant == Variant::AckBeforeReplication;
    loop {
        tokio::time::sleep(PULL_PERIOD).await;
        let Some(pull) = with(&sim, idx, inc, |b| b.pull()) else { return };
        let Some((master, req)) = pull else { continue };
        let Some(m) = sim.brokers.lock().iter().position(|b| b.id == Some(master)) else { continue };
        if !sim.deliver(Ep::Broker(idx), Ep::Broker(m), "pull").await {
            continue;
        }
        let now = sim.now();
        let answer = {
            let mut brokers = sim.brokers.lock();
            let answer = brokers[m].serve(&req, now);
            brokers[m].settle(now, early, &mut sim.checker.lock());
            answer
        };
        let Some(answer) = answer else { continue };
        if !sim.deliver(Ep::Broker(m), Ep::Broker(idx), "records").await {
            continue;
        }
        if let Some(Some(cut)) = with(&sim, idx, inc, |b| b.apply(master, &answer)).filter(|c| c.is_some_and(|n| n > 0))
        {
            sim.trace(&format!("broker #{idx} truncated {cut} records to rejoin {master}"));
        }
    }
}
