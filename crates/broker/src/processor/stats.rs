//! Statistics and connection listings for admin tools; calls forwarded to clients.

use std::time::Duration;

use rmq_remoting::body::{Connection, ConsumerConnection, GroupList, ProducerConnection};
use rmq_remoting::header::{
    ConsumerGroupRequestHeader, GetConsumeStatsInBrokerHeader, GetConsumeStatsRequestHeader,
    ProducerGroupRequestHeader, QueryTopicConsumeByWhoRequestHeader, TopicRequestHeader,
};
use rmq_remoting::{RemotingCommand, ResponseCode};

use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};
use crate::wire::{consume_stats as consume_stats_body, topic_stats_table, ConsumeRow, TopicOffsetRow};

fn queue_count(ctx: &BrokerContext, topic: &str) -> Option<i32> {
    ctx.topic(topic).map(|t| t.read_queue_nums.max(t.write_queue_nums))
}

/// GET_TOPIC_STATS_INFO.
pub fn topic_stats(ctx: &BrokerContext, h: TopicRequestHeader) -> HandlerResult {
    let queues = queue_count(ctx, &h.topic).ok_or_else(|| BrokerError::TopicNotExist(h.topic.clone()))?;
    let rows: Vec<TopicOffsetRow> = (0..queues)
        .map(|q| {
            let max_offset = ctx.store.max_offset(&h.topic, q);
            TopicOffsetRow {
                topic: h.topic.clone(),
                broker_name: ctx.config.identity.broker_name.clone(),
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
    Ok(RemotingCommand::success().with_body(topic_stats_table(&rows, topic_put_tps(ctx, &h.topic, queues))))
}

/// Messages put on a topic per second over the last minute (the 5.x `topicPutTps`), counted from
/// the consume queues: max offset minus the first offset stored in that minute.
fn topic_put_tps(ctx: &BrokerContext, topic: &str, queues: i32) -> f64 {
    let since = crate::now_ms() - 60_000;
    let count: i64 =
        (0..queues).map(|q| (ctx.store.max_offset(topic, q) - ctx.store.offset_by_time(topic, q, since)).max(0)).sum();
    #[allow(clippy::cast_precision_loss)]
    let tps = count as f64 / 60.0;
    (tps * 100.0).round() / 100.0
}

fn group_rows(ctx: &BrokerContext, group: &str, topic: &str) -> Vec<ConsumeRow> {
    let Some(queues) = queue_count(ctx, topic) else { return Vec::new() };
    (0..queues)
        .map(|q| {
            let consumer_offset = ctx.tables.offsets.query(group, topic, q).unwrap_or(0).max(0);
            ConsumeRow {
                pull_offset: ctx.tables.offsets.query_pull(group, topic, q).max(consumer_offset),
                topic: topic.to_owned(),
                broker_name: ctx.config.identity.broker_name.clone(),
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

/// GET_BROKER_CONSUME_STATS (`mqadmin brokerConsumeStats`): per subscription group, the
/// consume stats of each topic it has offsets on, keyed by the group as the official broker
/// writes them (`[{group:[stats,..]},..]`), with the total lag; `isOrder` keeps ordered topics.
pub fn broker_consume_stats(ctx: &BrokerContext, req: &RemotingCommand) -> HandlerResult {
    let only_order = req.header::<GetConsumeStatsInBrokerHeader>().is_ok_and(|h| h.is_order);
    let mut groups: Vec<String> = ctx.tables.groups.wrapper().subscription_group_table.into_keys().collect();
    groups.extend(ctx.tables.clients.consumer_group_names());
    groups.sort();
    groups.dedup();
    let mut parts = Vec::new();
    let mut total_diff = 0i64;
    for group in groups {
        let mut list = Vec::new();
        for topic in group_topics(ctx, &group, only_order) {
            let rows = group_rows(ctx, &group, &topic);
            total_diff += rows.iter().map(|r| r.broker_offset - r.consumer_offset).sum::<i64>();
            list.push(String::from_utf8(consume_stats_body(&rows, 0.0)).unwrap_or_default());
        }
        parts.push(format!("{{{}:[{}]}}", serde_json::Value::from(group.as_str()), list.join(",")));
    }
    let body = format!(
        "{{\"brokerAddr\":{},\"consumeStatsList\":[{}],\"totalDiff\":{total_diff},\"totalInflightDiff\":0}}",
        serde_json::Value::from(ctx.config.broker_addr()),
        parts.join(",")
    );
    Ok(RemotingCommand::success().with_body(body.into_bytes()))
}

/// The topics a group has offsets on that still exist (ordered ones only when asked), minus
/// those its online members do not subscribe to (as `whichTopicByConsumer` plus the filter).
fn group_topics(ctx: &BrokerContext, group: &str, only_order: bool) -> Vec<String> {
    let online = ctx.tables.clients.consumer_group(group).map(|g| g.subscriptions.keys().cloned().collect::<Vec<_>>());
    ctx.tables
        .offsets
        .topics_of_group(group)
        .into_iter()
        .filter(|t| ctx.tables.topics.get(t).is_some_and(|c| !only_order || c.order))
        .filter(|t| online.as_ref().is_none_or(|subs| subs.is_empty() || subs.contains(t)))
        .collect()
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

/// CONSUME_MESSAGE_DIRECTLY (what `mqadmin consumeMessage` sends: the group, client and offset
/// message id, no body): the message read by its commit-log offset becomes the body and the
/// broker's name is added, as the official broker does, then the call goes to the client.
pub async fn consume_directly(
    ctx: &BrokerContext,
    h: rmq_remoting::header::ConsumeMessageDirectlyRequestHeader,
    mut req: RemotingCommand,
) -> HandlerResult {
    req.ext_fields.insert("brokerName".to_owned(), ctx.config.identity.broker_name.clone());
    if req.body.is_empty() {
        let msg_id = h.msg_id.as_deref().unwrap_or_default();
        let (_, offset) = rmq_common::msgid::decode_offset_msg_id(msg_id)
            .ok_or_else(|| BrokerError::System(format!("the message id {msg_id} is not an offset message id")))?;
        req.body = ctx
            .store
            .message_by_offset(offset)
            .ok_or_else(|| BrokerError::System(format!("can not find message by the offset, {offset}")))?;
    }
    forward(ctx, &h.consumer_group, h.client_id.as_deref().unwrap_or_default(), req).await
}

/// QUERY_TOPIC_CONSUME_BY_WHO.
pub fn topic_consumed_by(ctx: &BrokerContext, h: QueryTopicConsumeByWhoRequestHeader) -> HandlerResult {
    let mut groups = ctx.tables.clients.groups_of_topic(&h.topic);
    groups.extend(ctx.tables.offsets.groups_of_topic(&h.topic));
    groups.sort();
    groups.dedup();
    Ok(RemotingCommand::success().with_body(serde_json::to_vec(&GroupList { group_list: groups }).unwrap_or_default()))
}
