//! Statistics and connection listings for admin tools; calls forwarded to clients.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rmq_remoting::body::{Connection, ConsumerConnection, GroupList, ProducerConnection};
use rmq_remoting::header::{
    ConsumerGroupRequestHeader, GetConsumeStatsRequestHeader, ProducerGroupRequestHeader,
    QueryTopicConsumeByWhoRequestHeader, TopicRequestHeader,
};
use rmq_remoting::{RemotingCommand, ResponseCode};

use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};
use crate::services::ha::Replication;
use crate::services::Services;
use crate::wire::{consume_stats as consume_stats_body, kv_table, topic_stats_table, ConsumeRow, TopicOffsetRow};

fn queue_count(ctx: &BrokerContext, topic: &str) -> Option<i32> {
    ctx.tables.topics.get(topic).map(|t| t.read_queue_nums.max(t.write_queue_nums))
}

/// GET_TOPIC_STATS_INFO.
pub fn topic_stats(ctx: &BrokerContext, h: TopicRequestHeader) -> HandlerResult {
    let queues = queue_count(ctx, &h.topic).ok_or_else(|| BrokerError::TopicNotExist(h.topic.clone()))?;
    let rows: Vec<TopicOffsetRow> = (0..queues)
        .map(|q| {
            let max_offset = ctx.store.max_offset(&h.topic, q);
            TopicOffsetRow {
                topic: h.topic.clone(),
                broker_name: ctx.config.broker_name.clone(),
                queue_id: q,
                min_offset: ctx.store.min_offset(&h.topic, q),
                max_offset,
                last_update_timestamp: if max_offset > 0 {
                    ctx.store.store_time_of(&h.topic, q, max_offset - 1).unwrap_or(0)
                } else {
                    0
                },
            }
        })
        .collect();
    Ok(RemotingCommand::success().with_body(topic_stats_table(&rows)))
}

fn group_rows(ctx: &BrokerContext, group: &str, topic: &str) -> Vec<ConsumeRow> {
    let Some(queues) = queue_count(ctx, topic) else { return Vec::new() };
    (0..queues)
        .map(|q| {
            let consumer_offset = ctx.tables.offsets.query(group, topic, q).unwrap_or(0).max(0);
            ConsumeRow {
                topic: topic.to_owned(),
                broker_name: ctx.config.broker_name.clone(),
                queue_id: q,
                broker_offset: ctx.store.max_offset(topic, q),
                consumer_offset,
                last_timestamp: if consumer_offset > 0 {
                    ctx.store.store_time_of(topic, q, consumer_offset - 1).unwrap_or(0)
                } else {
                    0
                },
            }
        })
        .collect()
}

/// GET_CONSUME_STATS: per queue broker offset, group offset, last consumed time.
pub fn consume_stats(ctx: &BrokerContext, h: GetConsumeStatsRequestHeader) -> HandlerResult {
    let mut topics = ctx.tables.offsets.topics_of_group(&h.consumer_group);
    if let Some(g) = ctx.tables.clients.consumer_group(&h.consumer_group) {
        topics.extend(g.subscriptions.keys().cloned());
    }
    topics.sort();
    topics.dedup();
    if let Some(t) = h.topic.as_deref().filter(|t| !t.is_empty()) {
        topics.retain(|x| x == t);
    }
    let rows: Vec<ConsumeRow> = topics.iter().flat_map(|t| group_rows(ctx, &h.consumer_group, t)).collect();
    Ok(RemotingCommand::success().with_body(consume_stats_body(&rows, 0.0)))
}

