//! Statistics and connection listings for admin tools; calls forwarded to clients.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rmq_remoting::body::{Connection, ConsumerConnection, GroupList, ProducerConnection};
use rmq_remoting::header::{
    ConsumeMessageDirectlyRequestHeader, ConsumerGroupRequestHeader, GetConsumeStatsRequestHeader,
    GetConsumerRunningInfoRequestHeader, ProducerGroupRequestHeader, QueryTopicConsumeByWhoRequestHeader,
    TopicRequestHeader,
};
use rmq_remoting::{RemotingCommand, ResponseCode};

use crate::error::{BrokerError, HandlerResult};
use crate::wire::{consume_stats as consume_stats_body, kv_table, topic_stats_table, ConsumeRow, TopicOffsetRow};
use crate::Broker;

fn queue_count(broker: &Broker, topic: &str) -> Option<i32> {
    broker.topics.get(topic).map(|t| t.read_queue_nums.max(t.write_queue_nums))
}

/// GET_TOPIC_STATS_INFO.
pub fn topic_stats(broker: &Arc<Broker>, req: &RemotingCommand) -> HandlerResult {
    let h: TopicRequestHeader = req.header()?;
    let queues = queue_count(broker, &h.topic).ok_or_else(|| BrokerError::TopicNotExist(h.topic.clone()))?;
    let rows: Vec<TopicOffsetRow> = (0..queues)
        .map(|q| {
            let max_offset = broker.store.max_offset(&h.topic, q);
            TopicOffsetRow {
                topic: h.topic.clone(),
                broker_name: broker.config.broker_name.clone(),
                queue_id: q,
                min_offset: broker.store.min_offset(&h.topic, q),
                max_offset,
                last_update_timestamp: if max_offset > 0 {
                    broker.store.store_time_of(&h.topic, q, max_offset - 1).unwrap_or(0)
                } else {
                    0
                },
            }
        })
        .collect();
    Ok(RemotingCommand::success().with_body(topic_stats_table(&rows)))
}

fn group_rows(broker: &Broker, group: &str, topic: &str) -> Vec<ConsumeRow> {
    let Some(queues) = queue_count(broker, topic) else { return Vec::new() };
    (0..queues)
        .map(|q| {
            let consumer_offset = broker.offsets.query(group, topic, q).unwrap_or(0).max(0);
            ConsumeRow {
                topic: topic.to_owned(),
                broker_name: broker.config.broker_name.clone(),
                queue_id: q,
                broker_offset: broker.store.max_offset(topic, q),
                consumer_offset,
                last_timestamp: if consumer_offset > 0 {
                    broker.store.store_time_of(topic, q, consumer_offset - 1).unwrap_or(0)
                } else {
                    0
                },
            }
        })
        .collect()
}

/// GET_CONSUME_STATS: per queue broker offset, group offset, last consumed time.
pub fn consume_stats(broker: &Arc<Broker>, req: &RemotingCommand) -> HandlerResult {
    let h: GetConsumeStatsRequestHeader = req.header()?;
    let mut topics = broker.offsets.topics_of_group(&h.consumer_group);
    if let Some(g) = broker.clients.consumer_group(&h.consumer_group) {
        topics.extend(g.subscriptions.keys().cloned());
    }
    topics.sort();
    topics.dedup();
    if let Some(t) = h.topic.as_deref().filter(|t| !t.is_empty()) {
        topics.retain(|x| x == t);
    }
    let rows: Vec<ConsumeRow> = topics.iter().flat_map(|t| group_rows(broker, &h.consumer_group, t)).collect();
    Ok(RemotingCommand::success().with_body(consume_stats_body(&rows, 0.0)))
}

