//! Offset codes: consumer offsets, queue min/max, search by time, reset, clone.

use std::collections::BTreeMap;
use std::time::Duration;

use rmq_remoting::header::{
    CloneGroupOffsetRequestHeader, EarliestMsgStoretimeResponseHeader, GetConsumerStatusRequestHeader,
    OffsetResponseHeader, QueryConsumerOffsetRequestHeader, ResetOffsetRequestHeader, SearchOffsetRequestHeader,
    TopicQueueRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};
use crate::services::Services;

fn offset_response(offset: i64) -> RemotingCommand {
    RemotingCommand::success().with_header(&OffsetResponseHeader { offset })
}

/// QUERY_CONSUMER_OFFSET: the stored offset; for a group new to a queue whose first message is
/// still in memory, 0 (so a fresh group reads a young queue from the start, as RocketMQ does);
/// otherwise (and always when setZeroIfNotFound is false) QUERY_NOT_FOUND.
pub fn query_consumer_offset(ctx: &BrokerContext, h: QueryConsumerOffsetRequestHeader) -> HandlerResult {
    if let Some(offset) = ctx.tables.offsets.query(&h.consumer_group, &h.topic, h.queue_id) {
        if offset >= 0 {
            return Ok(offset_response(offset));
        }
    }
    let min = ctx.store.min_offset(&h.topic, h.queue_id);
    // An explicit setZeroIfNotFound=false (the 5.x proxy's GetOffset) wants QUERY_NOT_FOUND, as
    // RocketMQ answers it; absent, a young queue reads from 0.
    let zero_allowed = h.set_zero_if_not_found != Some(false);
    if zero_allowed
        && (h.set_zero_if_not_found == Some(true) || (min <= 0 && !ctx.store.is_in_disk(&h.topic, h.queue_id, 0)))
    {
        return Ok(offset_response(0));
    }
    Ok(RemotingCommand::error(
        ResponseCode::QueryNotFound,
        "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
    ))
}

/// UPDATE_CONSUMER_OFFSET.
pub fn update_consumer_offset(ctx: &BrokerContext, h: UpdateConsumerOffsetRequestHeader) -> HandlerResult {
    ctx.tables.offsets.commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    Ok(RemotingCommand::success())
}

/// GET_MAX_OFFSET.
pub fn max_offset(ctx: &BrokerContext, h: TopicQueueRequestHeader) -> HandlerResult {
    Ok(offset_response(ctx.store.max_offset(&h.topic, h.queue_id)))
}

/// GET_MIN_OFFSET.
pub fn min_offset(ctx: &BrokerContext, h: TopicQueueRequestHeader) -> HandlerResult {
    Ok(offset_response(ctx.store.min_offset(&h.topic, h.queue_id)))
}

/// SEARCH_OFFSET_BY_TIMESTAMP.
pub fn search_offset(ctx: &BrokerContext, h: SearchOffsetRequestHeader) -> HandlerResult {
    Ok(offset_response(ctx.store.offset_by_time(&h.topic, h.queue_id, h.timestamp)))
}

/// GET_EARLIEST_MSG_STORETIME.
pub fn earliest_time(ctx: &BrokerContext, h: TopicQueueRequestHeader) -> HandlerResult {
    let timestamp = ctx.store.earliest_message_time(&h.topic, h.queue_id).unwrap_or(-1);
    Ok(RemotingCommand::success().with_header(&EarliestMsgStoretimeResponseHeader { timestamp }))
}

/// GET_ALL_DELAY_OFFSET (slave sync).
pub fn all_delay_offsets(services: &Services) -> HandlerResult {
    Ok(RemotingCommand::success().with_body(services.schedule.offsets_json().into_bytes()))
}

/// GET_ALL_CONSUMER_OFFSET (slave sync).
pub fn all_consumer_offsets(ctx: &BrokerContext) -> HandlerResult {
    Ok(RemotingCommand::success().with_body(ctx.tables.offsets.to_json().into_bytes()))
}

/// CLONE_GROUP_OFFSET.
pub fn clone_group_offset(ctx: &BrokerContext, h: CloneGroupOffsetRequestHeader) -> HandlerResult {
    ctx.tables.offsets.clone_group(&h.src_group, &h.dest_group, h.topic.as_deref());
    Ok(RemotingCommand::success())
}

