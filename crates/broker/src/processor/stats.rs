//! Statistics and connection listings for admin tools; calls forwarded to clients.

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
use crate::wire::{consume_stats as consume_stats_body, topic_stats_table, ConsumeRow, TopicOffsetRow};
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
    Ok(RemotingCommand::success().with_body(topic_stats_table(&rows, topic_put_tps(broker, &h.topic, queues))))
}

/// Messages put on a topic per second over the last minute (the 5.x `topicPutTps`), counted from
/// the consume queues: max offset minus the first offset stored in that minute.
fn topic_put_tps(broker: &Broker, topic: &str, queues: i32) -> f64 {
    let since = crate::now_ms() - 60_000;
    let count: i64 = (0..queues)
        .map(|q| (broker.store.max_offset(topic, q) - broker.store.offset_by_time(topic, q, since)).max(0))
        .sum();
    #[allow(clippy::cast_precision_loss)]
    let tps = count as f64 / 60.0;
    (tps * 100.0).round() / 100.0
}

fn group_rows(broker: &Broker, group: &str, topic: &str) -> Vec<ConsumeRow> {
    let Some(queues) = queue_count(broker, topic) else { return Vec::new() };
    (0..queues)
        .map(|q| {
            let consumer_offset = broker.offsets.query(group, topic, q).unwrap_or(0).max(0);
            ConsumeRow {
                pull_offset: broker.offsets.query_pull(group, topic, q).max(consumer_offset),
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