/// GET_BROKER_CONSUME_STATS: consume stats of every online group.
pub fn broker_consume_stats(broker: &Arc<Broker>, _req: &RemotingCommand) -> HandlerResult {
    let mut parts = Vec::new();
    for group in broker.clients.consumer_group_names() {
        let topics = broker
            .clients
            .consumer_group(&group)
            .map(|g| g.subscriptions.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        for topic in topics {
            let rows = group_rows(broker, &group, &topic);
            let stats = String::from_utf8(consume_stats_body(&rows, 0.0)).unwrap_or_default();
            parts.push(format!("{{{}:[{stats}]}}", serde_json::Value::from(topic.as_str())));
        }
    }
    let body = format!(
        "{{\"brokerAddr\":{},\"consumeStatsList\":[{}],\"totalDiff\":0}}",
        serde_json::Value::from(broker.config.broker_addr()),
        parts.join(",")
    );
    Ok(RemotingCommand::success().with_body(body.into_bytes()))
}

/// GET_BROKER_RUNTIME_INFO: the keys `mqadmin clusterList` and `brokerStatus` read.
pub fn runtime_info(broker: &Arc<Broker>) -> HandlerResult {
    let put = broker.stats.put_total.load(Ordering::Relaxed);
    let get = broker.stats.get_total.load(Ordering::Relaxed);
    let store = broker.store.runtime_info();
    let mut t = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        t.insert(k.to_owned(), v);
    };
    set("brokerVersionDesc", "V4_9_8".into());
    set("brokerVersion", rmq_remoting::CURRENT_VERSION.to_string());
    let uptime = broker.started.elapsed().as_secs_f64().max(1.0);
    #[allow(clippy::cast_precision_loss)]
    let (put_tps, get_tps) = (put as f64 / uptime, get as f64 / uptime);
    set("putTps", format!("{put_tps:.2} {put_tps:.2} {put_tps:.2}"));
    set("getTransferedTps", format!("{get_tps:.2} {get_tps:.2} {get_tps:.2}"));
    set("msgPutTotalYesterdayMorning", "0".into());
    set("msgPutTotalTodayMorning", "0".into());
    set("msgPutTotalTodayNow", put.to_string());
    set("msgGetTotalYesterdayMorning", "0".into());
    set("msgGetTotalTodayMorning", "0".into());
    set("msgGetTotalTodayNow", get.to_string());
    set("sendThreadPoolQueueSize", "0".into());
    set("pullThreadPoolQueueSize", "0".into());
    set("sendThreadPoolQueueHeadWaitTimeMills", "0".into());
    set("pullThreadPoolQueueHeadWaitTimeMills", "0".into());
    set("pageCacheLockTimeMills", "0".into());
    set(
        "bootTimestamp",
        (crate::now_ms() - i64::try_from(broker.started.elapsed().as_millis()).unwrap_or(0)).to_string(),
    );
    set("brokerRole", crate::config::PropValue::render_prop(&broker.config.broker_role));
    set("scheduleMessageBacklog", broker.delay_offsets.backlog(broker).to_string());
    let max = broker.store.commit_log_max_offset();
    if broker.config.is_master() {
        let slaves = broker.ha.slaves();
        let best = slaves.iter().map(|s| s.1).max();
        set("haConnectedSlaves", slaves.len().to_string());
        set("haSlaveAddrs", slaves.iter().map(|s| s.0.clone()).collect::<Vec<_>>().join(","));
        set("haSlaveAckOffset", best.map_or(-1, |b| i64::try_from(b).unwrap_or(-1)).to_string());
        set(
            "haReplicationLagBytes",
            best.map_or(-1, |b| i64::try_from(max.saturating_sub(b)).unwrap_or(-1)).to_string(),
        );
    } else {
        let master = broker.ha.master_offset.load(std::sync::atomic::Ordering::Acquire);
        let connected = broker.ha.connected.load(std::sync::atomic::Ordering::Acquire);
        set(
            "haMasterAddr",
            broker
                .config
                .ha_master_address
                .clone()
                .or_else(|| broker.ha_master_addr.read().clone())
                .unwrap_or_default(),
        );
        set("haConnected", connected.to_string());
        set("haMasterOffset", master.to_string());
        set("haReplicationLagBytes", master.saturating_sub(max).to_string());
    }
    if let Some(timer) = &broker.timer {
        for (k, v) in timer.stats(broker) {
            set(&k, v);
        }
    }
    for (k, v) in store {
        set(&k, v);
    }
    Ok(RemotingCommand::success().with_body(kv_table(&t)))
}

fn connection(c: &crate::clients::ClientChannel) -> Connection {
    Connection {
        client_id: c.client_id.clone(),
        client_addr: c.channel.peer_addr().to_string(),
        language: c.language.as_str().to_owned(),
        version: c.version,
    }
}

/// GET_CONSUMER_CONNECTION_LIST.
pub fn consumer_connections(broker: &Arc<Broker>, req: &RemotingCommand) -> HandlerResult {
    let h: ConsumerGroupRequestHeader = req.header()?;
    let g = broker.clients.consumer_group(&h.consumer_group).ok_or_else(|| {
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
pub fn producer_connections(broker: &Arc<Broker>, req: &RemotingCommand) -> HandlerResult {
    let h: ProducerGroupRequestHeader = req.header()?;
    let members = broker.clients.producer_group(&h.producer_group);
    if members.is_empty() {
        return Err(BrokerError::System(format!("the producer group[{}] not exist", h.producer_group)));
    }
    let body = ProducerConnection { connection_set: members.iter().map(connection).collect() };
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&body).unwrap_or_default()))
}

async fn forward(broker: &Arc<Broker>, group: &str, client_id: &str, req: RemotingCommand) -> HandlerResult {
    let member = broker
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

/// GET_CONSUMER_RUNNING_INFO: forwarded to the client, its answer relayed.
pub async fn consumer_running_info(broker: &Arc<Broker>, req: RemotingCommand) -> HandlerResult {
    let h: GetConsumerRunningInfoRequestHeader = req.header()?;
    forward(broker, &h.consumer_group, &h.client_id, req).await
}

/// CONSUME_MESSAGE_DIRECTLY: forwarded to the client.
pub async fn consume_message_directly(broker: &Arc<Broker>, req: RemotingCommand) -> HandlerResult {
    let h: ConsumeMessageDirectlyRequestHeader = req.header()?;
    let client = h.client_id.clone().unwrap_or_default();
    forward(broker, &h.consumer_group, &client, req).await
}

/// QUERY_TOPIC_CONSUME_BY_WHO.
pub fn topic_consumed_by(broker: &Arc<Broker>, req: &RemotingCommand) -> HandlerResult {
    let h: QueryTopicConsumeByWhoRequestHeader = req.header()?;
    let mut groups = broker.clients.groups_of_topic(&h.topic);
    groups.extend(broker.offsets.groups_of_topic(&h.topic));
    groups.sort();
    groups.dedup();
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&GroupList { group_list: groups }).unwrap_or_default()))
}