/// GET_BROKER_CONSUME_STATS: consume stats of every online group.
pub fn broker_consume_stats(ctx: &BrokerContext) -> HandlerResult {
    let mut parts = Vec::new();
    for group in ctx.tables.clients.consumer_group_names() {
        let topics = ctx
            .tables
            .clients
            .consumer_group(&group)
            .map(|g| g.subscriptions.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        for topic in topics {
            let rows = group_rows(ctx, &group, &topic);
            let stats = String::from_utf8(consume_stats_body(&rows, 0.0)).unwrap_or_default();
            parts.push(format!("{{{}:[{stats}]}}", serde_json::Value::from(topic.as_str())));
        }
    }
    let body = format!(
        "{{\"brokerAddr\":{},\"consumeStatsList\":[{}],\"totalDiff\":0}}",
        serde_json::Value::from(ctx.config.broker_addr()),
        parts.join(",")
    );
    Ok(RemotingCommand::success().with_body(body.into_bytes()))
}

/// GET_BROKER_RUNTIME_INFO: the keys `mqadmin clusterList` and `brokerStatus` read.
pub fn runtime_info(ctx: &BrokerContext, services: &Services) -> HandlerResult {
    let mut t = BTreeMap::new();
    counters(ctx, &mut t);
    t.insert("brokerRole".into(), crate::config::PropValue::render_prop(&ctx.config.broker_role));
    t.insert("scheduleMessageBacklog".into(), services.schedule.backlog().to_string());
    replication_info(ctx, &services.replication, &mut t);
    if let Some(timer) = &services.timer {
        t.extend(timer.stats());
    }
    t.extend(ctx.store.runtime_info());
    Ok(RemotingCommand::success().with_body(kv_table(&t)))
}

/// Version, throughput and the counters the official broker reports (zero where we keep none).
fn counters(ctx: &BrokerContext, t: &mut BTreeMap<String, String>) {
    let put = ctx.stats.put_total.load(Ordering::Relaxed);
    let get = ctx.stats.get_total.load(Ordering::Relaxed);
    let mut set = |k: &str, v: String| {
        t.insert(k.to_owned(), v);
    };
    set("brokerVersionDesc", "V4_9_8".into());
    set("brokerVersion", rmq_remoting::CURRENT_VERSION.to_string());
    let uptime = ctx.stats.started.elapsed().as_secs_f64().max(1.0);
    #[allow(clippy::cast_precision_loss)] // a rate for display: precision past 2^52 messages is moot
    let (put_tps, get_tps) = (put as f64 / uptime, get as f64 / uptime);
    set("putTps", format!("{put_tps:.2} {put_tps:.2} {put_tps:.2}"));
    set("getTransferedTps", format!("{get_tps:.2} {get_tps:.2} {get_tps:.2}"));
    set("msgPutTotalTodayNow", put.to_string());
    set("msgGetTotalTodayNow", get.to_string());
    for zero in [
        "msgPutTotalYesterdayMorning",
        "msgPutTotalTodayMorning",
        "msgGetTotalYesterdayMorning",
        "msgGetTotalTodayMorning",
        "sendThreadPoolQueueSize",
        "pullThreadPoolQueueSize",
        "sendThreadPoolQueueHeadWaitTimeMills",
        "pullThreadPoolQueueHeadWaitTimeMills",
        "pageCacheLockTimeMills",
    ] {
        set(zero, "0".into());
    }
    let up_ms = i64::try_from(ctx.stats.started.elapsed().as_millis()).unwrap_or(0);
    set("bootTimestamp", (crate::now_ms() - up_ms).to_string());
}

/// The master's slaves and their lag, or the slave's link to its master.
fn replication_info(ctx: &BrokerContext, replication: &Replication, t: &mut BTreeMap<String, String>) {
    let max = ctx.store.commit_log_max_offset();
    let mut set = |k: &str, v: String| {
        t.insert(k.to_owned(), v);
    };
    match replication {
        Replication::Master(master) => {
            let slaves = master.slaves();
            let best = slaves.iter().map(|s| s.1).max();
            set("haConnectedSlaves", slaves.len().to_string());
            set("haSlaveAddrs", slaves.iter().map(|s| s.0.clone()).collect::<Vec<_>>().join(","));
            set("haSlaveAckOffset", best.map_or(-1, |b| i64::try_from(b).unwrap_or(-1)).to_string());
            let lag = best.map_or(-1, |b| i64::try_from(max.saturating_sub(b)).unwrap_or(-1));
            set("haReplicationLagBytes", lag.to_string());
        }
        Replication::Slave(slave) => {
            let master = slave.master_offset();
            set("haMasterAddr", slave.ha_master_addr().unwrap_or_default());
            set("haConnected", slave.is_connected().to_string());
            set("haMasterOffset", master.to_string());
            set("haReplicationLagBytes", master.saturating_sub(max).to_string());
        }
    }
}

fn connection(c: &crate::state::clients::ClientChannel) -> Connection {
    Connection {
        client_id: c.client_id.clone(),
        client_addr: c.channel.peer_addr().to_string(),
        language: c.language.as_str().to_owned(),
        version: c.version,
    }
}

/// GET_CONSUMER_CONNECTION_LIST.
pub fn consumer_connections(ctx: &BrokerContext, h: ConsumerGroupRequestHeader) -> HandlerResult {
    let g = ctx.tables.clients.consumer_group(&h.consumer_group).ok_or_else(|| {
        BrokerError::Code(
            ResponseCode::ConsumerNotOnline,
            format!("the consumer group[{}] not online", h.consumer_group),
        )
    })?;
    let body = ConsumerConnection {
        connection_set: g.channels.values().map(connection).collect(),
        subscription_table: g.subscriptions.clone().into_iter().collect(),
        consume_type: g.consume_type,
        message_model: g.message_model,
        consume_from_where: g.consume_from_where,
    };
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&body).unwrap_or_default()))
}

/// GET_PRODUCER_CONNECTION_LIST.
pub fn producer_connections(ctx: &BrokerContext, h: ProducerGroupRequestHeader) -> HandlerResult {
    let members = ctx.tables.clients.producer_group(&h.producer_group);
    if members.is_empty() {
        return Err(BrokerError::System(format!("the producer group[{}] not exist", h.producer_group)));
    }
    let body = ProducerConnection { connection_set: members.iter().map(connection).collect() };
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&body).unwrap_or_default()))
}

/// GET_CONSUMER_RUNNING_INFO and CONSUME_MESSAGE_DIRECTLY: forwarded to the client, its
/// answer relayed.
pub async fn forward(ctx: &BrokerContext, group: &str, client_id: &str, req: RemotingCommand) -> HandlerResult {
    let member = ctx
        .tables
        .clients
        .find_consumer(group, client_id)
        .ok_or_else(|| BrokerError::System(format!("The Consumer <{group}> <{client_id}> not online")))?;
    let mut forwarded = req;
    forwarded.opaque = rmq_remoting::next_opaque();
    forwarded.flag = 0;
    member
        .channel
        .invoke(forwarded, Duration::from_secs(10))
        .await
        .map_err(|e| BrokerError::System(format!("invoke consumer <{client_id}> failed: {e}")))
}

/// QUERY_TOPIC_CONSUME_BY_WHO.
pub fn topic_consumed_by(ctx: &BrokerContext, h: QueryTopicConsumeByWhoRequestHeader) -> HandlerResult {
    let mut groups = ctx.tables.clients.groups_of_topic(&h.topic);
    groups.extend(ctx.tables.offsets.groups_of_topic(&h.topic));
    groups.sort();
    groups.dedup();
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&GroupList { group_list: groups }).unwrap_or_default()))
}
