//! Operators' requests beyond configuration: VIEW_BROKER_STATS_DATA (315, `mqadmin statsAll`),
//! CLEAN_EXPIRED_CONSUMEQUEUE (306, `cleanExpiredCQ`) and GET_BROKER_HA_STATUS (907, `haStatus`),
//! answered with the bodies Apache RocketMQ 5.x writes.

use rmq_remoting::header::ViewBrokerStatsDataRequestHeader;
use rmq_remoting::RemotingCommand;
use serde_json::{json, Value};

use crate::context::{now_u64, BrokerContext};
use crate::error::{BrokerError, HandlerResult};
use crate::services::ha::Replication;
use crate::state::topics::system;
use crate::windows::Snapshot;

/// A slave further behind than this (RocketMQ's `haMaxGapNotInSync` default, 256 MiB) is
/// "Fall Behind" in `haStatus`.
const HA_MAX_GAP_NOT_IN_SYNC: u64 = 256 * 1024 * 1024;

fn item(s: Snapshot) -> Value {
    json!({"sum": s.sum, "tps": s.tps, "avgpt": s.avgpt})
}

/// VIEW_BROKER_STATS_DATA: the minute, hour and day windows of one stats item
/// (`BrokerStatsData`); SYSTEM_ERROR "The stats <name> <key> not exist" for an item never
/// counted, as the official broker answers.
pub fn view_broker_stats(ctx: &BrokerContext, h: &ViewBrokerStatsDataRequestHeader) -> HandlerResult {
    let stats = ctx
        .stats
        .windows
        .get(&h.stats_name, &h.stats_key, now_u64())
        .ok_or_else(|| BrokerError::System(format!("The stats <{}> <{}> not exist", h.stats_name, h.stats_key)))?;
    let body = json!({
        "statsMinute": item(stats.minute),
        "statsHour": item(stats.hour),
        "statsDay": item(stats.day),
    });
    Ok(RemotingCommand::success().with_body(body.to_string().into_bytes()))
}

/// CLEAN_EXPIRED_CONSUMEQUEUE: drops the consume queues of topics the broker no longer has
/// (deleted topics whose files were left behind). Units that pointed into deleted commit-log
/// files are already dropped by retention.
pub fn clean_expired_consume_queue(ctx: &BrokerContext) -> HandlerResult {
    let mut cleaned = Vec::new();
    for topic in ctx.store.queue_topics() {
        let internal = topic == system::SCHEDULE || topic.starts_with("rmq_sys_");
        if !internal && ctx.tables.topics.get(&topic).is_none() {
            ctx.store.delete_topic(&topic);
            cleaned.push(topic);
        }
    }
    tracing::info!(?cleaned, "cleanExpiredConsumeQueue: consume queues of topics no longer configured removed");
    Ok(RemotingCommand::success())
}

/// GET_BROKER_HA_STATUS: `HARuntimeInfo`, the master's slaves with their ack offsets, or the
/// slave's link to its master.
pub fn ha_status(ctx: &BrokerContext, replication: &Replication) -> HandlerResult {
    let max = ctx.store.commit_log_max_offset();
    let body = match replication {
        Replication::Master(master) => {
            let conns: Vec<Value> = master
                .slaves()
                .into_iter()
                .map(|(addr, ack)| {
                    let diff = max.saturating_sub(ack);
                    json!({"addr": addr, "slaveAckOffset": ack, "diff": diff,
                        "inSync": diff < HA_MAX_GAP_NOT_IN_SYNC, "transferredByteInSecond": 0,
                        "transferFromWhere": ack})
                })
                .collect();
            let in_sync = conns.iter().filter(|c| c["inSync"] == Value::Bool(true)).count();
            json!({"master": true, "masterCommitLogMaxOffset": max, "inSyncSlaveNums": in_sync,
                "haConnectionInfo": conns, "haClientRuntimeInfo": client_info("", 0, false)})
        }
        Replication::Slave(slave) => {
            let addr = slave.ha_master_addr().unwrap_or_default();
            json!({"master": false, "masterCommitLogMaxOffset": 0, "inSyncSlaveNums": 0,
                "haConnectionInfo": [], "haClientRuntimeInfo": client_info(&addr, max, slave.is_connected())})
        }
    };
    Ok(RemotingCommand::success().with_body(body.to_string().into_bytes()))
}

/// `HAClientRuntimeInfo`: the slave's side (times are those of this answer: the link is read
/// and written continuously while connected).
fn client_info(master_addr: &str, max_offset: u64, connected: bool) -> Value {
    let now = if connected { now_u64() } else { 0 };
    json!({"masterAddr": master_addr, "transferredByteInSecond": 0, "maxOffset": max_offset,
        "lastReadTimestamp": now, "lastWriteTimestamp": now, "masterFlushOffset": 0,
        "activated": connected})
}

/// GET_BROKER_EPOCH_CACHE (1007, `mqadmin getBrokerEpoch`): this broker's epochs with its log
/// end (`EpochEntryCache`); only in controller mode, as the official broker.
pub fn epoch_cache(ctx: &BrokerContext, services: &crate::services::Services) -> HandlerResult {
    let Some(m) = &services.controller else {
        return Err(BrokerError::System("this request only for controllerMode".into()));
    };
    let id = ctx.config.identity.broker_id;
    let who = (m.who.cluster.as_str(), m.who.broker_name.as_str(), if id == 0 { m.broker_id } else { id });
    let body = crate::services::controller::epochs::cache_body(&m.epochs, &ctx.store, who);
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&body).unwrap_or_default()))
}

/// NOTIFY_BROKER_ROLE_CHANGED (1008) from a controller: the broker checks its set's master now.
pub fn role_changed(services: &crate::services::Services) -> HandlerResult {
    if let Some(m) = &services.controller {
        m.poke();
    }
    Ok(RemotingCommand::success())
}