/// The reset target per queue of `topic` on this broker for a timestamp (−1 = latest).
fn reset_targets(
    ctx: &BrokerContext,
    topic: &str,
    timestamp: i64,
    force: bool,
    group: &str,
) -> Result<BTreeMap<i32, i64>, BrokerError> {
    let cfg = ctx.topic(topic).ok_or_else(|| BrokerError::TopicNotExist(topic.to_owned()))?;
    let mut out = BTreeMap::new();
    for q in 0..cfg.read_queue_nums.max(cfg.write_queue_nums) {
        let target =
            if timestamp < 0 { ctx.store.max_offset(topic, q) } else { ctx.store.offset_by_time(topic, q, timestamp) };
        let current = ctx.tables.offsets.query(group, topic, q);
        // Without force, only move offsets backwards (re-consume), as the official broker does.
        if force || current.is_none_or(|c| target < c) {
            out.insert(q, target);
        } else if let Some(c) = current {
            out.insert(q, c);
        }
    }
    Ok(out)
}

/// INVOKE_BROKER_TO_RESET_OFFSET: compute offsets for the time, store them for the group, and
/// tell online consumers (RESET_CONSUMER_CLIENT_OFFSET) so they restart from there.
pub async fn reset_offset(ctx: &BrokerContext, services: &Services, h: ResetOffsetRequestHeader) -> HandlerResult {
    let targets = reset_targets(ctx, &h.topic, h.timestamp, h.is_force, &h.group)?;
    // A POP group's cursors move too (before the offsets, which the POP service also writes).
    services.pop.reset(&h.group, &h.topic, &targets)?;
    ctx.tables.offsets.set_queue_offsets(&h.group, &h.topic, targets.clone());
    let body = crate::wire::reset_offset_body(&h.topic, &ctx.config.identity.broker_name, &targets);
    if let Some(group) = ctx.tables.clients.consumer_group(&h.group) {
        for member in group.channels.values() {
            let request = RemotingCommand::request_with_header(RequestCode::ResetConsumerClientOffset, &h)
                .with_body(body.clone());
            // One-way, as the official broker: the client answers nothing to this request.
            if let Err(e) = member.channel.invoke_oneway(request).await {
                tracing::warn!(client = %member.client_id, cause = %e, "reset offset on client failed");
            }
        }
    }
    Ok(RemotingCommand::success().with_body(body))
}

/// INVOKE_BROKER_TO_GET_CONSUMER_STATUS: ask each online consumer for its offsets.
pub async fn consumer_status(ctx: &BrokerContext, h: GetConsumerStatusRequestHeader) -> HandlerResult {
    let mut table = BTreeMap::new();
    if let Some(group) = ctx.tables.clients.consumer_group(&h.group) {
        for member in group.channels.values() {
            if h.client_addr.as_deref().is_some_and(|a| !a.is_empty() && a != member.channel.peer_addr().to_string()) {
                continue;
            }
            let request = RemotingCommand::request_with_header(RequestCode::GetConsumerStatusFromClient, &h);
            match member.channel.invoke(request, Duration::from_secs(5)).await {
                Ok(resp) if resp.code == 0 => {
                    table.insert(member.client_id.clone(), String::from_utf8_lossy(&resp.body).into_owned());
                }
                Ok(_) | Err(_) => {}
            }
        }
    }
    // GetConsumerStatusBody: {"consumerTable":{clientId:{<mq>:offset}},"messageQueueTable":{}}; each
    // client answered with a ResetOffsetBody-shaped text, embedded as is.
    let mut out = String::from("{\"consumerTable\":{");
    for (i, (client, raw)) in table.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let inner = raw.trim();
        let inner = inner.strip_prefix("{\"offsetTable\":").and_then(|s| s.strip_suffix('}')).unwrap_or("{}");
        out.push_str(&serde_json::Value::from(client.as_str()).to_string());
        out.push(':');
        out.push_str(inner);
    }
    out.push_str("},\"messageQueueTable\":{}}");
    Ok(RemotingCommand::success().with_body(out.into_bytes()))
}
